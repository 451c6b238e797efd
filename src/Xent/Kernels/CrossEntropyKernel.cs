using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Kernels;

/// <summary>
/// Cross-entropy over the rows of row-major (N, C) logits x, with PyTorch 1.13's semantics
/// (aten/src/ATen/native/LossNLL.cpp: <c>cross_entropy_loss_label_smoothing</c>,
/// <c>cross_entropy_loss_prob_target</c>).
/// <para>Per row, with m = max_c x_c, l = log Σ_c e^(x_c − m), lp_c = (x_c − m) − l (log-softmax),
/// p_c = e^(lp_c), weight w (all ones when absent), W = Σ_c w_c, label smoothing ε:</para>
/// <para><b>Class-index targets t_i</b> (rows with t_i == ignoreIndex give loss 0, weight 0, gradient 0;
/// ignoreIndex may be a valid class and then wins):</para>
/// <code>
/// loss_i = (1 − ε)·(−w[t_i]·lp_t) + (ε/C)·Σ_c (−w_c·lp_c)
/// mean   = Σ_i loss_i / Σ_{i not ignored} w[t_i]          (NaN = 0/0 when every row is ignored)
/// dloss_i/dx_c = (1 − ε)·w[t_i]·(p_c − [c = t_i]) + (ε/C)·(W·p_c − w_c)
/// </code>
/// <para>Quirk: the smoothing term is weighted per class (w_c, not w[t_i]) yet 'mean' divides it by the
/// same Σ w[t_i] as the NLL term, so a weighted, smoothed mean is not a weighted average of the rows.</para>
/// <para>With ε &gt; 0 and a class weight or upstream factor that is NaN or ±inf, these closed forms would meet inf·0
/// where PyTorch's term-by-term computation does not; such calls take the slow forms of CrossEntropyKernel.ExactSmoothing.cs.</para>
/// <para><b>Probability targets</b> q (rows of C), smoothed q' = q·(1 − ε) + ε/C:</para>
/// <code>
/// loss_i = −Σ_c w_c·q'_c·lp_c
/// mean   = Σ_i loss_i / N        (rows, not weights: the second quirk)
/// dloss_i/dx_c = (Σ_k w_k·q'_k)·p_c − w_c·q'_c
/// </code>
/// <para>Logits may be −inf (p = 0; a −inf target logit gives loss +inf, and with ε &gt; 0 any −inf logit
/// does); |x| up to float max is safe (max subtraction); NaN propagates; a row of all −inf is NaN.
/// Sums over rows are float64 per fixed chunk of rows, combined in chunk order.</para>
/// <para>K-dimensional inputs (N, C, d1..dk) are the caller's to lay out as (N·d1..dk, C) rows
/// (targets (N, d1..dk) flatten in the same order); an unbatched (C) input is one row.</para>
/// </summary>
internal static unsafe partial class CrossEntropyKernel
{
    /// <summary>Throws when a target is neither in [0, <paramref name="classes"/>) nor <paramref name="ignoreIndex"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">"Target 12 is out of bounds." (PyTorch's wording).</exception>
    public static void ValidateTargets(ReadOnlySpan<long> targets, int classes, long ignoreIndex)
    {
        int i = FirstInvalidTarget(targets, classes, ignoreIndex);
        // PyTorch's wording, nothing appended
        if (i >= 0) throw new ArgumentOutOfRangeException(null, $"Target {targets[i]} is out of bounds.");
    }

