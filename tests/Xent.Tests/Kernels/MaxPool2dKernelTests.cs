using Xunit;
using Xent.Kernels;
using static Xent.Tests.Kernels.KernelGolden;

namespace Xent.Tests.Kernels;

public class MaxPool2dKernelTests
{
    [Fact]
    public void ForwardAndBackward_MatchPyTorch()
    {
        foreach (var c in Cases("maxpool2d.json"))
        {
            int[] shape = Ints(c, "shape"), k = Ints(c, "kernel"), s = Ints(c, "stride"), p = Ints(c, "padding");
            int planes = shape[0] * shape[1], h = shape[2], w = shape[3];
            int ho = MaxPool2dKernel.OutputSize(h, k[0], s[0], p[0]), wo = MaxPool2dKernel.OutputSize(w, k[1], s[1], p[1]);
            float[] x = Floats(c, "input");
            var y = new float[planes * ho * wo];
            var idx = new int[y.Length];
            var ys = new float[y.Length];
            var idxs = new int[y.Length];
            MaxPool2dKernel.Forward(x, planes, h, w, k[0], k[1], s[0], s[1], p[0], p[1], y, idx);
            MaxPool2dKernel.ForwardScalar(x, planes, h, w, k[0], k[1], s[0], s[1], p[0], p[1], ys, idxs);
            Assert.Equal(Floats(c, "output"), y);  // Assert.Equal treats NaN as equal to NaN
            Assert.Equal(Ints(c, "indices"), idx);
            Assert.Equal(ys, y);
            Assert.Equal(idxs, idx);

            var gi = new float[x.Length];
            MaxPool2dKernel.Backward(Floats(c, "grad_output"), idx, planes, h, w, ho, wo, gi);
            float[] want = Floats(c, "grad_input");
            for (int i = 0; i < gi.Length; i++) Assert.Equal(want[i], gi[i], 1e-6f);
        }
    }

    [Fact]
    public void TiesPickFirst_NaNPropagates_HandWritten()
    {
        float nan = float.NaN;
        // One 2×4 plane, two 2×2 windows: [1 3 | 3 0 / 3 2 | nan 5].
        float[] x = [1, 3, 3, 0, 3, 2, nan, 5];
        var y = new float[2];
        var idx = new int[2];
        MaxPool2dKernel.Forward(x, 1, 2, 4, 2, 2, 2, 2, 0, 0, y, idx);
        Assert.Equal(3f, y[0]);
        Assert.Equal(1, idx[0]);      // the first 3 in row-major window order
        Assert.True(float.IsNaN(y[1]));
        Assert.Equal(6, idx[1]);
    }

    [Theory]
    [InlineData(24, 24)] // the MNIST CNN's conv2 output: 12 outputs per row, the last vector step overlaps
    [InlineData(16, 17)] // odd width: the last column is never in a window; exactly one vector step per row
    [InlineData(6, 33)]  // two steps and an overlap
    [InlineData(4, 14)]  // fewer than 8 outputs per row: the scalar loop
    public void TwoByTwo_VectorPath_MatchesGeneralLoop_OnTiesAndNaNs(int height, int width)
    {
        // ReLU-like data: many exact zeros (ties), repeated values, a few NaNs and infinities.
        var rng = new Random(height * 100 + width);
        int planes = 5;
        var x = new float[planes * height * width];
        for (int i = 0; i < x.Length; i++)
        {
            int r = rng.Next(20);
            x[i] = r < 8 ? 0f : r == 8 ? float.NaN : r == 9 ? float.PositiveInfinity : r == 10 ? float.NegativeInfinity
                : rng.Next(4) - 1.5f;
        }
        int ho = height / 2, wo = width / 2;
        var y = new float[planes * ho * wo];
        var idx = new int[y.Length];
        var ys = new float[y.Length];
        var idxs = new int[y.Length];
        MaxPool2dKernel.Forward(x, planes, height, width, 2, 2, 2, 2, 0, 0, y, idx);
        MaxPool2dKernel.ForwardScalar(x, planes, height, width, 2, 2, 2, 2, 0, 0, ys, idxs);
        Assert.Equal(ys, y);
        Assert.Equal(idxs, idx);
    }

    [Theory]
    [InlineData(24, 24, 2, 2)] // the MNIST CNN
    [InlineData(17, 19, 2, 2)] // odd sizes: the last row and column are in no window and must come out zero
    [InlineData(33, 35, 3, 2)] // overlapping windows: a pixel can receive several gradients
    public void Backward_EqualsAScatterAdd_BitForBit(int height, int width, int kernel, int stride)
    {
        var rng = new Random(height * 31 + width);
        int planes = 3;
        var x = new float[planes * height * width];
        for (int i = 0; i < x.Length; i++) x[i] = rng.Next(5) - 2; // ties
        int ho = MaxPool2dKernel.OutputSize(height, kernel, stride, 0), wo = MaxPool2dKernel.OutputSize(width, kernel, stride, 0);
        var y = new float[planes * ho * wo];
        var idx = new int[y.Length];
        MaxPool2dKernel.ForwardScalar(x, planes, height, width, kernel, kernel, stride, stride, 0, 0, y, idx);
        var go = new float[y.Length];
        for (int i = 0; i < go.Length; i++) go[i] = i % 7 == 0 ? -0f : i % 11 == 0 ? float.NaN : (float)(rng.NextDouble() - 0.5);

        var expected = new float[x.Length];
        for (int pl = 0; pl < planes; pl++)
            for (int o = 0; o < ho * wo; o++)
                expected[pl * height * width + idx[pl * ho * wo + o]] += go[pl * ho * wo + o];
        var actual = new float[x.Length];
        Array.Fill(actual, 123f); // the kernel must overwrite every element
        MaxPool2dKernel.Backward(go, idx, planes, height, width, ho, wo, actual);
        Assert.Equal(Array.ConvertAll(expected, BitConverter.SingleToInt32Bits), Array.ConvertAll(actual, BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Backward_IndexOutsideThePlane_ThrowsArgumentException()
    {
        // 64 planes of 4×4 → 2×2 run on several chunks; one bad index in a late plane.
        int planes = 64;
        var go = new float[planes * 4];
        var idx = new int[planes * 4];
        idx[61 * 4 + 2] = 16;
        var e = Assert.Throws<ArgumentException>(() => MaxPool2dKernel.Backward(go, idx, planes, 4, 4, 2, 2, new float[planes * 16]));
        Assert.Contains("Index 16 at output 2 of plane 61", e.Message);
    }

    [Fact]
    public void ExcessivePadding_Throws()
    {
        Assert.Throws<ArgumentException>(() =>
            MaxPool2dKernel.Forward(new float[16], 1, 4, 4, 2, 2, 2, 2, 2, 2, new float[16], new int[16]));
    }
}
