namespace Xent.Autograd;

/// <summary>
/// Lends the large activation buffers of one training step and takes them back when the step ends, so a
/// steady-state training loop stops allocating: <c>using (StepArena.Begin()) { zero grads; forward; loss;
/// backward; step; }</c>. Ops that produce activation-sized outputs (convolution, ReLU, max-pool, dropout)
/// draw them from the arena while one is active on the thread; when it is disposed every tensor over that
/// storage (views included) is marked recycled, and using one afterwards throws
/// <see cref="ObjectDisposedException"/> instead of reading reused memory. Every node recorded in the scope
/// is freed with it, so a Backward after the scope fails with a clear error.
/// </summary>
/// <remarks>
/// Take out of the scope only what the step needs later as values (<c>loss.Item()</c>, small outputs such as
/// logits are never arena-backed, and <c>ToArray</c>/<c>Clone</c> copy). Parameters and their gradients are
/// never arena storage. Buffers shorter than 64 Ki floats are ordinary allocations. Scopes nest; each must be
/// disposed on the thread that began it, innermost first.
/// </remarks>
public sealed class StepArena : IDisposable
{
    [ThreadStatic] private static StepArena? t_current;

    private readonly StepArena? _outer;
    private readonly HashSet<float[]> _lent = new(ReferenceEqualityComparer.Instance);
    private readonly List<Tensor> _tensors = [];
    private readonly List<Node> _nodes = [];
    private bool _disposed;

    private StepArena(StepArena? outer) => _outer = outer;

    /// <summary>Starts a scope on this thread; dispose it when the step's tensors are no longer needed.</summary>
    public static StepArena Begin() => t_current = new StepArena(t_current);

    /// <summary>Storage for an op's output: lent by the active arena when there is one and it is large, else a new array.</summary>
    internal static float[] Allocate(int length)
    {
        var arena = t_current;
        if (arena is null || length < BufferPool.MinLength) return GC.AllocateUninitializedArray<float>(length);
        var buffer = BufferPool.Rent(length);
        arena._lent.Add(buffer);
        return buffer;
    }

    /// <summary>Called for every float tensor created: remembers those over storage this thread's arena lent.</summary>
    internal static void Track(Tensor tensor, float[] storage)
    {
        var arena = t_current;
        if (arena is not null && storage.Length >= BufferPool.MinLength && arena._lent.Contains(storage))
            arena._tensors.Add(tensor);
    }

    /// <summary>Called for every recorded node: its backward may read lent storage, so it must not outlive the scope.</summary>
    internal static void TrackNode(Node node) => t_current?._nodes.Add(node);

    /// <summary>Ends the scope: tensors over lent storage become unusable and the storage goes back to the pool.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (!ReferenceEquals(t_current, this))
            throw new InvalidOperationException("StepArena scopes must be disposed on the thread that began them, innermost first.");
        _disposed = true;
        t_current = _outer;
        foreach (var t in _tensors) t.MarkRecycled();
        foreach (var node in _nodes) node.Free("the StepArena it was recorded in has ended and recycled the activations it saved");
        foreach (var buffer in _lent) BufferPool.Return(buffer);
        _tensors.Clear();
        _nodes.Clear();
        _lent.Clear();
    }
}
