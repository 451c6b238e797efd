using Xent.Tests.Support;
using Xent.Kernels;
using Xunit;
using static Xent.Tests.Kernels.CeReference;

namespace Xent.Tests.Kernels;

/// <summary>
/// The fused step for few classes (C ≤ 16, 16 rows per group, one row per lane) against the scalar twin and a
/// float64 reference. Where the machine has no AVX-512 (or DOTNET_EnableHWIntrinsic=0) the same cases run the
/// general path and must still pass.
/// </summary>
public class CrossEntropyRowGroupTests
{
    private static (float[] X, long[] T, float[] W) Make(int seed, int n, int c, bool weighted, int ignoredEvery)
    {
        var rng = new Random(seed);
        float[] x = RandomLogits(rng, n * c, 4);
        long[] t = Enumerable.Range(0, n).Select(i => ignoredEvery > 0 && i % ignoredEvery == 3 ? -100L : rng.Next(c)).ToArray();
        float[] w = weighted ? Enumerable.Range(0, c).Select(_ => (float)(0.25 + 1.5 * rng.NextDouble())).ToArray() : [];
        return (x, t, w);
    }

    /// <summary>Fused kernel, scalar twin and float64 reference (loss per row, totals and gradient) on one case.</summary>
    private static void AssertMatches(float[] x, long[] t, int c, float[] w, long ignore, float eps, float scale)
    {
        int n = t.Length;
        var dx = new float[x.Length];
        var dxS = new float[x.Length];
        var loss = new float[n];
        var lossS = new float[n];
        dx.AsSpan().Fill(float.NaN); // every value must be written, ignored rows included
        var totals = CrossEntropyKernel.ForwardBackward(x, t, c, w, ignore, eps, scale, dx, loss);
        var totalsS = CrossEntropyKernel.ForwardBackwardScalar(x, t, c, w, ignore, eps, scale, dxS, lossS);

        double[] xd = ToDouble(x);
        double[]? wd = w.Length > 0 ? ToDouble(w) : null;
        double[] expected = IndexLoss(xd, t, c, wd, ignore, eps);
        for (int i = 0; i < n; i++) Check.Close(expected[i], loss[i], 1e-5, 1e-6, $"loss[{i}]");
        Check.Close(lossS, loss, 1e-5, 1e-6, "loss vs scalar");
        Check.Close(expected.Sum(), totals.LossSum, 1e-5, 1e-5, "loss sum");
        Check.Close(totalsS.LossSum, totals.LossSum, 1e-6, 1e-5, "loss sum vs scalar");
        Assert.Equal(IndexDenominator(t, wd, ignore), totals.WeightSum, 5);

        // Analytic float64 gradient: scale·[(1 − ε)·w_t·(p − onehot) + ε/C·(W·p − w)], 0 on ignored rows.
        var exp = new float[x.Length];
        double wSum = wd?.Sum() ?? c;
        for (int i = 0; i < n; i++)
        {
            if (t[i] == ignore) continue;
            double[] lp = LogSoftmax(xd.AsSpan(i * c, c));
            double wt = wd?[t[i]] ?? 1;
            for (int j = 0; j < c; j++)
            {
                double p = Math.Exp(lp[j]);
                exp[i * c + j] = (float)(scale * ((1 - eps) * wt * (p - (j == t[i] ? 1 : 0)) + eps / c * (wSum * p - (wd?[j] ?? 1))));
            }
        }
        double atol = Check.Scale(exp, 1e-6) + 1e-6 * scale; // C = 1: the exact gradient is 0, float32 leaves rounding
        Check.Close(exp, dx, 1e-5, atol, "dx");
        Check.Close(dxS, dx, 1e-5, atol, "dx vs scalar");
    }

    public static TheoryData<int, int, bool, int, float> Cases => new()
    {
        // C = 1, C not a multiple of anything, C = 16; N below, at and past one group, and ragged ends.
        { 1, 1, false, 0, 0f }, { 37, 1, true, 5, 0.1f }, { 15, 3, false, 0, 0f }, { 16, 10, false, 0, 0f },
        { 17, 10, true, 4, 0.2f }, { 100, 7, true, 0, 0.05f }, { 33, 13, false, 6, 0.3f }, { 48, 16, true, 7, 0f },
        { 1000, 10, false, 9, 0.1f }, { 3000, 16, true, 11, 0f },
    };

    [Theory, MemberData(nameof(Cases))]
    public void FusedGroups_MatchScalarTwin_AndFloat64(int n, int c, bool weighted, int ignoredEvery, float eps)
    {
        var (x, t, w) = Make(n * 97 + c, n, c, weighted, ignoredEvery);
        AssertMatches(x, t, c, w, -100, eps, 1f / n);
    }

    [Fact]
    public void IgnoreIndex_ThatIsAValidClass_AndAnIgnoreIndexBeyondInt32()
    {
        var (x, t, w) = Make(3, 40, 6, true, 0);
        AssertMatches(x, t, 6, w, 2, 0.1f, 0.5f);
        Assert.Contains(2L, t);
        long huge = 1L << 40;
        t[5] = huge;
        t[39] = huge;
        AssertMatches(x, t, 6, w, huge, 0f, 1f);
    }

