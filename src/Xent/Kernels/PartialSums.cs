namespace Xent.Kernels;

/// <summary>
/// Totals of per-chunk partial sums. Parallel kernels write one partial per chunk, and chunks are fixed by the
/// problem size, not by the threads that ran them, so adding the partials in chunk order gives the same bits
/// on any number of threads.
/// </summary>
internal static class PartialSums
{
    /// <summary>Σ <paramref name="parts"/> in index order, in float64.</summary>
    public static double SumInOrder(ReadOnlySpan<double> parts)
    {
        double s = 0;
        foreach (double v in parts) s += v;
        return s;
    }
}
