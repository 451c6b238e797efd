using System.Runtime.CompilerServices;

namespace Xent.Kernels;

/// <summary>
/// The softmax focal loss of Lin et al. (2017) over the rows of row-major (N, C) logits with class-index targets,
/// the cross-entropy kernel's layout and conventions (<see cref="CrossEntropyKernel"/>).
/// <para>Per row, with lp = log p_t = (x_t − m) − l (m the row max, l = log Σ e^(x − m)), p = e^lp, u = 1 − p,
/// weight w[t] (1 when absent) and focusing exponent γ ≥ 0:</para>
/// <code>
/// loss_i = −w[t_i]·u^γ·lp                       (0 for rows whose target is ignoreIndex)
/// mean   = Σ_i loss_i / Σ_{i not ignored} w[t_i]   (cross-entropy's rule; NaN when every row is ignored)
/// dloss_i/dx_c = w[t_i]·F·(p_c − [c = t_i]),   F = u^γ − γ·p·u^(γ−1)·lp = u^γ·(1 − γ·p·lp/u)
/// </code>
/// <para>F is written as u^γ·(1 − γ·p·lp/u) so that γ &lt; 1 stays finite where p_t → 1 (lp/u → −1); at u = 0
/// exactly F = u^γ (1 when γ = 0, else 0). u is computed in float64 from lp, so it adds no rounding to lp's own (a
/// float32 1 − p loses every digit below 6e-8). With γ = 0 this is cross-entropy (F = 1).</para>
/// <para>Logits may be −inf off the target (p_c = 0); a −inf target logit gives loss +inf and F = 1; NaN propagates.
/// Sums over rows are float64 per fixed chunk of rows, combined in chunk order, so results do not depend on the
/// thread count.</para>
/// </summary>
internal static unsafe class FocalLossKernel
{
    /// <summary>
    /// Forward pass: one online-softmax pass per row. Writes the per-row loss and the row max m and log-sum l
    /// that <see cref="Backward"/> reuses; any output span may be empty to skip it.
    /// </summary>
    /// <param name="logits">(N, C) row-major.</param>
    /// <param name="targets">(N) class indices.</param>
    /// <param name="classes">C.</param>
    /// <param name="gamma">γ ≥ 0, finite.</param>
    /// <param name="weight">(C) class weights, or empty.</param>
    /// <param name="ignoreIndex">Target value whose rows are skipped.</param>
    /// <param name="loss">(N) per-row loss, or empty.</param>
    /// <param name="rowMax">(N) m, or empty.</param>
    /// <param name="rowLogSum">(N) l, or empty.</param>
    /// <returns>Σ loss and the 'mean' denominator Σ w[t_i].</returns>
    /// <exception cref="ArgumentException">Shapes disagree or γ is negative or not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is out of bounds ("Target 12 is out of bounds.").</exception>
    public static CrossEntropyTotals Forward(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, float gamma,
        ReadOnlySpan<float> weight, long ignoreIndex, Span<float> loss, Span<float> rowMax, Span<float> rowLogSum)
    {
        int rows = CheckArgs(logits, targets, classes, gamma, weight, ignoreIndex);
        KernelArgs.EmptyOrLength(rows, loss.Length, nameof(loss));
        KernelArgs.EmptyOrLength(rows, rowMax.Length, nameof(rowMax));
        KernelArgs.EmptyOrLength(rows, rowLogSum.Length, nameof(rowLogSum));
        return ClassIndexRows.ForwardAll(logits, targets, rows, classes, weight, ignoreIndex, new FocalRowLoss(gamma), loss, rowMax,
            rowLogSum);
    }

    /// <summary>A row's focal loss (<see cref="RowLoss"/>) and, in the fused pass, its gradient times <paramref name="g"/>.</summary>
    private readonly struct FocalRowLoss(float gamma, float g = 0f) : IRowLoss
    {
        public float Loss(ReadOnlySpan<float> x, int t, float m, float logSum, ReadOnlySpan<float> w, float wt) =>
            RowLoss(x[t] - m - logSum, gamma, wt);

        public float LossAndGradient(ReadOnlySpan<float> x, int t, float m, ReadOnlySpan<float> e, float s, ReadOnlySpan<float> w,
            float wt, Span<float> dx)
        {
            float li = RowTerms(x[t] - m - MathF.Log(s), gamma, wt, out float factor);
            float k = g * wt * factor;
            VectorMath.ScaleSub(e, k / s, 0f, default, dx);
            dx[t] = k / s * e[t] - k;
            return li;
        }
    }

