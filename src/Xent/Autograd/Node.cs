namespace Xent.Autograd;

/// <summary>
/// One recorded op in the autograd graph: its inputs and the function that maps the gradient of
/// its output to gradients of its inputs. Each op defines that function next to its forward.
/// </summary>
public sealed class Node
{
    /// <summary>
    /// <c>(g, ctx) =&gt; [gradients]</c>, recorded by <see cref="Tensor.Record"/>: the gradient of the output and the
    /// engine's <see cref="BackwardContext"/> to one gradient per input (null: none). Null once freed.
    /// </summary>
    private Func<Tensor, BackwardContext, Tensor?[]>? _backward;

    private Node(string name, Tensor[] inputs, Func<Tensor, BackwardContext, Tensor?[]> backward)
    {
        Name = name;
        Inputs = inputs;
        _backward = backward;
    }

    /// <summary>PyTorch-style name of the backward function, e.g. <c>MulBackward</c>.</summary>
    public string Name { get; }

    internal Tensor[] Inputs { get; private set; }

    internal bool IsFreed => _backward is null;

    /// <summary>Gradients of the inputs (null: none) from <paramref name="gradOutput"/>, the gradient of the output.</summary>
    internal Tensor?[] Apply(Tensor gradOutput, BackwardContext ctx) =>
        // BackwardEngine checks IsFreed for every node before applying any, with PyTorch's message.
        _backward is { } backward ? backward(gradOutput, ctx) : throw new InvalidOperationException($"{Name} has been freed.");

    /// <summary>Why the node was freed, when not by an ordinary Backward (used in the error message).</summary>
    internal string? FreedBecause { get; private set; }

    /// <summary>Drops the saved tensors so their memory can be reclaimed.</summary>
    internal void Free(string? because = null)
    {
        if (!IsFreed) FreedBecause = because;
        _backward = null;
        Inputs = [];
    }

    /// <summary>
    /// Attaches a node to <paramref name="result"/> (a fresh float32 tensor) when grad mode is on and an input
    /// requires grad; otherwise returns it untouched.
    /// </summary>
    internal static Tensor Attach(Tensor result, string name, Func<Tensor, BackwardContext, Tensor?[]> backward, Tensor[] inputs)
    {
        if (!GradMode.IsEnabled) return result;
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any) return result;
        result.RequiresGrad = true;
        result.GradFn = new Node(name, inputs, backward);
        StepArena.TrackNode(result.GradFn, result);
        return result;
    }
}
