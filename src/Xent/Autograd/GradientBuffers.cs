using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Xent.Autograd;

/// <summary>
/// The ownership rules for gradient buffers, applied by <see cref="BackwardEngine"/> around every node so that
/// backward functions need not know them. A gradient marked <see cref="Tensor.IsGradBufferOwned"/> (by
/// <see cref="BackwardContext"/>) is the engine's: it may adopt it as a leaf's <see cref="Tensor.Grad"/>, add into
/// it, and give its buffer back to <see cref="BufferPool"/> once the node that consumed it has run. Everything
/// else is shared: read, never written, copied where it would become reachable by the user.
/// </summary>
internal static class GradientBuffers
{
    /// <summary>
    /// After a node consumed <paramref name="consumed"/> and returned <paramref name="returned"/>: ownership
    /// is withdrawn from anything handed out twice, and the consumed buffer goes back to the pool, or passes to
    /// the one returned gradient over the same storage (Reshape's backward returns a view of its input).
    /// </summary>
    public static Tensor?[] Settle(Tensor consumed, Tensor?[] returned)
    {
        bool consumedOwned = consumed.IsGradBufferOwned;
        DisownShared(returned, consumed);
        if (consumedOwned) Release(consumed, returned);
        return returned;
    }

    /// <summary>
    /// A returned gradient stays owned only if it is handed out once: not the incoming gradient passed
    /// through (Clone, Add), not the same storage returned for two inputs (Add returns g twice).
    /// </summary>
    private static void DisownShared(Tensor?[] grads, Tensor incoming)
    {
        incoming.IsGradBufferOwned = false; // consumed: the node may have returned it or a view of it
        for (int k = 0; k < grads.Length; k++)
        {
            var a = grads[k];
            if (a is null || !a.IsGradBufferOwned) continue;
            // By storage, not identity: a view of the same buffer returned for another input shares it too.
            for (int j = 0; j < grads.Length; j++)
                if (j != k && grads[j] is { } b && SameStorage(a, b)) { a.IsGradBufferOwned = false; break; }
        }
    }

    private static bool SameStorage(Tensor a, Tensor b) =>
        ReferenceEquals(a, b) || (a.TryGetStorage(out var sa) && b.TryGetStorage(out var sb) && ReferenceEquals(sa, sb));

    private static void Release(Tensor consumed, Tensor?[] returned)
    {
        if (consumed.DType != DType.Float32) return;
        var storage = consumed.FloatArray;
        Tensor? heir = null;
        int sharing = 0;
        foreach (var r in returned)
        {
            if (r is null || r.DType != DType.Float32 || !ReferenceEquals(r.FloatArray, storage)) continue;
            heir = r;
            sharing++;
        }
        if (sharing == 0) BufferPool.Return(storage);
        else if (sharing == 1) heir!.IsGradBufferOwned = true;
    }

    /// <summary>
    /// Two gradients of one input, summed into an owned one when there is one (a + b = b + a in
    /// IEEE arithmetic, so the order does not change the result), else into a new owned tensor.
    /// </summary>
    public static Tensor Add(Tensor existing, Tensor ig)
    {
        if (ReferenceEquals(existing, ig)) { existing.IsGradBufferOwned = false; ig = existing; }
        var into = existing.IsGradBufferOwned ? existing : ig.IsGradBufferOwned ? ig : null;
        if (into is not null)
        {
            var other = ReferenceEquals(into, existing) ? ig : existing;
            TensorPrimitives.Add(into.Data, other.Data, into.Data);
            if (other.IsGradBufferOwned) BufferPool.Return(other.FloatArray);
            return into;
        }
        var sum = existing + ig;
        sum.IsGradBufferOwned = true;
        return sum;
    }

    /// <summary>
    /// First gradient of a leaf: adopted when the engine owns its buffer (no copy of N×C floats), else
    /// copied, so <see cref="Tensor.Grad"/> never aliases a tensor the user or a retained graph can reach.
    /// Later gradients add into <see cref="Tensor.Grad"/> in place, as PyTorch accumulates (an owned one then
    /// goes back to the pool). Backward passes on several threads may share leaves (parameters), so a leaf's accumulation
    /// holds a lock, as PyTorch's AccumulateGrad does: no contribution is lost, though their order (and so the last bits of
    /// the sum) follows the threads'.
    /// </summary>
    public static void AccumulateLeaf(Tensor leaf, Tensor g)
    {
        lock (s_leafLocks[(RuntimeHelpers.GetHashCode(leaf) & int.MaxValue) % s_leafLocks.Length])
        {
            if (leaf.Grad is null)
            {
                leaf.GradUnchecked = g.IsGradBufferOwned ? g : g.Detach().Clone();
                g.IsGradBufferOwned = false; // now reachable by the user
                return;
            }
            TensorPrimitives.Add(leaf.Grad.Data, g.Data, leaf.Grad.Data);
        }
        if (g.IsGradBufferOwned) BufferPool.Return(g.FloatArray);
    }

    /// <summary>Striped locks for <see cref="AccumulateLeaf"/>: no field on every tensor, and rarely a shared stripe.</summary>
    private static readonly Lock[] s_leafLocks = [.. Enumerable.Range(0, 64).Select(_ => new Lock())];
}
