namespace Xent.Kernels;

internal static partial class CrossEntropyKernel
{
    /// <summary>
    /// Whether label smoothing meets a class weight that is not finite. The kernels' closed forms then go wrong where
    /// PyTorch's element-by-element computation does not: the smoothing sum Σ w_c·(x_c − m) − W·l holds inf·0 when the
    /// infinite weight's class is the row's max (PyTorch's −Σ w_c·lp_c is ±inf there), and the gradient clears ignored rows
    /// where PyTorch's is NaN (its masked smoothing gradient is 0·w_c). Such a call takes the slow paths of this file.
    /// </summary>
    internal static bool SmoothingMeetsNonFiniteWeight(ReadOnlySpan<float> weight, float eps) => eps > 0f && !AllFinite(weight);

    /// <summary>
    /// Whether a label-smoothed backward takes <see cref="BackwardExactSmoothing"/>: a class weight or an upstream factor that is
    /// not finite. An infinite factor (a 'mean' over target weights summing to 0) makes PyTorch's smoothing gradient
    /// −g·ε/C·w_c infinite with the signs of the weights, so its row sum, and with it the row's whole gradient, is NaN,
    /// where the closed form's g·((1 − ε)·w_t + ε/C·W) keeps one sign.
    /// </summary>
    internal static bool SmoothingNeedsExactBackward(ReadOnlySpan<float> weight, float eps, ReadOnlySpan<float> rowGrad) =>
        eps > 0f && (!AllFinite(weight) || !AllFinite(rowGrad));

    /// <summary>
    /// PyTorch's gradient of one label-smoothed, non-ignored row written as dx_c = A·p_c − B·w_c − C·[c = t] (B alone
    /// when unweighted), the form <see cref="VectorMath.ExpAffine"/> evaluates. PyTorch's graph (log-softmax, then the NLL
    /// term and −Σ_c w_c·lp_c) gives d/d lp_c = G_c = −g_s·w_c − [c = t]·g_n·w_t with g_s = g·ε/C and g_n = g·(1 − ε),
    /// and the log-softmax backward dx_c = G_c − p_c·Σ_k G_k. Σ_k G_k is summed term by term, as PyTorch does, so that
    /// infinite terms of both signs, or 0·inf, give its NaN: A = −Σ_k G_k, B = g_s, C = g_n·w_t.
    /// </summary>
    /// <param name="weight">The (C) class weights, or empty.</param>
    /// <param name="classes">C.</param>
    /// <param name="eps">ε &gt; 0.</param>
    /// <param name="g">The row's upstream factor (1 / Σ w[t] for 'mean').</param>
    /// <param name="wt">w[t] (1 when unweighted).</param>
    internal static (float A, float B, float C) ExactSmoothingCoefficients(ReadOnlySpan<float> weight, int classes, float eps, float g,
        float wt)
    {
        float gs = g * (eps / classes), gn = g * (1f - eps), c = gn * wt;
        double sum = 0; // Σ_k G_k of the smoothing term
        if (weight.IsEmpty) sum = -(double)gs * classes;
        else foreach (float w in weight) sum += -gs * w;
        return ((float)-(sum - c), gs, c);
    }

    /// <summary>
    /// The label-smoothed backward for <see cref="SmoothingNeedsExactBackward"/> calls, single-threaded: each row through
    /// <see cref="ExactSmoothingCoefficients"/>. An ignored row is NaN when a class weight is not finite (PyTorch masks its
    /// smoothing gradient to 0 and then multiplies by w_c), 0 otherwise.
    /// </summary>
    private static void BackwardExactSmoothing(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes,
        ReadOnlySpan<float> weight, long ignoreIndex, float eps, ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum,
        ReadOnlySpan<float> rowGrad, Span<float> gradLogits)
    {
        bool weighted = !weight.IsEmpty;
        float ignored = AllFinite(weight) ? 0f : float.NaN;
        for (int r = 0; r < targets.Length; r++)
        {
            var dx = gradLogits.Slice(r * classes, classes);
            long t = targets[r];
            if (t == ignoreIndex)
            {
                dx.Fill(ignored);
                continue;
            }
            float g = rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r];
            var (a, b, c) = ExactSmoothingCoefficients(weight, classes, eps, g, weighted ? weight[(int)t] : 1f);
            for (int k = 0; k < classes; k++)
                dx[k] = a * MathF.Exp(logits[r * classes + k] - rowMax[r] - rowLogSum[r]) - (weighted ? b * weight[k] : b);
            dx[(int)t] -= c;
        }
    }

    /// <summary>
    /// <see cref="ForwardBackward"/> for calls where label smoothing meets a non-finite weight or factor: <see
    /// cref="ForwardScalar"/> (its smoothing sum is PyTorch's, term by term) then <see cref="BackwardExactSmoothing"/>.
    /// </summary>
    private static CrossEntropyTotals ForwardBackwardExactSmoothing(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int rows,
        int classes, ReadOnlySpan<float> weight, long ignoreIndex, float eps, float gradScale, Span<float> gradLogits, Span<float> loss)
    {
        var m = new float[rows];
        var l = new float[rows];
        var totals = ForwardScalar(logits, targets, classes, weight, ignoreIndex, eps, loss, m, l);
        BackwardExactSmoothing(logits, targets, classes, weight, ignoreIndex, eps, m, l, [gradScale], gradLogits);
        return WithZeroWeightMean(totals, logits, targets, classes, weight, ignoreIndex, eps);
    }

    /// <summary>Σ_c w_c·lp_c with lp_c = (x_c − m) − l, one product per class as PyTorch forms them (w all ones when empty).</summary>
    internal static double WeightedLogSoftmaxSum(ReadOnlySpan<float> x, ReadOnlySpan<float> w, float m, float l)
    {
        double s = 0;
        for (int c = 0; c < x.Length; c++) s += (w.IsEmpty ? 1f : w[c]) * (x[c] - m - l);
        return s;
    }

    private static bool AllFinite(ReadOnlySpan<float> x)
    {
        foreach (float v in x) if (!float.IsFinite(v)) return false;
        return true;
    }
}
