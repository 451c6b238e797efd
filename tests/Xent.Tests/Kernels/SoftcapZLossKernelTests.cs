using Xent.Kernels;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Kernels;

/// <summary>The softcap and z-loss helpers against float64 formulas and their scalar twins.</summary>
public class SoftcapZLossKernelTests
{
    [Theory]
    [InlineData(30f, 40f)]
    [InlineData(2f, 10f)]
    [InlineData(5f, 0.01f)]
    public void SoftcapForwardMatchesFloat64Tanh(float cap, float scale)
    {
        var x = KernelTestUtil.RandomArray(new Random(1), 1000, scale);
        x[0] = float.PositiveInfinity; x[1] = float.NegativeInfinity; x[2] = 0f; x[3] = 1e-30f;
        var y = new float[x.Length];
        var ys = new float[x.Length];
        SoftcapKernel.Forward(x, cap, y);
        SoftcapKernel.ForwardScalar(x, cap, ys);
        for (int i = 0; i < x.Length; i++)
        {
            double e = cap * Math.Tanh((double)x[i] / cap);
            Check.Close(e, y[i], 1e-6, 1e-37, $"vector [{i}] x={x[i]}");
            Check.Close(e, ys[i], 1e-6, 1e-37, $"scalar [{i}] x={x[i]}");
        }
    }

    [Fact]
    public void SoftcapBackwardIsOneMinusTanhSquared()
    {
        const float cap = 3f;
        var rnd = new Random(2);
        var x = KernelTestUtil.RandomArray(rnd, 257, 8f);
        var dy = KernelTestUtil.RandomArray(rnd, 257);
        var y = new float[x.Length];
        SoftcapKernel.Forward(x, cap, y);
        var dx = new float[x.Length];
        var dxs = new float[x.Length];
        SoftcapKernel.Backward(y, dy, cap, dx);
        SoftcapKernel.BackwardScalar(y, dy, cap, dxs);
        for (int i = 0; i < x.Length; i++)
        {
            double th = Math.Tanh((double)x[i] / cap);
            double e = dy[i] * (1 - th * th);
            // 1 − tanh² from a float tanh loses digits near saturation: absolute error ~ 2·ulp(1)·|dy|.
            Check.Close(e, dx[i], 1e-4, 1e-6 * Math.Abs(dy[i]), $"vector [{i}]");
            Assert.Equal(dxs[i], dx[i], 1e-6f);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftcapKernel.Forward(x, float.NaN, y));
    }

    [Fact]
    public void ZLossAddsScaledSquaredLogSumExpAndItsGradient()
    {
        const int rows = 5, classes = 37;
        const float z = 0.03f;
        var rnd = new Random(3);
        var x = KernelTestUtil.RandomArray(rnd, rows * classes, 4f);
        long[] t = [1, -100, 36, 0, -100];
        var m = new float[rows];
        var l = new float[rows];
        CrossEntropyKernel.Forward(x, t, classes, [], -100, 0f, default, m, l);
        var loss = new float[rows];
        double sum = ZLossKernel.Forward(m, l, t, -100, z, loss);
        var g = new float[] { 0.5f, 1f, -2f, 1.5f, 1f };
        var grad = new float[x.Length];
        var grads = new float[x.Length];
        ZLossKernel.Backward(x, classes, t, -100, z, m, l, g, grad);
        ZLossKernel.BackwardScalar(x, classes, t, -100, z, m, l, g, grads);
        double expectedSum = 0;
        for (int r = 0; r < rows; r++)
        {
            double mx = double.NegativeInfinity, s = 0;
            for (int c = 0; c < classes; c++) mx = Math.Max(mx, x[r * classes + c]);
            for (int c = 0; c < classes; c++) s += Math.Exp(x[r * classes + c] - mx);
            double lse = mx + Math.Log(s);
            bool ignored = t[r] == -100;
            double term = ignored ? 0 : z * lse * lse;
            expectedSum += term;
            Check.Close(term, loss[r], 1e-5, 1e-7, $"loss[{r}]");
            for (int c = 0; c < classes; c++)
            {
                double e = ignored ? 0 : g[r] * 2 * z * lse * Math.Exp(x[r * classes + c] - lse);
                Check.Close(e, grad[r * classes + c], 1e-5, 1e-8, $"grad[{r},{c}]");
                Check.Close(e, grads[r * classes + c], 1e-5, 1e-8, $"scalar grad[{r},{c}]");
            }
        }
        Check.Close(expectedSum, sum, 1e-5, 0, "sum");
    }
}
