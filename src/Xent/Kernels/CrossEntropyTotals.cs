namespace Xent.Kernels;

/// <summary>
/// Sums a cross-entropy kernel reduces over its rows, accumulated in float64 per fixed chunk
/// of rows and combined in chunk order (so independent of the thread count).
/// </summary>
/// <param name="LossSum">Σ_i loss_i over all rows (ignored rows contribute 0).</param>
/// <param name="WeightSum">PyTorch's mean denominator: Σ w[t_i] over non-ignored rows (their count when unweighted).</param>
/// <param name="NaNMean">Whether PyTorch's 'mean' is NaN however the sums came out (<see cref="SmoothedMeanIsNaN"/>).</param>
internal readonly record struct CrossEntropyTotals(double LossSum, double WeightSum, bool NaNMean = false)
{
    /// <summary>
    /// The 'mean' reduction: LossSum / WeightSum rounded to float; NaN (0/0) when every target is ignored or has weight 0.
    /// </summary>
    public float Mean => MeanOf(LossSum, WeightSum, NaNMean);

    /// <summary><paramref name="lossSum"/> / <paramref name="weightSum"/> as a float, or NaN when <paramref name="nanMean"/>.</summary>
    public static float MeanOf(double lossSum, double weightSum, bool nanMean) => nanMean ? float.NaN : (float)(lossSum / weightSum);

    /// <summary>
    /// Whether PyTorch's label-smoothed 'mean' is NaN where one division of the total would give ±inf: PyTorch divides the
    /// cross-entropy sum and the smoothing sum by Σ w[t] separately, and when every non-ignored target has weight 0 the first
    /// is 0/0. (Weights that only cancel leave it x/0 = ±inf, as the total gives; without smoothing the total is that sum.)
    /// </summary>
    public static bool SmoothedMeanIsNaN(float labelSmoothing, double weightSum, ReadOnlySpan<long> targets, ReadOnlySpan<float> weight,
        long ignoreIndex)
    {
        if (labelSmoothing <= 0f || weightSum != 0) return false;
        if (!weight.IsEmpty)
            foreach (long t in targets)
                if (t != ignoreIndex && weight[(int)t] != 0f) return false;
        return true;
    }
}