    /// <summary>Index of the first target outside [0, C) that is not <paramref name="ignoreIndex"/>, or −1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int FirstInvalidTarget(ReadOnlySpan<long> targets, int classes, long ignoreIndex)
    {
        ref long p = ref MemoryMarshal.GetReference(targets);
        int n = targets.Length, i = 0;
        // Vectors of targets are checked at once (as unsigned, negatives are huge); a bad vector is searched by the scalar loop.
        if (Vector512.IsHardwareAccelerated)
        {
            var c = Vector512.Create((ulong)classes);
            var ig = Vector512.Create(ignoreIndex);
            for (; i <= n - 8; i += 8)
            {
                var v = Vector512.LoadUnsafe(ref p, (nuint)i);
                if (!Vector512.EqualsAll(Vector512.GreaterThanOrEqual(v.AsUInt64(), c) & ~Vector512.Equals(v, ig).AsUInt64(),
                    Vector512<ulong>.Zero)) break;
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var c = Vector256.Create((ulong)classes);
            var ig = Vector256.Create(ignoreIndex);
            for (; i <= n - 4; i += 4)
            {
                var v = Vector256.LoadUnsafe(ref p, (nuint)i);
                if (!Vector256.EqualsAll(Vector256.GreaterThanOrEqual(v.AsUInt64(), c) & ~Vector256.Equals(v, ig).AsUInt64(),
                    Vector256<ulong>.Zero)) break;
            }
        }
        for (; i < n; i++)
        {
            long t = Unsafe.Add(ref p, i);
            if ((ulong)t >= (ulong)classes && t != ignoreIndex) return i;
        }
        return -1;
    }

    /// <summary>
    /// PyTorch's 'mean' denominator: Σ w[t_i] over rows whose target is not <paramref name="ignoreIndex"/>
    /// (the count of such rows when <paramref name="weight"/> is empty). Targets must be valid.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double TargetWeightSum(ReadOnlySpan<long> targets, ReadOnlySpan<float> weight, long ignoreIndex)
    {
        if (weight.IsEmpty) return targets.Length - CountIgnored(targets, ignoreIndex);
        double s = 0;
        foreach (long t in targets)
            if (t != ignoreIndex) s += weight[(int)t];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long CountIgnored(ReadOnlySpan<long> targets, long ignoreIndex)
    {
        ref long p = ref MemoryMarshal.GetReference(targets);
        int n = targets.Length, i = 0;
        long count = 0;
        if (Vector512.IsHardwareAccelerated && n >= 8)
        {
            // Equal lanes are all ones (−1): subtracting counts them.
            var ig = Vector512.Create(ignoreIndex);
            var acc = Vector512<long>.Zero;
            for (; i <= n - 8; i += 8) acc -= Vector512.Equals(Vector512.LoadUnsafe(ref p, (nuint)i), ig);
            count = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 4)
        {
            var ig = Vector256.Create(ignoreIndex);
            var acc = Vector256<long>.Zero;
            for (; i <= n - 4; i += 4) acc -= Vector256.Equals(Vector256.LoadUnsafe(ref p, (nuint)i), ig);
            count = Vector256.Sum(acc);
        }
        for (; i < n; i++) if (Unsafe.Add(ref p, i) == ignoreIndex) count++;
        return count;
    }

    /// <summary>
    /// Forward pass with class-index targets: one online-softmax pass per row (plus one more when
    /// ε &gt; 0). Writes per-row loss and the row max m and log-sum l saved for <see cref="Backward"/>.
    /// Any output span may be empty to skip it.
    /// </summary>
    /// <param name="logits">(N, C) row-major.</param>
    /// <param name="targets">(N) class indices.</param>
    /// <param name="classes">C.</param>
    /// <param name="weight">(C) class weights, or empty.</param>
    /// <param name="ignoreIndex">Target value whose rows are skipped.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="loss">(N) per-row loss, or empty.</param>
    /// <param name="rowMax">(N) m, or empty.</param>
    /// <param name="rowLogSum">(N) l, or empty.</param>
    /// <returns>Σ loss and the 'mean' denominator.</returns>
    /// <exception cref="ArgumentException">Shapes disagree or ε is outside [0, 1].</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is out of bounds.</exception>
    public static CrossEntropyTotals Forward(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes,
        ReadOnlySpan<float> weight, long ignoreIndex, float labelSmoothing,
        Span<float> loss, Span<float> rowMax, Span<float> rowLogSum)
    {
        int rows = CheckArgs(logits, targets.Length, classes, weight, labelSmoothing);
        KernelArgs.EmptyOrLength(rows, loss.Length, nameof(loss));
        KernelArgs.EmptyOrLength(rows, rowMax.Length, nameof(rowMax));
        KernelArgs.EmptyOrLength(rows, rowLogSum.Length, nameof(rowLogSum));
        ValidateTargets(targets, classes, ignoreIndex);
        if (SmoothingMeetsNonFiniteWeight(weight, labelSmoothing))
            return WithZeroWeightMean(ForwardScalar(logits, targets, classes, weight, ignoreIndex, labelSmoothing, loss, rowMax, rowLogSum),
                logits, targets, classes, weight, ignoreIndex, labelSmoothing);
        var totals = ClassIndexRows.ForwardAll(logits, targets, rows, classes, weight, ignoreIndex,
            new SmoothedRowLoss(SmoothingWeightTotal(weight, classes, labelSmoothing), labelSmoothing), loss, rowMax, rowLogSum);
        return WithZeroWeightMean(totals, logits, targets, classes, weight, ignoreIndex, labelSmoothing);
    }

    /// <summary>
    /// A row's label-smoothed, class-weighted cross-entropy (<see cref="RowLoss"/>) and, in the fused pass, its gradient
    /// times <paramref name="g"/>, streamed past the caches when <paramref name="streaming"/>.
    /// </summary>
    private readonly struct SmoothedRowLoss(float wSum, float eps, float g = 0f, bool streaming = false) : IRowLoss
    {
        public float Loss(ReadOnlySpan<float> x, int t, float m, float logSum, ReadOnlySpan<float> w, float wt) =>
            RowLoss(x, t, m, logSum, w, wt, wSum, eps);

        public float LossAndGradient(ReadOnlySpan<float> x, int t, float m, ReadOnlySpan<float> e, float s, ReadOnlySpan<float> w,
            float wt, Span<float> dx)
        {
            float li = RowLoss(x, t, m, MathF.Log(s), w, wt, wSum, eps);
            int classes = x.Length;
            float a = g * ((1f - eps) * wt + eps / classes * wSum) / s, b = SmoothingScale(g, eps, classes);
            var ws = SmoothingWeights(w, eps);
            VectorMath.ScaleSub(e, a, b, ws, dx, streaming);
            // The target's entry is written, not read back from a streamed line.
            dx[t] = a * e[t] - (ws.IsEmpty ? b : b * ws[t]) - g * ((1f - eps) * wt);
            return li;
        }
    }

    /// <summary>Scalar, single-threaded reference for <see cref="Forward"/> (two passes per row, <see cref="MathF.Exp"/>).</summary>
    internal static CrossEntropyTotals ForwardScalar(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes,
        ReadOnlySpan<float> weight, long ignoreIndex, float labelSmoothing,
        Span<float> loss, Span<float> rowMax, Span<float> rowLogSum)
    {
        int rows = CheckArgs(logits, targets.Length, classes, weight, labelSmoothing);
        ValidateTargets(targets, classes, ignoreIndex);
        bool weighted = !weight.IsEmpty;
        float eps = labelSmoothing;
        double lsum = 0, wsum = 0;
        for (int r = 0; r < rows; r++)
        {
            var x = logits.Slice(r * classes, classes);
            float m = ClassIndexRows.ScalarMax(x), logSum = ClassIndexRows.ScalarLogSum(x, m);
            if (!rowMax.IsEmpty) rowMax[r] = m;
            if (!rowLogSum.IsEmpty) rowLogSum[r] = logSum;
            long t = targets[r];
            float li = 0f, wt = 0f;
            if (t != ignoreIndex)
            {
                wt = weighted ? weight[(int)t] : 1f;
                li = wt * -(x[(int)t] - m - logSum);
                if (eps > 0f)
                {
                    float smooth = 0f;
                    for (int c = 0; c < classes; c++) smooth -= (weighted ? weight[c] : 1f) * (x[c] - m - logSum);
                    li = (1f - eps) * li + eps / classes * smooth;
                }
            }
            if (!loss.IsEmpty) loss[r] = li;
            lsum += li;
            wsum += wt;
        }
        return new CrossEntropyTotals(lsum, wsum);
    }

    /// <summary>
    /// Backward with class-index targets: dx_i = g_i·[(1 − ε)·w[t_i]·(p − onehot(t_i)) + (ε/C)·(W·p − w)],
    /// 0 for ignored rows. <paramref name="rowGrad"/> holds g_i per row, or a single value for all rows
    /// (e.g. upstream / denominator for 'mean').
    /// </summary>
    public static void Backward(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes,
        ReadOnlySpan<float> weight, long ignoreIndex, float labelSmoothing,
        ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad, Span<float> gradLogits)
    {
        int rows = CheckArgs(logits, targets.Length, classes, weight, labelSmoothing);
        CheckBackward(rows, classes, rowMax, rowLogSum, rowGrad, gradLogits);
        ValidateTargets(targets, classes, ignoreIndex);
        if (SmoothingNeedsExactBackward(weight, labelSmoothing, rowGrad))
        {
            BackwardExactSmoothing(logits, targets, classes, weight, ignoreIndex, labelSmoothing, rowMax, rowLogSum, rowGrad, gradLogits);
            return;
        }
        float eps = labelSmoothing, wSum = SmoothingWeightTotal(weight, classes, eps);
        fixed (float* px = logits, pw = weight, pm = rowMax, ps = rowLogSum, pg = rowGrad, pdx = gradLogits)
        fixed (long* pt = targets)
        {
            PinnedSpan<float> x = new(px, logits.Length), w = new(pw, weight.Length), m = new(pm, rowMax.Length);
            PinnedSpan<float> ls = new(ps, rowLogSum.Length), g = new(pg, rowGrad.Length), dx = new(pdx, gradLogits.Length);
            PinnedSpan<long> t = new(pt, targets.Length);
            KernelParallel.ForChunks(rows, SoftmaxKernel.RowsPerChunk(classes), classes, (_, r0, r1) =>
                BackwardRows(r0, r1, x, t, classes, w, wSum, ignoreIndex, eps, m, ls, g, dx));
        }
    }

    /// <summary>Rows [r0, r1) of <see cref="Backward"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRows(int r0, int r1, ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes,
        ReadOnlySpan<float> w, float wSum, long ignoreIndex, float eps,
        ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad, Span<float> gradLogits)
    {
        for (int r = r0; r < r1; r++)
        {
            var dx = gradLogits.Slice(r * classes, classes);
            long t = targets[r];
            if (t == ignoreIndex) { dx.Clear(); continue; }
            float g = rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r];
            float wt = w.IsEmpty ? 1f : w[(int)t];
            float a = (1f - eps) * wt + eps / classes * wSum;
            VectorMath.ExpAffine(logits.Slice(r * classes, classes), rowMax[r], rowLogSum[r], g * a, SmoothingScale(g, eps, classes),
                SmoothingWeights(w, eps), dx);
            dx[(int)t] -= g * ((1f - eps) * wt);
        }
    }

