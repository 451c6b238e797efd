namespace Xent.Autograd;

/// <summary>
/// What a backward function <c>(g, ctx) =&gt; [gradients]</c> gets from the engine besides the gradient
/// <c>g</c> of its node's output: whether this is the node's last use, and the only ways it should make the
/// gradients it returns. A backward written against this never touches the ownership flag:
/// <list type="bullet">
/// <item><see cref="NewGrad(Tensor)"/> rents a buffer from <see cref="BufferPool"/> that the engine may adopt as a
/// leaf's gradient and recycles once it is consumed (the fast path for activation-sized gradients);</item>
/// <item><see cref="Adopt"/> wraps an array the backward has just allocated and keeps no reference to;</item>
/// <item><see cref="HandOver"/> returns a buffer saved in forward: the engine's to adopt on the node's last use,
/// otherwise shared (the engine copies before anything can write to it);</item>
/// <item>any other tensor (<c>g.Reshape(…)</c>, <c>g * b</c>, a new <see cref="Tensor"/>) is returned as is and treated
/// as shared: always safe, at worst one copy at a leaf.</item>
/// </list>
/// </summary>
/// <remarks>
/// The engine makes one context per <see cref="Tensor.Backward(Tensor?, bool)"/> call and reuses it for every node,
/// so a backward must not keep it past its return.
/// </remarks>
internal sealed class BackwardContext
{
    /// <summary>True when the engine frees the node right after this call (Backward without retainGraph).</summary>
    public bool LastUse { get; }

    internal BackwardContext(bool lastUse) => LastUse = lastUse;

    /// <summary>
    /// A gradient of <paramref name="input"/>'s shape over a pooled buffer with unspecified contents: the backward
    /// must write every element. The engine adopts or recycles it.
    /// </summary>
    public Tensor NewGrad(Tensor input) => NewGrad(input.Shape);

    /// <inheritdoc cref="NewGrad(Tensor)"/>
    public Tensor NewGrad(int[] shape) => BufferPool.RentTensor(shape);

    /// <summary>Like <see cref="NewGrad(Tensor)"/>, zero-filled, for a backward that scatters or accumulates into it.</summary>
    public Tensor NewZeroGrad(Tensor input) => NewZeroGrad(input.Shape);

    /// <inheritdoc cref="NewZeroGrad(Tensor)"/>
    public Tensor NewZeroGrad(int[] shape)
    {
        var t = NewGrad(shape);
        t.Data.Clear();
        return t;
    }

    /// <summary>
    /// A gradient over <paramref name="fresh"/>, an array this backward allocated and holds no other reference to
    /// (nor does anything it returns): the engine may adopt it as a leaf's gradient without copying.
    /// </summary>
    public Tensor Adopt(float[] fresh, int[] shape)
    {
        var t = new Tensor(fresh, shape);
        t.IsGradBufferOwned = true;
        return t;
    }

    /// <summary>
    /// A gradient over <paramref name="saved"/>, a buffer this node saved in forward and may be asked for again:
    /// handed to the engine on the node's last use (nothing can read it after), else returned as shared.
    /// </summary>
    public Tensor HandOver(float[] saved, int[] shape)
    {
        var t = new Tensor(saved, shape);
        t.IsGradBufferOwned = LastUse;
        return t;
    }
}
