namespace Xent.Autograd;

/// <summary>
/// One recorded op in the autograd graph: its inputs and the function that maps the gradient of
/// its output to gradients of its inputs. Each op defines that function next to its forward.
/// </summary>
public sealed class Node
{
    private Func<Tensor, Tensor?[]>? _backward;
    private Func<Tensor, bool, Tensor?[]>? _backwardLastUse;

    internal Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Name = name;
        Inputs = inputs;
        _backward = backward;
    }

    /// <summary>
    /// A node whose backward also learns whether this is its last call (the engine frees it right after,
    /// i.e. Backward without retainGraph): it may then hand out, or rescale in place, a buffer it saved
    /// in forward, and mark the returned gradient <see cref="Tensor.IsGradBufferOwned"/>, which lets the engine
    /// recycle that buffer later: only when nothing else can reach it.
    /// </summary>
    internal Node(string name, Tensor[] inputs, Func<Tensor, bool, Tensor?[]> backward)
    {
        Name = name;
        Inputs = inputs;
        _backwardLastUse = backward;
    }

    /// <summary>PyTorch-style name of the backward function, e.g. <c>MulBackward</c>.</summary>
    public string Name { get; }

    internal Tensor[] Inputs { get; private set; }

    internal bool IsFreed => _backward is null && _backwardLastUse is null;

    /// <param name="gradOutput">Gradient of the objective with respect to this node's output.</param>
    /// <param name="lastUse">True when the engine frees this node right after the call.</param>
    internal Tensor?[] Apply(Tensor gradOutput, bool lastUse)
    {
        // BackwardEngine checks IsFreed for every node before applying any, with PyTorch's message.
        return _backwardLastUse is not null ? _backwardLastUse(gradOutput, lastUse) : _backward!(gradOutput);
    }

    /// <summary>Why the node was freed, when not by an ordinary Backward (used in the error message).</summary>
    internal string? FreedBecause { get; private set; }

    /// <summary>Drops the saved tensors so their memory can be reclaimed.</summary>
    internal void Free(string? because = null)
    {
        if (!IsFreed) FreedBecause = because;
        _backward = null;
        _backwardLastUse = null;
        Inputs = [];
    }

    /// <summary>
    /// Like <c>Tensor.Record</c>, for a backward that is told whether it is the node's last call
    /// (see <see cref="Node(string, Tensor[], Func{Tensor, bool, Tensor?[]})"/>).
    /// </summary>
    internal static Tensor Record(Tensor result, string name, Func<Tensor, bool, Tensor?[]> backward, params Tensor[] inputs)
    {
        if (!GradMode.IsEnabled) return result;
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any) return result;
        result.RequiresGrad = true; // result is a fresh float32 leaf here, so the setter accepts it
        result.GradFn = new Node(name, inputs, backward);
        StepArena.TrackNode(result.GradFn, result);
        return result;
    }
}
