using Xent.Kernels;
using Xunit;
using static Xent.Tests.Kernels.KernelTestUtil;

namespace Xent.Tests.Kernels;

/// <summary>The vector paths of <see cref="WeightedRows"/> against its scalar twin, and the twin against float64.</summary>
public unsafe class WeightedRowsTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 15)]
    [InlineData(40, 96)]   // one register block
    [InlineData(25, 100)]  // a block, a vector and a scalar tail (16-wide) or blocks and vectors (8-wide)
    [InlineData(3, 288)]
    [InlineData(0, 96)]    // no entries: the destination is unchanged
    public void Accumulate_MatchesScalarTwinBitForBit_AndFloat64(int count, int length)
    {
        var rnd = new Random(count * 1000 + length);
        float[] src = RandomArray(rnd, 4096 + length), gains = RandomArray(rnd, Math.Max(1, count));
        int[] offsets = new int[Math.Max(1, count)];
        for (int e = 0; e < count; e++) offsets[e] = rnd.Next(4096);
        float[] start = RandomArray(rnd, length), fast = (float[])start.Clone(), slow = (float[])start.Clone();
        fixed (float* ps = src, pg = gains, pf = fast, pl = slow)
        fixed (int* po = offsets)
        {
            WeightedRows.Accumulate(pf, ps, pg, po, count, length);
            WeightedRows.AccumulateScalar(pl, ps, pg, po, count, length);
        }
        Assert.Equal(slow, fast);
        for (int i = 0; i < length; i++)
        {
            double expected = start[i];
            for (int e = 0; e < count; e++) expected += (double)gains[e] * src[offsets[e] + i];
            Assert.True(Math.Abs(expected - slow[i]) <= 1e-5 * (1 + Math.Abs(expected)), $"[{i}] {slow[i]} vs {expected}");
        }
    }
}
