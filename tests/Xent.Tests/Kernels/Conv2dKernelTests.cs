using Xent.Tests.Support;
using Xunit;
using Xent.Kernels;
using static Xent.Tests.Kernels.KernelGolden;
using static Xent.Tests.Kernels.KernelTestUtil;

namespace Xent.Tests.Kernels;

public class Conv2dKernelTests
{
    private static void AssertClose(float[] want, float[] got, double relTol, string what)
    {
        Assert.Equal(want.Length, got.Length);
        double scale = want.Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max() + 1e-12;
        for (int i = 0; i < want.Length; i++)
            if (!(Math.Abs(want[i] - got[i]) <= relTol * scale))
                Assert.Fail($"{what}[{i}]: {got[i]} vs expected {want[i]} (scale {scale})");
    }

    private static (float[] Y, float[] Gx, float[] Gw, float[] Gb) RunFast(in Conv2dShape s, float[] x, float[] w, float[] b, float[] gy)
    {
        var y = new float[s.Batch * s.OutputImageSize];
        Conv2dKernel.Forward(in s, x, w, b, y);
        var gx = new float[x.Length];
        gx.AsSpan().Fill(float.NaN); // outputs are overwritten
        var gw = new float[w.Length];
        gw.AsSpan().Fill(float.NaN);
        var gb = new float[s.OutChannels];
        Conv2dKernel.BackwardInput(in s, gy, w, gx);
        Conv2dKernel.BackwardWeight(in s, gy, x, gw);
        Conv2dKernel.BackwardBias(in s, gy, gb);
        return (y, gx, gw, gb);
    }

    public static IEnumerable<object[]> Shapes() =>
    [
        [new Conv2dShape(3, 1, 12, 11, 4, 3, 3)],
        [new Conv2dShape(2, 3, 9, 8, 5, 3, 2, 2, 1, 1, 1)],
        [new Conv2dShape(11, 4, 6, 7, 6, 3, 3, 1, 1, 1, 1)],   // more images than one weight-gradient chunk
        [new Conv2dShape(2, 5, 4, 4, 3, 1, 1)],                // pointwise: no im2col
        [new Conv2dShape(1, 2, 7, 7, 3, 5, 5, 3, 3, 2, 2)],
    ];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesDirectReference(object shape) // Conv2dShape is internal: a public test method cannot name it
    {
        var s = (Conv2dShape)shape;
        var rnd = new Random(s.Height * 13 + s.OutChannels);
        float[] x = RandomArray(rnd, s.Batch * s.InputImageSize), w = RandomArray(rnd, s.WeightSize), b = RandomArray(rnd, s.OutChannels);
        float[] gy = RandomArray(rnd, s.Batch * s.OutputImageSize);
        var (y, gx, gw, gb) = RunFast(in s, x, w, b, gy);

        var yr = new float[y.Length];
        Conv2dKernel.ForwardScalar(in s, x, w, b, yr);
        var gxr = new float[gx.Length];
        var gwr = new float[gw.Length];
        var gbr = new float[gb.Length];
        Conv2dKernel.BackwardScalar(in s, gy, x, w, gxr, gwr, gbr);
        AssertClose(yr, y, 1e-5, "output");
        AssertClose(gxr, gx, 1e-5, "grad input");
        AssertClose(gwr, gw, 1e-5, "grad weight");
        AssertClose(gbr, gb, 1e-6, "grad bias");
    }

    [Fact]
    public void MatchesPyTorch()
    {
        foreach (var c in Cases("conv2d.json"))
        {
            int[] sh = Ints(c, "shape"), k = Ints(c, "kernel"), st = Ints(c, "stride"), p = Ints(c, "padding");
            var s = new Conv2dShape(sh[0], sh[1], sh[2], sh[3], c.GetProperty("out_channels").GetInt32(), k[0], k[1], st[0], st[1], p[0],
                p[1]);
            float[] b = Floats(c, "bias");
            var (y, gx, gw, gb) = RunFast(in s, Floats(c, "input"), Floats(c, "weight"), b, Floats(c, "grad_output"));
            AssertClose(Floats(c, "output"), y, 1e-5, "output");
            AssertClose(Floats(c, "grad_input"), gx, 1e-5, "grad input");
            AssertClose(Floats(c, "grad_weight"), gw, 1e-5, "grad weight");
            if (b.Length > 0) AssertClose(Floats(c, "grad_bias"), gb, 1e-5, "grad bias");
        }
    }

