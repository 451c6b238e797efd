using System.Buffers;
using System.Runtime.CompilerServices;

namespace Xent.Kernels;

/// <summary>The row walks, and the scalar references' row max and log-sum, that cross-entropy and focal loss share.</summary>
internal static unsafe class ClassIndexRows
{
    /// <summary>
    /// <see cref="Forward{TLoss}"/> over all rows in parallel chunks of <see cref="SoftmaxKernel.RowsPerChunk"/> rows, the
    /// chunks' sums combined in chunk order. The caller has checked the arguments.
    /// </summary>
    public static CrossEntropyTotals ForwardAll<TLoss>(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int rows, int classes,
        ReadOnlySpan<float> weight, long ignoreIndex, TLoss rowLoss, Span<float> loss, Span<float> rowMax, Span<float> rowLogSum)
        where TLoss : struct, IRowLoss
    {
        int rpc = SoftmaxKernel.RowsPerChunk(classes);
        var lossPart = new double[KernelParallel.ChunkCount(rows, rpc)];
        var weightPart = new double[lossPart.Length];
        fixed (float* px = logits, pw = weight, pl = loss, pm = rowMax, ps = rowLogSum)
        fixed (long* pt = targets)
        {
            PinnedSpan<float> x = new(px, logits.Length), w = new(pw, weight.Length), l = new(pl, loss.Length);
            PinnedSpan<float> m = new(pm, rowMax.Length), ls = new(ps, rowLogSum.Length);
            PinnedSpan<long> t = new(pt, targets.Length);
            KernelParallel.ForChunks(rows, rpc, classes, (chunk, r0, r1) =>
                (lossPart[chunk], weightPart[chunk]) = Forward(r0, r1, x, t, classes, w, ignoreIndex, rowLoss, l, m, ls));
        }
        return new CrossEntropyTotals(PartialSums.SumInOrder(lossPart), PartialSums.SumInOrder(weightPart));
    }

    /// <summary>
    /// <see cref="ForwardBackward{TLoss}"/> over all rows in the chunks of <see cref="ForwardAll{TLoss}"/>, the chunks' sums
    /// combined in chunk order. The caller has checked the arguments.
    /// </summary>
    public static CrossEntropyTotals ForwardBackwardAll<TLoss>(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int rows,
        int classes, ReadOnlySpan<float> weight, long ignoreIndex, TLoss rowLoss, Span<float> gradLogits, Span<float> loss)
        where TLoss : struct, IRowLoss
    {
        int rpc = SoftmaxKernel.RowsPerChunk(classes);
        var lossPart = new double[KernelParallel.ChunkCount(rows, rpc)];
        var weightPart = new double[lossPart.Length];
        fixed (float* px = logits, pw = weight, pl = loss, pdx = gradLogits)
        fixed (long* pt = targets)
        {
            PinnedSpan<float> x = new(px, logits.Length), w = new(pw, weight.Length), l = new(pl, loss.Length);
            PinnedSpan<float> dx = new(pdx, gradLogits.Length);
            PinnedSpan<long> t = new(pt, targets.Length);
            KernelParallel.ForChunks(rows, rpc, classes, (chunk, r0, r1) =>
                (lossPart[chunk], weightPart[chunk]) = ForwardBackward(r0, r1, x, t, classes, w, ignoreIndex, rowLoss, dx, l));
        }
        return new CrossEntropyTotals(PartialSums.SumInOrder(lossPart), PartialSums.SumInOrder(weightPart));
    }

    /// <summary>
    /// Rows [r0, r1) of a class-index loss: each row's m and l (into <paramref name="rowMax"/> and <paramref name="rowLogSum"/>
    /// unless empty) and its loss (0 for an ignored row; into <paramref name="loss"/> unless empty). Returns the rows'
    /// Σ loss and Σ w[t_i] (0 for an ignored row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Loss, double Weight) Forward<TLoss>(int r0, int r1, ReadOnlySpan<float> logits, ReadOnlySpan<long> targets,
        int classes, ReadOnlySpan<float> w, long ignoreIndex, TLoss rowLoss,
        Span<float> loss, Span<float> rowMax, Span<float> rowLogSum) where TLoss : struct, IRowLoss
    {
        double lsum = 0, wsum = 0;
        for (int r = r0; r < r1; r++)
        {
            var x = logits.Slice(r * classes, classes);
            float m = VectorMath.MaxLogSumExp(x, out float logSum);
            if (!rowMax.IsEmpty) rowMax[r] = m;
            if (!rowLogSum.IsEmpty) rowLogSum[r] = logSum;
            long t = targets[r];
            float li = 0f, wt = 0f;
            if (t != ignoreIndex)
            {
                wt = w.IsEmpty ? 1f : w[(int)t];
                li = rowLoss.Loss(x, (int)t, m, logSum, w, wt);
            }
            if (!loss.IsEmpty) loss[r] = li;
            lsum += li;
            wsum += wt;
        }
        return (lsum, wsum);
    }

    /// <summary>
    /// Rows [r0, r1) of a fused forward + backward: each row's max is read from memory once, e^(x − m) goes into a
    /// per-thread scratch row that stays in cache (one exp per element), and <paramref name="rowLoss"/> writes the
    /// gradient row from it (an ignored row's is cleared). Returns their Σ loss and Σ w[t_i].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double Loss, double Weight) ForwardBackward<TLoss>(int r0, int r1, ReadOnlySpan<float> logits,
        ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> w, long ignoreIndex, TLoss rowLoss, Span<float> gradLogits,
        Span<float> loss) where TLoss : struct, IRowLoss
    {
        double lsum = 0, wsum = 0;
        float[] scratch = ArrayPool<float>.Shared.Rent(classes);
        var e = scratch.AsSpan(0, classes);
        for (int r = r0; r < r1; r++)
        {
            var x = logits.Slice(r * classes, classes);
            var dx = gradLogits.Slice(r * classes, classes);
            long t = targets[r];
            float li = 0f, wt = 0f;
            if (t == ignoreIndex) dx.Clear();
            else
            {
                int ti = (int)t;
                wt = w.IsEmpty ? 1f : w[ti];
                float m = VectorMath.Max(x);
                float s = VectorMath.ExpStoreSum(x, m, e);
                li = rowLoss.LossAndGradient(x, ti, m, e, s, w, wt, dx);
            }
            if (!loss.IsEmpty) loss[r] = li;
            lsum += li;
            wsum += wt;
        }
        ArrayPool<float>.Shared.Return(scratch);
        return (lsum, wsum);
    }

    /// <summary>The scalar references' row max: <see cref="MathF.Max"/> element by element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ScalarMax(ReadOnlySpan<float> x)
    {
        float m = float.NegativeInfinity;
        foreach (float v in x) m = MathF.Max(m, v);
        return m;
    }

    /// <summary>The scalar references' l = log Σ e^(x − m), with <see cref="MathF.Exp"/> summed in float32 in order.</summary>
    public static float ScalarLogSum(ReadOnlySpan<float> x, float m)
    {
        float s = 0f;
        foreach (float v in x) s += MathF.Exp(v - m);
        return MathF.Log(s);
    }
}
