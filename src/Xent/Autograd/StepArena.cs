using System.Runtime.CompilerServices;

namespace Xent.Autograd;

/// <summary>
/// Lends the large activation buffers of one training step and takes them back when the step ends, so a
/// steady-state training loop stops allocating: <c>using (StepArena.Begin()) { zero grads; forward; loss;
/// backward; step; }</c>. Ops that produce activation-sized outputs (convolution, ReLU, max-pool, dropout)
/// draw them from the arena while one is active on the calling thread. When it is disposed, every tensor over
/// lent storage (views included, on any thread) is marked recycled, and using one afterwards throws
/// <see cref="ObjectDisposedException"/> instead of reading reused memory; every node recorded in the scope, or
/// recorded anywhere over lent storage, is freed with it, so a Backward after the scope fails with a clear error.
/// </summary>
/// <remarks>
/// Take out of the scope only values (<c>loss.Item()</c>) or copies (<c>ToArray</c>, <c>Clone</c>); which outputs
/// are lent depends on the op (the four above) and the size (at least 64 Ki floats), so treat every tensor made
/// in the scope as living only as long as it. Parameters and their gradients are never lent. Scopes nest and end
/// innermost first; a scope may be disposed on another thread (a <c>using</c> around an <c>await</c>), and the
/// thread that began it then leaves it behind on its next op. A scope that is never disposed keeps lending, and
/// keeps everything made in it alive: always write <c>using</c>. A <see cref="Span{T}"/> taken from
/// <see cref="Tensor.Data"/> inside the scope is not checked: do not keep one past it.
/// </remarks>
public sealed class StepArena : IDisposable
{
    [ThreadStatic] private static StepArena? t_current;

    /// <summary>Which arena lent a buffer; weak, so a buffer dropped by everyone is not kept alive by the map.</summary>
    private static readonly ConditionalWeakTable<float[], StepArena> s_lender = new();

    private readonly StepArena? _outer;
    private readonly int _threadId = Environment.CurrentManagedThreadId;
    private readonly List<float[]> _lent = [];
    private readonly List<Tensor> _tensors = [];
    private readonly List<Node> _nodes = [];
    private readonly Lock _lock = new();
    private volatile bool _disposed;

    private StepArena(StepArena? outer) => _outer = outer;

    /// <summary>Starts a scope on this thread; dispose it when the step's tensors are no longer needed.</summary>
    public static StepArena Begin() => t_current = new StepArena(Current);

    /// <summary>This thread's innermost live arena, leaving behind any that were disposed from another thread.</summary>
    private static StepArena? Current
    {
        get
        {
            var arena = t_current;
            while (arena is { _disposed: true }) arena = arena._outer;
            return t_current = arena;
        }
    }

    /// <summary>Storage for an op's output: lent by the active arena when there is one and it is large, else a new array.</summary>
    internal static float[] Allocate(int length)
    {
        var arena = length >= BufferPool.MinLength ? Current : null;
        if (arena is null) return GC.AllocateUninitializedArray<float>(length);
        var buffer = BufferPool.Rent(length);
        lock (arena._lock) arena._lent.Add(buffer);
        s_lender.AddOrUpdate(buffer, arena);
        return buffer;
    }

    /// <summary>Called for every float tensor created (on any thread): remembers those over lent storage.</summary>
    internal static void Track(Tensor tensor, float[] storage)
    {
        if (storage.Length < BufferPool.MinLength || !s_lender.TryGetValue(storage, out var lender)) return;
        lock (lender._lock)
        {
            if (lender._disposed) tensor.MarkRecycled(); // made from a recycled tensor's array: as unusable as it
            else lender._tensors.Add(tensor);
        }
    }

    /// <summary>
    /// Called for every recorded node: its backward may read lent storage (its output's, or its inputs'), so it
    /// must not outlive the arenas that lent them.
    /// </summary>
    internal static void TrackNode(Node node, Tensor output)
    {
        Current?.Hold(node);
        foreach (var t in node.Inputs) LenderOf(t)?.Hold(node);
        LenderOf(output)?.Hold(node);
    }

    private static StepArena? LenderOf(Tensor t) =>
        t.DType == DType.Float32 && t.NumEl >= BufferPool.MinLength && t.TryGetStorage(out var s) && s_lender.TryGetValue(s, out var a)
            ? a
            : null;

    private void Hold(Node node)
    {
        lock (_lock)
        {
            if (_disposed) node.Free(FreedReason);
            else _nodes.Add(node);
        }
    }

    private const string FreedReason = "the StepArena it was recorded in has ended and recycled the activations it saved";

    /// <summary>
    /// Ends the scope: tensors over lent storage become unusable, the nodes that could read it are freed, and the
    /// storage goes back to the pool.
    /// </summary>
    /// <exception cref="InvalidOperationException">Disposed on the thread that began it while an inner scope is still open.</exception>
    public void Dispose()
    {
        if (_disposed) return;
        bool ownThread = Environment.CurrentManagedThreadId == _threadId;
        if (ownThread && !ReferenceEquals(Current, this))
            throw new InvalidOperationException("StepArena scopes end innermost first: dispose the inner scope before this one.");
        lock (_lock)
        {
            _disposed = true;
            foreach (var t in _tensors) t.MarkRecycled();
            foreach (var node in _nodes) node.Free(FreedReason);
            foreach (var buffer in _lent)
            {
                s_lender.Remove(buffer);
                BufferPool.Return(buffer);
            }
            _tensors.Clear();
            _nodes.Clear();
            _lent.Clear();
        }
        if (ownThread) t_current = _outer;
    }
}
