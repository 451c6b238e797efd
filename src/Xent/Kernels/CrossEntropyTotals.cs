namespace Xent.Kernels;

/// <summary>
/// Sums a cross-entropy kernel reduces over its rows, accumulated in float64 per fixed chunk
/// of rows and combined in chunk order (so independent of the thread count).
/// </summary>
/// <param name="LossSum">Σ_i loss_i over all rows (ignored rows contribute 0).</param>
/// <param name="WeightSum">PyTorch's mean denominator: Σ w[t_i] over non-ignored rows (their count when unweighted).</param>
internal readonly record struct CrossEntropyTotals(double LossSum, double WeightSum)
{
    /// <summary>The 'mean' reduction: LossSum / WeightSum rounded to float; NaN (0/0) when every target is ignored.</summary>
    public float Mean => (float)(LossSum / WeightSum);
}
