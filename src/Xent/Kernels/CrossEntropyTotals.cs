namespace Xent.Kernels;

/// <summary>
/// Sums a cross-entropy kernel reduces over its rows, accumulated in float64 per fixed chunk
/// of rows and combined in chunk order (so independent of the thread count).
/// </summary>
/// <param name="LossSum">Σ_i loss_i over all rows (ignored rows contribute 0).</param>
/// <param name="WeightSum">PyTorch's mean denominator: Σ w[t_i] over non-ignored rows (their count when unweighted).</param>
/// <param name="Smoothed">Whether the loss has a label-smoothing term (ε &gt; 0), which changes what a zero denominator gives.</param>
internal readonly record struct CrossEntropyTotals(double LossSum, double WeightSum, bool Smoothed = false)
{
    /// <summary>
    /// The 'mean' reduction: LossSum / WeightSum rounded to float; NaN (0/0) when every target is ignored or has weight 0.
    /// </summary>
    public float Mean => MeanOf(LossSum, WeightSum, Smoothed);

    /// <summary>
    /// <paramref name="lossSum"/> / <paramref name="weightSum"/> as PyTorch's 'mean' gives it. With label smoothing PyTorch divides
    /// the cross-entropy and smoothing sums separately, and the first is 0 when every target's weight is 0, so a zero
    /// denominator gives 0/0 = NaN, where the one division here would give ±inf.
    /// </summary>
    public static float MeanOf(double lossSum, double weightSum, bool smoothed) =>
        smoothed && weightSum == 0 ? float.NaN : (float)(lossSum / weightSum);
}