    [Fact]
    public void AllRowsIgnored_GiveZeroGradientAndNaNMean()
    {
        var (x, _, w) = Make(4, 20, 5, true, 0);
        long[] t = Enumerable.Repeat(-100L, 20).ToArray();
        x[7] = float.NaN; // an ignored row's NaN must not reach its gradient
        var dx = new float[x.Length];
        dx.AsSpan().Fill(3f);
        float mean = CrossEntropyKernel.ForwardBackwardMean(x, t, 5, w, -100, 0.1f, dx);
        Assert.True(float.IsNaN(mean));
        Assert.All(dx, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(4, 0f)]
    [InlineData(11, 0.2f)]
    public void InfNaNAndHugeLogits_StayInTheirRows(int c, float eps)
    {
        int n = 21;
        var (x, t, w) = Make(c, n, c, true, 0);
        x[0 * c + 1] = float.NegativeInfinity;                            // a −inf logit
        for (int j = 0; j < c; j++) x[2 * c + j] = 3e4f - 7 * j;          // huge, far apart
        for (int j = 0; j < c; j++) x[3 * c + j] = -3e4f + 5 * j;         // hugely negative
        t[4] = 1; x[4 * c + 1] = float.NegativeInfinity;                  // the target's logit is −inf: loss +inf
        x[5 * c + c - 1] = float.NaN;                                     // NaN row
        for (int j = 0; j < c; j++) x[6 * c + j] = float.NegativeInfinity; // all −inf: NaN row
        x[7 * c] = float.PositiveInfinity;                                // +inf: NaN row
        var dx = new float[x.Length];
        var dxS = new float[x.Length];
        var loss = new float[n];
        var lossS = new float[n];
        var totals = CrossEntropyKernel.ForwardBackward(x, t, c, w, -100, eps, 0.1f, dx, loss);
        CrossEntropyKernel.ForwardBackwardScalar(x, t, c, w, -100, eps, 0.1f, dxS, lossS);
        Assert.True(float.IsNaN((float)totals.LossSum));
        double[] expected = IndexLoss(ToDouble(x), t, c, ToDouble(w), -100, eps);
        for (int i = 0; i < n; i++)
        {
            bool nan = i is 5 or 6 or 7;
            Assert.Equal(nan, float.IsNaN(loss[i]));
            Assert.Equal(nan, float.IsNaN(lossS[i]));
            if (!nan) Check.Close(expected[i], loss[i], 1e-5, 1e-6, $"loss[{i}]");
            for (int j = 0; j < c; j++)
            {
                float a = dx[i * c + j], b = dxS[i * c + j];
                if (nan) Assert.True(float.IsNaN(a), $"dx[{i},{j}]");
                else
                {
                    Assert.True(float.IsFinite(a), $"dx[{i},{j}] = {a}");
                    Check.Close(b, a, 1e-5, 1e-7, $"dx[{i},{j}]");
                }
            }
        }
        Assert.Equal(float.PositiveInfinity, loss[4]);
    }

    [Fact]
    public void LossSpan_IsOptional_AndTotalsDoNotDependOnIt()
    {
        var (x, t, w) = Make(9, 50, 9, true, 4);
        var dx1 = new float[x.Length];
        var dx2 = new float[x.Length];
        var a = CrossEntropyKernel.ForwardBackward(x, t, 9, w, -100, 0.1f, 1f, dx1);
        var b = CrossEntropyKernel.ForwardBackward(x, t, 9, w, -100, 0.1f, 1f, dx2, new float[50]);
        Assert.Equal(a, b);
        Assert.Equal(dx1, dx2);
    }
}

[Collection(KernelThreadingCollection.Name)]
public class CrossEntropyRowGroupThreadTests
{
    [Fact]
    public void RowGroups_AreBitIdentical_ForOneAndTwoThreads()
    {
        var rng = new Random(8);
        int n = 17000 + 5, c = 16; // several chunks of whole groups, a ragged last group, past SerialWorkLimit
        Assert.True((long)n * c >= KernelParallel.SerialWorkLimit);
        float[] x = RandomLogits(rng, n * c);
        long[] t = Enumerable.Range(0, n).Select(i => i % 29 == 0 ? -100L : rng.Next(c)).ToArray();
        float[] w = Enumerable.Range(0, c).Select(_ => (float)(0.5 + rng.NextDouble())).ToArray();
        (CrossEntropyTotals, float[], float[]) Run(int threads) => KernelTestUtil.WithThreads(threads, () =>
        {
            var dx = new float[x.Length];
            var loss = new float[n];
            return (CrossEntropyKernel.ForwardBackward(x, t, c, w, -100, 0.1f, 1f / n, dx, loss), dx, loss);
        });
        var one = Run(1);
        var two = Run(2);
        Assert.Equal(one.Item1, two.Item1);
        Assert.Equal(one.Item2, two.Item2);
        Assert.Equal(one.Item3, two.Item3);
    }
}
