namespace Xent.Kernels;

/// <summary>
/// Sums a cross-entropy kernel reduces over its rows, accumulated in float64 per fixed chunk
/// of rows and combined in chunk order (so independent of the thread count).
/// </summary>
/// <param name="LossSum">Σ_i loss_i over all rows (ignored rows contribute 0).</param>
/// <param name="WeightSum">PyTorch's mean denominator: Σ w[t_i] over non-ignored rows (their count when unweighted).</param>
/// <param name="MeanOverride">The 'mean' when it is not LossSum / WeightSum (<see cref="ZeroWeightSmoothedMean"/>); else null.</param>
internal readonly record struct CrossEntropyTotals(double LossSum, double WeightSum, float? MeanOverride = null)
{
    /// <summary>
    /// The 'mean' reduction: LossSum / WeightSum rounded to float (NaN, 0/0, when every target is ignored), or
    /// <see cref="MeanOverride"/>.
    /// </summary>
    public float Mean => MeanOverride ?? (float)(LossSum / WeightSum);

    /// <summary>
    /// PyTorch's label-smoothed 'mean' when Σ w[t] = 0: it divides the cross-entropy sum and the smoothing sum by that zero
    /// separately and then adds them, so each part is ±inf, or NaN (0/0) when its sum is 0, and opposite infinities give NaN;
    /// one division of the total would give ±inf instead.
    /// </summary>
    /// <param name="nllSum">Σ w[t]·(−log p_t), the loss without smoothing.</param>
    /// <param name="smoothSumOverC">Σ_c w_c·(−log p_c) / C over the rows, the loss with ε = 1.</param>
    /// <param name="labelSmoothing">ε.</param>
    public static float ZeroWeightSmoothedMean(double nllSum, double smoothSumOverC, float labelSmoothing) =>
        (float)((1 - (double)labelSmoothing) * (nllSum / 0.0) + labelSmoothing * (smoothSumOverC / 0.0));
}
