namespace Xent.Autograd;

/// <summary>
/// One recorded op in the autograd graph: its inputs and the function that maps the gradient of
/// its output to gradients of its inputs. Each op defines that function next to its forward.
/// </summary>
public sealed class Node
{
    /// <summary>
    /// <c>(g, ctx) =&gt; …</c> (the one way to write a backward), or one of the two older forms still used by
    /// cross-entropy and convolution: <c>g =&gt; …</c> and <c>(g, lastUse) =&gt; …</c>.
    /// Null once freed.
    /// </summary>
    private Delegate? _backward;

    private Node(string name, Tensor[] inputs, Delegate backward)
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
    internal Tensor?[] Apply(Tensor gradOutput, BackwardContext ctx) => _backward switch
    {
        Func<Tensor, BackwardContext, Tensor?[]> f => f(gradOutput, ctx),
        Func<Tensor, Tensor?[]> f => f(gradOutput),
        Func<Tensor, bool, Tensor?[]> f => f(gradOutput, ctx.LastUse),
        // BackwardEngine checks IsFreed for every node before applying any, with PyTorch's message.
        _ => throw new InvalidOperationException($"{Name} has been freed."),
    };

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
    /// The older form in which the backward is told whether this is the node's last call and marks
    /// <see cref="Tensor.IsGradBufferOwned"/> by hand; new code records <c>(g, ctx) =&gt; …</c> with <c>Tensor.Record</c>
    /// and uses <see cref="BackwardContext.HandOver"/>.
    /// </summary>
    internal static Tensor Record(Tensor result, string name, Func<Tensor, bool, Tensor?[]> backward, params Tensor[] inputs) =>
        Attach(result, name, backward, inputs);

    /// <summary>
    /// Attaches a node to <paramref name="result"/> (a fresh float32 tensor) when grad mode is on and an input
    /// requires grad; otherwise returns it untouched.
    /// </summary>
    internal static Tensor Attach(Tensor result, string name, Delegate backward, Tensor[] inputs)
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