    /// <summary>Scalar, single-threaded reference for <see cref="Forward"/> (two passes per row, <see cref="MathF.Exp"/>).</summary>
    internal static CrossEntropyTotals ForwardScalar(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, float gamma,
        ReadOnlySpan<float> weight, long ignoreIndex, Span<float> loss, Span<float> rowMax, Span<float> rowLogSum)
    {
        int rows = CheckArgs(logits, targets, classes, gamma, weight, ignoreIndex);
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
                wt = weight.IsEmpty ? 1f : weight[(int)t];
                li = RowLoss(x[(int)t] - m - logSum, gamma, wt);
            }
            if (!loss.IsEmpty) loss[r] = li;
            lsum += li;
            wsum += wt;
        }
        return new CrossEntropyTotals(lsum, wsum);
    }

    /// <summary>
    /// Backward: dx_i = g_i·w[t_i]·F_i·(p − onehot(t_i)), 0 for ignored rows. <paramref name="rowGrad"/> holds g_i per
    /// row or one value for all rows (upstream / denominator for 'mean'); m and l come from <see cref="Forward"/>.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, float gamma,
        ReadOnlySpan<float> weight, long ignoreIndex, ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum,
        ReadOnlySpan<float> rowGrad, Span<float> gradLogits)
    {
        int rows = CheckArgs(logits, targets, classes, gamma, weight, ignoreIndex);
        CrossEntropyKernel.CheckBackward(rows, classes, rowMax, rowLogSum, rowGrad, gradLogits);
        fixed (float* px = logits, pw = weight, pm = rowMax, ps = rowLogSum, pg = rowGrad, pdx = gradLogits)
        fixed (long* pt = targets)
        {
            PinnedSpan<float> x = new(px, logits.Length), w = new(pw, weight.Length), m = new(pm, rowMax.Length);
            PinnedSpan<float> ls = new(ps, rowLogSum.Length), g = new(pg, rowGrad.Length), dx = new(pdx, gradLogits.Length);
            PinnedSpan<long> t = new(pt, targets.Length);
            KernelParallel.ForChunks(rows, SoftmaxKernel.RowsPerChunk(classes), classes, (_, r0, r1) =>
                BackwardRows(r0, r1, x, t, classes, gamma, w, ignoreIndex, m, ls, g, dx));
        }
    }

    /// <summary>Rows [r0, r1) of <see cref="Backward"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRows(int r0, int r1, ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, float gamma,
        ReadOnlySpan<float> w, long ignoreIndex, ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad,
        Span<float> gradLogits)
    {
        for (int r = r0; r < r1; r++)
        {
            var x = logits.Slice(r * classes, classes);
            var dx = gradLogits.Slice(r * classes, classes);
            long t = targets[r];
            if (t == ignoreIndex) { dx.Clear(); continue; }
            float wt = w.IsEmpty ? 1f : w[(int)t];
            float k = (rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r]) * wt * GradFactor(x[(int)t] - rowMax[r] - rowLogSum[r], gamma);
            VectorMath.ExpAffine(x, rowMax[r], rowLogSum[r], k, 0f, default, dx);
            dx[(int)t] -= k;
        }
    }

    /// <summary>Scalar, single-threaded reference for <see cref="Backward"/>.</summary>
    internal static void BackwardScalar(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, float gamma,
        ReadOnlySpan<float> weight, long ignoreIndex, ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum,
        ReadOnlySpan<float> rowGrad, Span<float> gradLogits)
    {
        int rows = CheckArgs(logits, targets, classes, gamma, weight, ignoreIndex);
        CrossEntropyKernel.CheckBackward(rows, classes, rowMax, rowLogSum, rowGrad, gradLogits);
        for (int r = 0; r < rows; r++)
        {
            var x = logits.Slice(r * classes, classes);
            var dx = gradLogits.Slice(r * classes, classes);
            long t = targets[r];
            if (t == ignoreIndex) { dx.Clear(); continue; }
            float wt = weight.IsEmpty ? 1f : weight[(int)t];
            float k = (rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r]) * wt * GradFactor(x[(int)t] - rowMax[r] - rowLogSum[r], gamma);
            for (int c = 0; c < classes; c++)
                dx[c] = k * (MathF.Exp(x[c] - rowMax[r] - rowLogSum[r]) - (c == t ? 1f : 0f));
        }
    }

    /// <summary>
    /// Fused forward + backward for training, as <see cref="CrossEntropyKernel.ForwardBackward"/>: each row is read
    /// once for its max, e^(x − m) goes into a per-thread scratch row (one exp per element), and the gradient row is
    /// written once from it. Every row uses the same upstream factor <paramref name="gradScale"/> (1 for 'sum',
    /// 1/denominator for 'mean'; see <see cref="ForwardBackwardMean"/>).
    /// </summary>
    /// <returns>Σ loss and the 'mean' denominator.</returns>
    public static CrossEntropyTotals ForwardBackward(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, float gamma,
        ReadOnlySpan<float> weight, long ignoreIndex, float gradScale, Span<float> gradLogits, Span<float> loss = default)
    {
        int rows = CheckArgs(logits, targets, classes, gamma, weight, ignoreIndex);
        KernelArgs.SameLength(logits.Length, gradLogits.Length, nameof(gradLogits));
        KernelArgs.EmptyOrLength(rows, loss.Length, nameof(loss));
        return ForwardBackwardChecked(logits, targets, rows, classes, gamma, weight, ignoreIndex, gradScale, gradLogits, loss);
    }

    /// <summary>
    /// Fused forward + backward of the 'mean' reduction: the denominator Σ w[t_i] comes first from the targets and
    /// weights alone, so the gradient is written in the same pass as the loss.
    /// </summary>
    /// <returns>The mean loss (NaN when every target is ignored; the gradient is then 0).</returns>
    public static float ForwardBackwardMean(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, float gamma,
        ReadOnlySpan<float> weight, long ignoreIndex, Span<float> gradLogits)
    {
        int rows = CheckArgs(logits, targets, classes, gamma, weight, ignoreIndex);
        KernelArgs.SameLength(logits.Length, gradLogits.Length, nameof(gradLogits));
        double denominator = CrossEntropyKernel.TargetWeightSum(targets, weight, ignoreIndex);
        return ForwardBackwardChecked(logits, targets, rows, classes, gamma, weight, ignoreIndex, (float)(1.0 / denominator), gradLogits,
            default).Mean;
    }

    /// <summary>
    /// Scalar reference for <see cref="ForwardBackward"/>: <see cref="ForwardScalar"/> then <see cref="BackwardScalar"/>.
    /// </summary>
    internal static CrossEntropyTotals ForwardBackwardScalar(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes,
        float gamma,
        ReadOnlySpan<float> weight, long ignoreIndex, float gradScale, Span<float> gradLogits, Span<float> loss = default)
    {
        int rows = CheckArgs(logits, targets, classes, gamma, weight, ignoreIndex);
        var m = new float[rows];
        var l = new float[rows];
        var totals = ForwardScalar(logits, targets, classes, gamma, weight, ignoreIndex, loss, m, l);
        BackwardScalar(logits, targets, classes, gamma, weight, ignoreIndex, m, l, [gradScale], gradLogits);
        return totals;
    }

    private static CrossEntropyTotals ForwardBackwardChecked(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int rows, int classes,
        float gamma, ReadOnlySpan<float> weight, long ignoreIndex, float gradScale, Span<float> gradLogits, Span<float> loss) =>
        ClassIndexRows.ForwardBackwardAll(logits, targets, rows, classes, weight, ignoreIndex, new FocalRowLoss(gamma, gradScale),
            gradLogits, loss);

    // ---- the row's focal arithmetic, shared by every path ------------------------------------

    /// <summary>−w·(1 − p)^γ·lp for lp = log p_t; u = 1 − e^lp in float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float RowLoss(float lp, float gamma, float wt) => RowTerms(lp, gamma, wt, out _);

    /// <summary>F = u^γ·(1 − γ·p·lp/u), the factor on (p − onehot) in the gradient; 1 when γ = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float GradFactor(float lp, float gamma)
    {
        RowTerms(lp, gamma, 1f, out float factor);
        return factor;
    }

    /// <summary>
    /// The row's loss −w·u^γ·lp and gradient factor F = u^γ·(1 − γ·p·lp/u) from one e^lp and one u^γ (in float64).
    /// γ = 0 returns cross-entropy's own float expression w·−lp and F = 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float RowTerms(float lp, float gamma, float wt, out float factor)
    {
        if (gamma == 0f)
        {
            factor = 1f;
            return wt * -lp;
        }
        double p = Math.Exp(lp), u = 1.0 - p, ug = Pow(u, gamma);
        if (!(u > 0)) factor = (float)ug;                       // p_t = 1: the limit u^γ (0 for γ > 0); NaN stays NaN
        else factor = (float)(ug * (1.0 - gamma * (p > 0 ? p * lp : 0) / u)); // p·lp → 0 as lp → −inf
        return (float)(-(double)wt * ug * lp);
    }

    /// <summary>u^γ for u in [0, 1]: repeated products for small whole γ (the usual 1, 2, 3), <see cref="Math.Pow"/> otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Pow(double u, float gamma)
    {
        if (gamma == 1f) return u;
        if (gamma == 2f) return u * u;
        if (gamma == 3f) return u * u * u;
        if (gamma == 4f) { double u2 = u * u; return u2 * u2; }
        return Math.Pow(u, gamma);
    }

    private static int CheckArgs(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, float gamma,
        ReadOnlySpan<float> weight, long ignoreIndex)
    {
        int n = CrossEntropyKernel.CheckLogitsAndWeight(logits, targets.Length, classes, weight);
        LossOptions.CheckGamma(gamma);
        CrossEntropyKernel.ValidateTargets(targets, classes, ignoreIndex);
        return n;
    }
}