    /// <summary>Scalar, single-threaded reference for <see cref="Backward"/>.</summary>
    internal static void BackwardScalar(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes,
        ReadOnlySpan<float> weight, long ignoreIndex, float labelSmoothing,
        ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad, Span<float> gradLogits)
    {
        int rows = CheckArgs(logits, targets.Length, classes, weight, labelSmoothing);
        CheckBackward(rows, classes, rowMax, rowLogSum, rowGrad, gradLogits);
        ValidateTargets(targets, classes, ignoreIndex);
        if (SmoothingNeedsExactBackward(weight, labelSmoothing, rowGrad))
        {
            BackwardExactSmoothing(logits, targets, classes, weight, ignoreIndex, labelSmoothing, rowMax, rowLogSum, rowGrad, gradLogits);
            return;
        }
        bool weighted = !weight.IsEmpty;
        float eps = labelSmoothing, wSum = SmoothingWeightTotal(weight, classes, eps);
        for (int r = 0; r < rows; r++)
        {
            var x = logits.Slice(r * classes, classes);
            var dx = gradLogits.Slice(r * classes, classes);
            long t = targets[r];
            if (t == ignoreIndex) { dx.Clear(); continue; }
            float g = rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r];
            float wt = weighted ? weight[(int)t] : 1f;
            for (int c = 0; c < classes; c++)
            {
                float p = MathF.Exp(x[c] - rowMax[r] - rowLogSum[r]);
                float wc = weighted ? weight[c] : 1f;
                float smooth = eps > 0f ? eps / classes * (wSum * p - wc) : 0f; // no 0·inf for an unused infinite weight
                dx[c] = g * ((1f - eps) * wt * (p - (c == t ? 1f : 0f)) + smooth);
            }
        }
    }

    /// <summary>Gradients at least this large are written with non-temporal stores by the fused path.</summary>
    internal const long StreamingBytes = 8L << 20;

    /// <summary>
    /// Fused forward + backward for training: each row of logits is read from memory once (its max),
    /// e^(x − m) goes into a per-thread scratch row that stays in cache (one exp per element), and the
    /// gradient row is written once from it, streamed past the caches when the gradient exceeds
    /// 8 MiB, so memory sees one read of the logits and one write of the gradient, as a copy does
    /// (no read-for-ownership of gradient lines). Every row uses the same upstream factor
    /// <paramref name="gradScale"/> (1 for 'sum', 1/denominator for 'mean'; see <see cref="ForwardBackwardMean"/>).
    /// </summary>
    /// <returns>Σ loss and the 'mean' denominator.</returns>
    public static CrossEntropyTotals ForwardBackward(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes,
        ReadOnlySpan<float> weight, long ignoreIndex, float labelSmoothing, float gradScale,
        Span<float> gradLogits, Span<float> loss = default)
    {
        int rows = CheckArgs(logits, targets.Length, classes, weight, labelSmoothing);
        KernelArgs.SameLength(logits.Length, gradLogits.Length, nameof(gradLogits));
        KernelArgs.EmptyOrLength(rows, loss.Length, nameof(loss));
        ValidateTargets(targets, classes, ignoreIndex);
        return ForwardBackwardChecked(logits, targets, rows, classes, weight, ignoreIndex, labelSmoothing, gradScale, gradLogits, loss);
    }

    /// <summary><see cref="ForwardBackward"/> after its argument checks (the callers have made them).</summary>
    private static CrossEntropyTotals ForwardBackwardChecked(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int rows, int classes,
        ReadOnlySpan<float> weight, long ignoreIndex, float labelSmoothing, float gradScale, Span<float> gradLogits, Span<float> loss)
    {
        if (SmoothingNeedsExactBackward(weight, labelSmoothing, [gradScale]))
            return ForwardBackwardExactSmoothing(logits, targets, rows, classes, weight, ignoreIndex, labelSmoothing, gradScale, gradLogits,
                loss);
        // Few classes: 16 rows at a time, one per vector lane; chunks are then whole groups.
        bool groups = UsesRowGroups(classes);
        int rpc = groups ? Math.Max(GroupRows, SoftmaxKernel.RowsPerChunk(classes) / GroupRows * GroupRows)
            : SoftmaxKernel.RowsPerChunk(classes);
        var lossPart = new double[KernelParallel.ChunkCount(rows, rpc)];
        var weightPart = new double[lossPart.Length];
        float eps = labelSmoothing, wSum = SmoothingWeightTotal(weight, classes, eps), g = gradScale;
        // A gradient bigger than the caches is streamed to memory rather than written through them.
        bool streaming = (long)gradLogits.Length * sizeof(float) >= StreamingBytes;
        fixed (float* px = logits, pw = weight, pl = loss, pdx = gradLogits)
        fixed (long* pt = targets)
        {
            PinnedSpan<float> x = new(px, logits.Length), w = new(pw, weight.Length), l = new(pl, loss.Length);
            PinnedSpan<float> dx = new(pdx, gradLogits.Length);
            PinnedSpan<long> t = new(pt, targets.Length);
            KernelParallel.ForChunks(rows, rpc, groups ? GroupWorkPerRow(classes) : classes, (chunk, r0, r1) =>
                (lossPart[chunk], weightPart[chunk]) = groups
                    ? RowGroupsChunk(x.Pointer, t.Pointer, dx.Pointer, l.Pointer, classes, w.Pointer, ignoreIndex, eps, wSum, g, r0, r1)
                    : ForwardBackwardRows(r0, r1, x, t, classes, w, wSum, ignoreIndex, eps, g, dx, l, streaming));
        }
        return WithZeroWeightMean(new CrossEntropyTotals(PartialSums.SumInOrder(lossPart), PartialSums.SumInOrder(weightPart)), logits,
            targets, classes, weight, ignoreIndex, eps);
    }

    /// <summary>Rows [r0, r1) of <see cref="ForwardBackward"/> (one row at a time): their Σ loss and Σ w[t_i].</summary>
    private static (double Loss, double Weight) ForwardBackwardRows(int r0, int r1, ReadOnlySpan<float> logits,
        ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> w, float wSum, long ignoreIndex, float eps, float g,
        Span<float> gradLogits, Span<float> loss, bool streaming)
    {
        var sums = ClassIndexRows.ForwardBackward(r0, r1, logits, targets, classes, w, ignoreIndex,
            new SmoothedRowLoss(wSum, eps, g, streaming), gradLogits, loss);
        if (streaming && Sse.IsSupported) Sse.StoreFence();
        return sums;
    }

    /// <summary>
    /// Fused forward + backward of the 'mean' reduction: the denominator Σ w[t_i] is computed first
    /// from targets and weights alone, so gradients are written in the same pass as the loss.
    /// </summary>
    /// <returns>The mean loss (NaN when every target is ignored; gradients are then 0).</returns>
    public static float ForwardBackwardMean(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes,
        ReadOnlySpan<float> weight, long ignoreIndex, float labelSmoothing, Span<float> gradLogits)
    {
        int rows = CheckArgs(logits, targets.Length, classes, weight, labelSmoothing);
        KernelArgs.SameLength(logits.Length, gradLogits.Length, nameof(gradLogits));
        ValidateTargets(targets, classes, ignoreIndex); // before the denominator indexes the weights with them
        double denominator = TargetWeightSum(targets, weight, ignoreIndex);
        return ForwardBackwardChecked(logits, targets, rows, classes, weight, ignoreIndex, labelSmoothing, (float)(1.0 / denominator),
            gradLogits, default).Mean;
    }

    /// <summary>
    /// Scalar reference for <see cref="ForwardBackward"/>: <see cref="ForwardScalar"/> then <see cref="BackwardScalar"/>.
    /// </summary>
    internal static CrossEntropyTotals ForwardBackwardScalar(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes,
        ReadOnlySpan<float> weight, long ignoreIndex, float labelSmoothing, float gradScale,
        Span<float> gradLogits, Span<float> loss = default)
    {
        int rows = CheckArgs(logits, targets.Length, classes, weight, labelSmoothing);
        var m = new float[rows];
        var l = new float[rows];
        var totals = ForwardScalar(logits, targets, classes, weight, ignoreIndex, labelSmoothing, loss, m, l);
        BackwardScalar(logits, targets, classes, weight, ignoreIndex, labelSmoothing, m, l, [gradScale], gradLogits);
        return totals;
    }

    /// <summary>
    /// Forward pass with probability targets q (N, C): loss_i = −Σ_c w_c·q'_c·lp_c with
    /// q' = q·(1 − ε) + ε/C. 'mean' divides the returned sum by N. Output spans may be empty.
    /// </summary>
    /// <returns>Σ_i loss_i in float64.</returns>
    public static double ForwardProb(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes,
        ReadOnlySpan<float> weight, float labelSmoothing, Span<float> loss, Span<float> rowMax, Span<float> rowLogSum)
    {
        int rows = CheckProbArgs(logits, targets, classes, weight, labelSmoothing);
        KernelArgs.EmptyOrLength(rows, loss.Length, nameof(loss));
        KernelArgs.EmptyOrLength(rows, rowMax.Length, nameof(rowMax));
        KernelArgs.EmptyOrLength(rows, rowLogSum.Length, nameof(rowLogSum));
        int rpc = SoftmaxKernel.RowsPerChunk(classes);
        var lossPart = new double[KernelParallel.ChunkCount(rows, rpc)];
        float k1 = 1f - labelSmoothing, k0 = labelSmoothing / classes;
        fixed (float* px = logits, pq = targets, pw = weight, pl = loss, pm = rowMax, ps = rowLogSum)
        {
            PinnedSpan<float> x = new(px, logits.Length), q = new(pq, targets.Length), w = new(pw, weight.Length);
            PinnedSpan<float> l = new(pl, loss.Length), m = new(pm, rowMax.Length), ls = new(ps, rowLogSum.Length);
            KernelParallel.ForChunks(rows, rpc, classes, (chunk, r0, r1) =>
                lossPart[chunk] = ForwardProbRows(r0, r1, x.Pointer, q.Pointer, w.Pointer, classes, k1, k0, l, m, ls));
        }
        return PartialSums.SumInOrder(lossPart);
    }

    /// <summary>Rows [r0, r1) of <see cref="ForwardProb"/> over pinned (N, C) logits and targets: their Σ loss.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ForwardProbRows(int r0, int r1, float* logits, float* targets, float* w, int classes, float k1, float k0,
        Span<float> loss, Span<float> rowMax, Span<float> rowLogSum)
    {
        double lsum = 0;
        for (int r = r0; r < r1; r++)
        {
            long o = (long)r * classes;
            float m = VectorMath.MaxLogSumExp(new ReadOnlySpan<float>(logits + o, classes), out float logSum);
            if (!rowMax.IsEmpty) rowMax[r] = m;
            if (!rowLogSum.IsEmpty) rowLogSum[r] = logSum;
            float li = -ProbDot(logits + o, targets + o, w, classes, m, logSum, k1, k0);
            if (!loss.IsEmpty) loss[r] = li;
            lsum += li;
        }
        return lsum;
    }

    /// <summary>Scalar reference for <see cref="ForwardProb"/>.</summary>
    internal static double ForwardProbScalar(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes,
        ReadOnlySpan<float> weight, float labelSmoothing, Span<float> loss, Span<float> rowMax, Span<float> rowLogSum)
    {
        int rows = CheckProbArgs(logits, targets, classes, weight, labelSmoothing);
        float k1 = 1f - labelSmoothing, k0 = labelSmoothing / classes;
        double lsum = 0;
        for (int r = 0; r < rows; r++)
        {
            var x = logits.Slice(r * classes, classes);
            float m = ClassIndexRows.ScalarMax(x), logSum = ClassIndexRows.ScalarLogSum(x, m);
            if (!rowMax.IsEmpty) rowMax[r] = m;
            if (!rowLogSum.IsEmpty) rowLogSum[r] = logSum;
            float li = 0f;
            for (int c = 0; c < classes; c++)
                li -= (weight.IsEmpty ? 1f : weight[c]) * (targets[r * classes + c] * k1 + k0) * (x[c] - m - logSum);
            if (!loss.IsEmpty) loss[r] = li;
            lsum += li;
        }
        return lsum;
    }

    /// <summary>
    /// Backward with probability targets: dx_i = g_i·((Σ_c w_c·q'_c)·p − w·q'). <paramref name="rowGrad"/>
    /// holds g_i per row or one value for all rows (upstream / N for 'mean').
    /// </summary>
    public static void BackwardProb(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes,
        ReadOnlySpan<float> weight, float labelSmoothing,
        ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad, Span<float> gradLogits)
    {
        int rows = CheckProbArgs(logits, targets, classes, weight, labelSmoothing);
        CheckBackward(rows, classes, rowMax, rowLogSum, rowGrad, gradLogits);
        float k1 = 1f - labelSmoothing, k0 = labelSmoothing / classes;
        fixed (float* px = logits, pq = targets, pw = weight, pm = rowMax, ps = rowLogSum, pg = rowGrad, pdx = gradLogits)
        {
            PinnedSpan<float> x = new(px, logits.Length), q = new(pq, targets.Length), w = new(pw, weight.Length);
            PinnedSpan<float> m = new(pm, rowMax.Length), ls = new(ps, rowLogSum.Length), g = new(pg, rowGrad.Length);
            PinnedSpan<float> dx = new(pdx, gradLogits.Length);
            KernelParallel.ForChunks(rows, SoftmaxKernel.RowsPerChunk(classes), classes, (_, r0, r1) =>
                BackwardProbRows(r0, r1, x.Pointer, q.Pointer, w.Pointer, classes, k1, k0, m, ls, g, dx.Pointer));
        }
    }

    /// <summary>Rows [r0, r1) of <see cref="BackwardProb"/> over pinned (N, C) logits, targets and gradient.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardProbRows(int r0, int r1, float* logits, float* targets, float* w, int classes, float k1, float k0,
        ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad, float* gradLogits)
    {
        for (int r = r0; r < r1; r++)
        {
            long o = (long)r * classes;
            float g = rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r];
            ProbGrad(logits + o, targets + o, w, gradLogits + o, classes, rowMax[r], rowLogSum[r], g, k1, k0);
        }
    }

    /// <summary>Scalar reference for <see cref="BackwardProb"/>.</summary>
    internal static void BackwardProbScalar(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes,
        ReadOnlySpan<float> weight, float labelSmoothing,
        ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad, Span<float> gradLogits)
    {
        int rows = CheckProbArgs(logits, targets, classes, weight, labelSmoothing);
        CheckBackward(rows, classes, rowMax, rowLogSum, rowGrad, gradLogits);
        float k1 = 1f - labelSmoothing, k0 = labelSmoothing / classes;
        for (int r = 0; r < rows; r++)
        {
            int o = r * classes;
            float g = rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r];
            float a = 0f;
            for (int c = 0; c < classes; c++) a += (weight.IsEmpty ? 1f : weight[c]) * (targets[o + c] * k1 + k0);
            for (int c = 0; c < classes; c++)
            {
                float p = MathF.Exp(logits[o + c] - rowMax[r] - rowLogSum[r]);
                gradLogits[o + c] = g * (a * p - (weight.IsEmpty ? 1f : weight[c]) * (targets[o + c] * k1 + k0));
            }
        }
    }

    // ---- row helpers -------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float RowLoss(ReadOnlySpan<float> x, int t, float m, float logSum, ReadOnlySpan<float> w, float wt, float wSum,
        float eps)
    {
        // (x_t − m) − l rather than x_t − (m + l): exact when the target is the max and m is large.
        float li = wt * -(x[t] - m - logSum);
        if (eps > 0f)
        {
            // Σ w_c·lp_c = Σ w_c·(x_c − m) − W·l: both parts ≤ 0, no cancellation.
            float smooth = -(VectorMath.SumWeightedDiff(x, w, m) - wSum * logSum);
            li = (1f - eps) * li + eps / x.Length * smooth;
        }
        return li;
    }

    /// <summary>Σ_c w_c·q'_c·((x_c − m) − l), q' = q·k1 + k0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float ProbDot(float* x, float* q, float* w, int n, float m, float logSum, float k1, float k0)
    {
        int i = 0;
        float s = 0f;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<float>.Zero;
            var vm = Vector512.Create(m); var vl = Vector512.Create(logSum);
            var v1 = Vector512.Create(k1); var v0 = Vector512.Create(k0);
            for (; i <= n - 16; i += 16)
            {
                var qq = Vector512.FusedMultiplyAdd(Vector512.Load(q + i), v1, v0);
                if (w != null) qq *= Vector512.Load(w + i);
                acc = Vector512.FusedMultiplyAdd(qq, Vector512.Load(x + i) - vm - vl, acc);
            }
            s = Vector512.Sum(acc);
        }
        for (; i < n; i++) s += (w != null ? w[i] : 1f) * (q[i] * k1 + k0) * (x[i] - m - logSum);
        return s;
    }

    /// <summary>dx = g·(A·e^((x − m) − l) − w·q'), A = Σ w·q'.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ProbGrad(float* x, float* q, float* w, float* dx, int n, float m, float logSum, float g, float k1, float k0)
    {
        float a = 0f;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<float>.Zero;
            var v1 = Vector512.Create(k1); var v0 = Vector512.Create(k0);
            for (; i <= n - 16; i += 16)
            {
                var qq = Vector512.FusedMultiplyAdd(Vector512.Load(q + i), v1, v0);
                acc += w != null ? qq * Vector512.Load(w + i) : qq;
            }
            a = Vector512.Sum(acc);
        }
        for (; i < n; i++) a += (w != null ? w[i] : 1f) * (q[i] * k1 + k0);
        i = 0;
        float ga = g * a;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(m); var vl = Vector512.Create(logSum);
            var v1 = Vector512.Create(k1); var v0 = Vector512.Create(k0);
            var vga = Vector512.Create(ga); var vg = Vector512.Create(g);
            for (; i <= n - 16; i += 16)
            {
                var qq = Vector512.FusedMultiplyAdd(Vector512.Load(q + i), v1, v0);
                if (w != null) qq *= Vector512.Load(w + i);
                (vga * VectorMath.Exp(Vector512.Load(x + i) - vm - vl) - vg * qq).Store(dx + i);
            }
        }
        for (; i < n; i++)
            dx[i] = ga * VectorMath.Exp(x[i] - m - logSum) - g * ((w != null ? w[i] : 1f) * (q[i] * k1 + k0));
    }

    /// <summary>
    /// <paramref name="totals"/> with PyTorch's smoothed 'mean' when the target weights sum to 0 (<see
    /// cref="CrossEntropyTotals.ZeroWeightSmoothedMean"/>): the two sums it needs come from the scalar forward with ε = 0 and
    /// ε = 1, which only this degenerate case pays for.
    /// </summary>
    private static CrossEntropyTotals WithZeroWeightMean(CrossEntropyTotals totals, ReadOnlySpan<float> logits, ReadOnlySpan<long> targets,
        int classes, ReadOnlySpan<float> weight, long ignoreIndex, float eps)
    {
        if (eps <= 0f || totals.WeightSum != 0) return totals;
        double nll = ForwardScalar(logits, targets, classes, weight, ignoreIndex, 0f, default, default, default).LossSum;
        double smoothOverC = ForwardScalar(logits, targets, classes, weight, ignoreIndex, 1f, default, default, default).LossSum;
        return totals with { MeanOverride = CrossEntropyTotals.ZeroWeightSmoothedMean(nll, smoothOverC, eps) };
    }

    /// <summary>
    /// W = Σ_c w_c for the smoothing term, 0 without smoothing: that term is then absent, as in PyTorch, which reads only
    /// w[t_i]; computed anyway, 0·W would be NaN for a class weight of ±inf or NaN on a class no target names.
    /// </summary>
    private static float SmoothingWeightTotal(ReadOnlySpan<float> weight, int classes, float eps) =>
        eps > 0f ? WeightTotal(weight, classes) : 0f;

    /// <summary>
    /// g·ε/C, the smoothing term's factor in the gradient: 0 without smoothing even when g is infinite (a 'mean' over weights
    /// that sum to 0), where 0·inf would be NaN.
    /// </summary>
    internal static float SmoothingScale(float g, float eps, int classes) => eps > 0f ? g * (eps / classes) : 0f;

    /// <summary>The class weights as the smoothing term reads them: none without smoothing (<see cref="SmoothingWeightTotal"/>).</summary>
    private static ReadOnlySpan<float> SmoothingWeights(ReadOnlySpan<float> weight, float eps) => eps > 0f ? weight : default;

    private static float WeightTotal(ReadOnlySpan<float> weight, int classes)
    {
        if (weight.IsEmpty) return classes;
        double s = 0;
        foreach (float v in weight) s += v;
        return (float)s;
    }

    private static int CheckArgs(ReadOnlySpan<float> logits, int rows, int classes, ReadOnlySpan<float> weight, float labelSmoothing)
    {
        int n = CheckLogitsAndWeight(logits, rows, classes, weight);
        LossOptions.CheckLabelSmoothing(labelSmoothing);
        return n;
    }

    /// <summary>
    /// The probability-target checks: <see cref="CheckArgs"/> for |targets| / C rows, then (N, C) targets as long as the logits.
    /// </summary>
    private static int CheckProbArgs(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes, ReadOnlySpan<float> weight,
        float labelSmoothing)
    {
        int rows = CheckArgs(logits, targets.Length / Math.Max(1, classes), classes, weight, labelSmoothing);
        KernelArgs.SameLength(logits.Length, targets.Length, nameof(targets));
        return rows;
    }

    /// <summary>
    /// The row count of (N, C) <paramref name="logits"/>, checked against the <paramref name="rows"/> targets, and the
    /// (C) or empty class weight: the checks every class-index loss makes first.
    /// </summary>
    internal static int CheckLogitsAndWeight(ReadOnlySpan<float> logits, int rows, int classes, ReadOnlySpan<float> weight)
    {
        int n = KernelArgs.Rows(logits.Length, classes, nameof(logits));
        if (n != rows)
            throw new ArgumentException($"Expected input batch_size ({n}) to match target batch_size ({rows}).", nameof(logits));
        if (!weight.IsEmpty && weight.Length != classes)
            throw new ArgumentException($"Expected a weight of {classes} elements (one per class) but got {weight.Length}.",
                nameof(weight));
        return n;
    }

    /// <summary>The lengths a class-index loss's backward takes: m and l per row, g per row or one, and the gradient.</summary>
    internal static void CheckBackward(int rows, int classes, ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum,
        ReadOnlySpan<float> rowGrad, Span<float> gradLogits)
    {
        KernelArgs.SameLength(rows, rowMax.Length, nameof(rowMax));
        KernelArgs.SameLength(rows, rowLogSum.Length, nameof(rowLogSum));
        KernelArgs.OneOrLength(rows, rowGrad.Length, nameof(rowGrad));
        KernelArgs.SameLength(rows * classes, gradLogits.Length, nameof(gradLogits));
    }
}
