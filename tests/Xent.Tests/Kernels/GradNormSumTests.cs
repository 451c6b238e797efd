using Xent.Training;
using Xunit;

namespace Xent.Tests.Kernels;

/// <summary>
/// The global gradient norm's sum of squares has one order on every machine (CI runs this class again with AVX-512 off and
/// with every hardware intrinsic off), so clipping gives the same bits everywhere.
/// </summary>
public class GradNormSumTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(1037)]
    [InlineData(4096)]
    public void SumOfSquaresFollowsItsDocumentedOrderBitForBit(int length)
    {
        var rnd = new Random(length + 1);
        // Magnitudes over many binades, so that a different order of the additions would round differently.
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)((rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(-20, 20)));

        // The order GradClipping.SumOfSquares documents, written out plainly: four lanes over blocks of eight, lane j taking
        // elements j and j + 4 of each block, the lanes added pairwise, then the tail in order.
        var lanes = new double[4];
        int blocks = length / 8;
        for (int m = 0; m < blocks; m++)
            for (int half = 0; half < 2; half++)
                for (int j = 0; j < 4; j++)
                {
                    double v = x[8 * m + 4 * half + j];
                    lanes[j] += v * v;
                }
        double expected = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        for (int i = blocks * 8; i < length; i++) expected += (double)x[i] * x[i];

        Assert.Equal(expected, GradClipping.SumOfSquares(x)); // exact: same bits, not merely close
        double plain = 0;
        foreach (float v in x) plain += (double)v * v;
        Assert.Equal(plain, GradClipping.SumOfSquares(x), Math.Abs(plain) * 1e-14);
    }
}