    [Fact]
    public void Gradients_MatchFiniteDifferences()
    {
        // L = Σ y·gy on a tiny case; central differences of a float64 direct convolution.
        var s = new Conv2dShape(2, 2, 5, 4, 3, 3, 2, 2, 1, 1, 1);
        var rnd = new Random(8);
        float[] x = RandomArray(rnd, s.Batch * s.InputImageSize), w = RandomArray(rnd, s.WeightSize), b = RandomArray(rnd, s.OutChannels);
        float[] gy = RandomArray(rnd, s.Batch * s.OutputImageSize);
        var (_, gx, gw, gb) = RunFast(in s, x, w, b, gy);

        double[] xd = x.Select(v => (double)v).ToArray(), wd = w.Select(v => (double)v).ToArray(), bd = b.Select(v => (double)v).ToArray();
        double Loss()
        {
            int ho = s.OutHeight, wo = s.OutWidth;
            double l = 0;
            for (int n = 0; n < s.Batch; n++)
                for (int co = 0; co < s.OutChannels; co++)
                    for (int oy = 0; oy < ho; oy++)
                        for (int ox = 0; ox < wo; ox++)
                        {
                            double acc = bd[co];
                            for (int ci = 0; ci < s.InChannels; ci++)
                                for (int ky = 0; ky < s.KernelH; ky++)
                                    for (int kx = 0; kx < s.KernelW; kx++)
                                    {
                                        int iy = oy * s.StrideH - s.PadH + ky, ix = ox * s.StrideW - s.PadW + kx;
                                        if (iy < 0 || iy >= s.Height || ix < 0 || ix >= s.Width) continue;
                                        acc += xd[((n * s.InChannels + ci) * s.Height + iy) * s.Width + ix]
                                            * wd[((co * s.InChannels + ci) * s.KernelH + ky) * s.KernelW + kx];
                                    }
                            l += acc * gy[((n * s.OutChannels + co) * ho + oy) * wo + ox];
                        }
            return l;
        }
        void CheckGrad(double[] param, float[] grad, string name)
        {
            const double h = 1e-4;
            for (int i = 0; i < param.Length; i++)
            {
                double old = param[i];
                param[i] = old + h; double lp = Loss();
                param[i] = old - h; double lm = Loss();
                param[i] = old;
                double fd = (lp - lm) / (2 * h);
                Assert.True(Math.Abs(fd - grad[i]) <= 1e-4 * (1 + Math.Abs(fd)), $"{name}[{i}]: {grad[i]} vs finite difference {fd}");
            }
        }
        CheckGrad(xd, gx, "grad input");
        CheckGrad(wd, gw, "grad weight");
        CheckGrad(bd, gb, "grad bias");
    }
}

[Collection(KernelThreadingCollection.Name)]
public class Conv2dKernelThreadingTests
{
    [Fact]
    public void ResultsAreBitIdentical_AcrossThreadCounts()
    {
        var s = new Conv2dShape(19, 3, 10, 9, 8, 3, 3, 1, 1, 1, 1);
        var rnd = new Random(4);
        float[] x = RandomArray(rnd, s.Batch * s.InputImageSize), w = RandomArray(rnd, s.WeightSize), b = RandomArray(rnd, s.OutChannels);
        float[] gy = RandomArray(rnd, s.Batch * s.OutputImageSize);
        float[][] Run(int threads) => WithThreads(threads, () =>
        {
            var y = new float[gy.Length];
            var gx = new float[x.Length];
            var gw = new float[w.Length];
            Conv2dKernel.Forward(in s, x, w, b, y);
            Conv2dKernel.BackwardInput(in s, gy, w, gx);
            Conv2dKernel.BackwardWeight(in s, gy, x, gw);
            return new[] { y, gx, gw };
        });
        float[][] one = Run(1), two = Run(2);
        for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], two[i]);
    }
}
