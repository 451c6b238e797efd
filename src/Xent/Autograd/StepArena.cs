using System.Runtime.CompilerServices;

namespace Xent.Autograd;

/// <summary>
/// Lends the large activation buffers of one training step and takes them back when the step ends, so a
/// steady-state training loop stops allocating: <c>using (StepArena.Begin()) { zero grads; forward; loss;
/// backward; step; }</c>. Ops that produce activation-sized outputs (convolution, ReLU, max-pool, dropout)
/// draw them from the arena while one is active in the calling code. When it is disposed, every tensor over
/// lent storage (views included, on any thread) is marked recycled, and using one afterwards throws
/// <see cref="ObjectDisposedException"/> instead of reading reused memory; every node recorded in the scope, or
/// recorded anywhere over lent storage, is freed with it, so a Backward after the scope fails with a clear error.
/// </summary>
/// <remarks>
/// Take out of the scope only values (<c>loss.Item()</c>) or copies (<c>ToArray</c>, <c>Clone</c>); which outputs
/// are lent depends on the op (the four above) and the size (at least 64 Ki floats), so treat every tensor made
/// in the scope as living only as long as it. Parameters and their gradients are never lent. Scopes nest and end
/// innermost first. A scope belongs to the code that began it, not to a thread: it follows that code's
/// <see cref="ExecutionContext"/>, so a <c>using</c> around an <c>await</c> lends to that method before and after the
/// await, whichever thread it resumes on, and never to other requests that run on the same thread meanwhile; work it
/// starts (<c>Task.Run</c>, <c>Parallel.For</c>) is lent by it too. A scope that is never disposed keeps lending, and
/// keeps everything made in it alive: always write <c>using</c>. Ending a scope while another thread is still inside
/// an op on its tensors is a race the checks cannot catch (they run when an op starts): end it when its work is done.
/// A <see cref="Span{T}"/> taken from <see cref="Tensor.Data"/> inside the scope is not checked: do not keep one past it.
/// </remarks>
public sealed class StepArena : IDisposable
{
    // ExecutionContext-bound, not [ThreadStatic]: a thread-bound scope held across an await lent its buffers to whatever
    // else ran on that thread meanwhile, and recycled them under it when the scope ended.
    private static readonly AsyncLocal<StepArena?> s_current = new();

    /// <summary>Which arena lent a buffer; weak, so a buffer dropped by everyone is not kept alive by the map.</summary>
    private static readonly ConditionalWeakTable<float[], StepArena> s_lender = new();

    private readonly StepArena? _outer;
    private readonly List<float[]> _lent = [];
    private readonly List<Tensor> _tensors = [];
    private readonly List<Node> _nodes = [];
    private readonly Lock _lock = new();
    private volatile bool _disposed;

    private StepArena(StepArena? outer) => _outer = outer;

    /// <summary>Starts a scope here; dispose it when the step's tensors are no longer needed.</summary>
    public static StepArena Begin()
    {
        var arena = new StepArena(Current);
        s_current.Value = arena;
        return arena;
    }

    /// <summary>The innermost live arena here, passing over any that were disposed from elsewhere.</summary>
    private static StepArena? Current
    {
        get
        {
            var arena = s_current.Value;
            while (arena is { _disposed: true }) arena = arena._outer;
            return arena;
        }
    }

    /// <summary>Whether this arena encloses <paramref name="inner"/>, a scope still open in the disposing code.</summary>
    private bool Encloses(StepArena? inner)
    {
        for (var a = inner?._outer; a is not null; a = a._outer)
            if (ReferenceEquals(a, this)) return true;
        return false;
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
    /// <exception cref="InvalidOperationException">Disposed while a scope begun inside it is still open.</exception>
    public void Dispose()
    {
        if (_disposed) return;
        var current = Current;
        if (Encloses(current))
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
        if (ReferenceEquals(current, this)) s_current.Value = _outer;
    }
}
