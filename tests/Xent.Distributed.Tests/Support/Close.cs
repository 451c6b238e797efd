namespace Xent.Distributed.Tests.Support;

/// <summary>Element-wise comparison |a − e| ≤ rtol·|e| + atol, with the worst element in the failure message.</summary>
public static class Close
{
    public static void All(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double atol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            double excess = Math.Abs(a - e) - (rtol * Math.Abs(e) + atol);
            if (double.IsNaN(a) != double.IsNaN(e) || excess > worstExcess)
            {
                worst = i;
                worstExcess = double.IsNaN(excess) ? double.PositiveInfinity : excess;
            }
        }
        if (worst >= 0)
            Assert.Fail($"{what}: element {worst} is {actual[worst]:R}, expected {expected[worst]:R} (rtol {rtol}, atol {atol}).");
    }

    /// <summary>atol for gradients: a small fraction of the largest magnitude, for entries that are sums cancelling to ≈ 0.</summary>
    public static double Scale(ReadOnlySpan<float> x)
    {
        double m = 0;
        foreach (float v in x) m = Math.Max(m, Math.Abs(v));
        return m;
    }
}
