using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Xent.Kernels;

/// <summary>
/// PaLM's auxiliary z-loss, which pulls the log-partition function towards 0 so logits stay in a
/// numerically comfortable range: for every row that is not ignored,
/// <code>
/// loss_i += z·lse_i²,    lse_i = log Σ_c e^(x_ic) = m_i + l_i
/// dloss_i/dx_ic += 2·z·lse_i·p_ic,    p_ic = e^((x_ic − m_i) − l_i)
/// </code>
/// The term is added to the per-row loss <b>before</b> the reduction, so 'mean' divides it by the
/// same denominator as the cross-entropy term (Σ w[t_i] over non-ignored rows; the count without
/// class weights), and it is <b>not</b> multiplied by the class weight. Without class weights this
/// is the z-loss of PaLM, T5X and Liger-Kernel (mean of z·lse² over non-ignored tokens); with class
/// weights Liger-Kernel divides the z term by the non-ignored count instead. Ignored rows get
/// nothing. m_i and l_i are the row max and log-sum that the cross-entropy kernels already produce
/// (<see cref="CrossEntropyKernel.Forward"/>'s rowMax / rowLogSum).
/// </summary>
internal static class ZLossKernel
{
    /// <summary>
    /// Adds z·(m_i + l_i)² to <paramref name="loss"/>[i] for rows whose target is not
    /// <paramref name="ignoreIndex"/> (every row when <paramref name="targets"/> is empty, as for
    /// probability targets). <paramref name="loss"/> may be empty to only compute the sum.
    /// </summary>
    /// <returns>Σ of the added terms, in float64.</returns>
    /// <exception cref="ArgumentException">Lengths disagree.</exception>
    public static double Forward(ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<long> targets,
        long ignoreIndex, float scale, Span<float> loss)
    {
        int rows = rowMax.Length;
        KernelArgs.SameLength(rows, rowLogSum.Length, nameof(rowLogSum));
        if (!targets.IsEmpty) KernelArgs.SameLength(rows, targets.Length, nameof(targets));
        if (!loss.IsEmpty) KernelArgs.SameLength(rows, loss.Length, nameof(loss));
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            if (!targets.IsEmpty && targets[r] == ignoreIndex) continue;
            float term = Term(rowMax[r], rowLogSum[r], scale);
            if (!loss.IsEmpty) loss[r] += term;
            sum += term;
        }
        return sum;
    }

    /// <summary>z·lse² with lse = m + l rounded to float first (as <c>torch.logsumexp</c> returns it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Term(float rowMax, float rowLogSum, float scale)
    {
        float lse = rowMax + rowLogSum;
        return scale * lse * lse;
    }

    /// <summary>
    /// Adds g_i·2z·lse_i·p_ic to <paramref name="gradLogits"/> for rows that are not ignored.
    /// <paramref name="rowGrad"/> holds g_i per row, or one value for all rows.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths disagree.</exception>
    public static void Backward(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<long> targets, long ignoreIndex, float scale,
        ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad, Span<float> gradLogits)
    {
        int rows = CheckBackward(logits, classes, targets, rowMax, rowLogSum, rowGrad, gradLogits);
        for (int r = 0; r < rows; r++)
        {
            if (!targets.IsEmpty && targets[r] == ignoreIndex) continue;
            float g = rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r];
            float a = g * 2f * scale * (rowMax[r] + rowLogSum[r]);
            AddScaledSoftmax(logits.Slice(r * classes, classes), rowMax[r], rowLogSum[r], a, gradLogits.Slice(r * classes, classes));
        }
    }

    /// <summary>Scalar reference for <see cref="Backward"/> (<see cref="MathF.Exp"/>).</summary>
    internal static void BackwardScalar(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<long> targets, long ignoreIndex, float scale,
        ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad, Span<float> gradLogits)
    {
        int rows = CheckBackward(logits, classes, targets, rowMax, rowLogSum, rowGrad, gradLogits);
        for (int r = 0; r < rows; r++)
        {
            if (!targets.IsEmpty && targets[r] == ignoreIndex) continue;
            float g = rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r];
            float a = g * 2f * scale * (rowMax[r] + rowLogSum[r]);
            for (int c = 0; c < classes; c++)
                gradLogits[r * classes + c] += a * MathF.Exp(logits[r * classes + c] - rowMax[r] - rowLogSum[r]);
        }
    }

    /// <summary>y += a·e^((x − m) − l).</summary>
    internal static void AddScaledSoftmax(ReadOnlySpan<float> x, float m, float l, float a, Span<float> y)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vm = Vector512.Create(m); var vl = Vector512.Create(l); var va = Vector512.Create(a);
            for (; i <= n - 16; i += 16)
            {
                var e = VectorMath.Exp(Vector512.LoadUnsafe(ref px, (nuint)i) - vm - vl);
                Vector512.FusedMultiplyAdd(va, e, Vector512.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var vm = Vector256.Create(m); var vl = Vector256.Create(l); var va = Vector256.Create(a);
            for (; i <= n - 8; i += 8)
            {
                var e = VectorMath.Exp(Vector256.LoadUnsafe(ref px, (nuint)i) - vm - vl);
                Vector256.FusedMultiplyAdd(va, e, Vector256.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref py, i) += a * VectorMath.Exp(Unsafe.Add(ref px, i) - m - l);
    }

    private static int CheckBackward(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<long> targets,
        ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad, Span<float> gradLogits)
    {
        int rows = KernelArgs.Rows(logits.Length, classes, nameof(logits));
        if (!targets.IsEmpty) KernelArgs.SameLength(rows, targets.Length, nameof(targets));
        KernelArgs.SameLength(rows, rowMax.Length, nameof(rowMax));
        KernelArgs.SameLength(rows, rowLogSum.Length, nameof(rowLogSum));
        KernelArgs.SameLength(logits.Length, gradLogits.Length, nameof(gradLogits));
        KernelArgs.OneOrLength(rows, rowGrad.Length, nameof(rowGrad));
        return rows;
    }
}
