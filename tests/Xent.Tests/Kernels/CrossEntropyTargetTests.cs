using Xent.Kernels;
using Xunit;

namespace Xent.Tests.Kernels;

/// <summary>Target validation and the 'mean' denominator, whose vector loops must find what a plain loop finds.</summary>
public class CrossEntropyTargetTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(64)]
    [InlineData(203)]
    public void FirstInvalidTarget_FindsTheFirstBadValue_WhereverItIs(int n)
    {
        var rng = new Random(n);
        long[] t = Enumerable.Range(0, n).Select(i => i % 5 == 2 ? -100L : rng.Next(10)).ToArray();
        Assert.Equal(-1, CrossEntropyKernel.FirstInvalidTarget(t, 10, -100));
        CrossEntropyKernel.ValidateTargets(t, 10, -100);
        foreach (long bad in new[] { 10L, -1L, -101L, long.MinValue, long.MaxValue, 1L << 32 })
        {
            foreach (int at in new[] { 0, n / 2, n - 1 }.Distinct())
            {
                var u = (long[])t.Clone();
                u[at] = bad;
                if (at + 1 < n) u[n - 1] = 11; // a later bad value must not be reported first
                int first = Enumerable.Range(0, n).First(i => (u[i] < 0 || u[i] >= 10) && u[i] != -100);
                Assert.Equal(first, CrossEntropyKernel.FirstInvalidTarget(u, 10, -100));
                var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropyKernel.ValidateTargets(u, 10, -100));
                Assert.Equal($"Target {u[first]} is out of bounds.", ex.Message);
            }
        }
        // The ignore index may be any value, including one that would otherwise be out of bounds.
        var v = (long[])t.Clone();
        v[n - 1] = 1L << 40;
        CrossEntropyKernel.ValidateTargets(v.Select(x => x == -100 ? 1L << 40 : x).ToArray(), 10, 1L << 40);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(131)]
    public void TargetWeightSum_CountsOrWeighsTheRowsNotIgnored(int n)
    {
        var rng = new Random(n + 1);
        long[] t = Enumerable.Range(0, n).Select(_ => rng.Next(3) == 0 ? 4L : rng.Next(6)).ToArray();
        float[] w = [0.5f, 1.5f, 2f, 0.25f, 3f, 1f];
        Assert.Equal(t.Count(v => v != 4), CrossEntropyKernel.TargetWeightSum(t, [], 4));
        Assert.Equal(t.Where(v => v != 4).Sum(v => (double)w[v]), CrossEntropyKernel.TargetWeightSum(t, w, 4), 10);
        Assert.Equal(n, CrossEntropyKernel.TargetWeightSum(t, [], -100));
    }
}
