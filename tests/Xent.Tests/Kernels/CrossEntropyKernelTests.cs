using Xent.Tests.Support;
using Xent.Kernels;
using Xunit;
using static Xent.Tests.Kernels.CeReference;

namespace Xent.Tests.Kernels;

public class CrossEntropyKernelTests
{
    private sealed record Case(float[] X, long[] T, int C, float[] W, long Ignore, float Eps);

    private static Case Make(int seed, int n, int c, bool weighted, long ignore, int ignored, float eps, double scale = 3)
    {
        var rng = new Random(seed);
        var x = RandomLogits(rng, n * c, scale);
        var t = Enumerable.Range(0, n).Select(_ => (long)rng.Next(c)).ToArray();
        for (int k = 0; k < ignored; k++) t[rng.Next(n)] = ignore;
        var w = weighted ? Enumerable.Range(0, c).Select(_ => (float)(0.2 + rng.NextDouble() * 2)).ToArray() : [];
        return new Case(x, t, c, w, ignore, eps);
    }

    private static (float[] Loss, CrossEntropyTotals Totals, float[] M, float[] L) Fwd(Case k, bool scalar = false)
    {
        int n = k.T.Length;
        var loss = new float[n];
        var m = new float[n];
        var l = new float[n];
        var totals = scalar
            ? CrossEntropyKernel.ForwardScalar(k.X, k.T, k.C, k.W, k.Ignore, k.Eps, loss, m, l)
            : CrossEntropyKernel.Forward(k.X, k.T, k.C, k.W, k.Ignore, k.Eps, loss, m, l);
        return (loss, totals, m, l);
    }

    private static float[] Bwd(Case k, float[] m, float[] l, float[] rowGrad, bool scalar = false)
    {
        var dx = new float[k.X.Length];
        if (scalar) CrossEntropyKernel.BackwardScalar(k.X, k.T, k.C, k.W, k.Ignore, k.Eps, m, l, rowGrad, dx);
        else CrossEntropyKernel.Backward(k.X, k.T, k.C, k.W, k.Ignore, k.Eps, m, l, rowGrad, dx);
        return dx;
    }

    public static TheoryData<int, int, bool, int, float> Shapes => new()
    {
        { 1, 1, false, 0, 0f }, { 6, 1, true, 1, 0.1f }, { 1, 7, false, 0, 0f }, { 9, 5, true, 2, 0.2f },
        { 4, 16, false, 1, 0.1f }, { 7, 33, true, 0, 0f }, { 3, 100, true, 1, 0.05f }, { 5, 1000, false, 2, 0.3f },
        { 600, 40, true, 30, 0.1f },
    };

    [Theory, MemberData(nameof(Shapes))]
    public void Forward_MatchesFloat64Reference_AndScalarTwin(int n, int c, bool weighted, int ignored, float eps)
    {
        var k = Make(n * 31 + c, n, c, weighted, -100, ignored, eps);
        var (loss, totals, _, _) = Fwd(k);
        var (lossS, totalsS, _, _) = Fwd(k, scalar: true);
        double[]? w = weighted ? ToDouble(k.W) : null;
        double[] expected = IndexLoss(ToDouble(k.X), k.T, c, w, k.Ignore, eps);
        double den = IndexDenominator(k.T, w, k.Ignore);
        for (int i = 0; i < n; i++)
        {
            Check.Close(expected[i], loss[i], 1e-5, 1e-6, $"loss[{i}]");
            Check.Close(expected[i], lossS[i], 1e-5, 1e-6, $"scalar loss[{i}]");
        }
        Check.Close(expected.Sum(), totals.LossSum, 1e-5, 1e-6, "sum");
        Check.Close(totals.LossSum, totalsS.LossSum, 1e-6, 1e-6, "sum vs scalar");
        Assert.Equal(den, totals.WeightSum, 6);
        Assert.Equal(den, CrossEntropyKernel.TargetWeightSum(k.T, k.W, k.Ignore), 6);
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Backward_MatchesFiniteDifferences_ScalarTwin_AndFusedPath(int n, int c, bool weighted, int ignored, float eps)
    {
        if (n * c > 1000) n = Math.Max(1, 1000 / c); // finite differences cost O((NC)^2)
        ignored = Math.Min(ignored, n - 1); // keep one row so the mean is defined
        var k = Make(n * 17 + c, n, c, weighted, -100, ignored, eps);
        double[]? w = weighted ? ToDouble(k.W) : null;
        var rng = new Random(5);
        float[] g = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() + 0.5)).ToArray();
        double Objective(double[] x) { var l = IndexLoss(x, k.T, c, w, k.Ignore, eps); double s = 0; for (int i = 0; i < n; i++) s +=
            g[i] * l[i]; return s; }
        double[] fd = FiniteDifferences(Objective, ToDouble(k.X));

        var (_, totals, m, l) = Fwd(k);
        float[] dx = Bwd(k, m, l, g);
        float[] dxS = Bwd(k, m, l, g, scalar: true);
        float[] fdF = ToFloat(fd);
        double atol = Check.Scale(fdF, 1e-5) + 1e-7;
        Check.Close(fdF, dx, 1e-4, atol, "dx");
        Check.Close(dx, dxS, 1e-5, 1e-7, "dx vs scalar");

        // Fused with one scale for all rows: gradient of the mean.
        float scale = (float)(1 / totals.WeightSum);
        double[] fdMean = FiniteDifferences(x => IndexLoss(x, k.T, c, w, k.Ignore, eps).Sum() * scale, ToDouble(k.X));
        var fused = new float[k.X.Length];
        float mean = CrossEntropyKernel.ForwardBackwardMean(k.X, k.T, c, k.W, k.Ignore, eps, fused);
        Check.Close(totals.Mean, mean, 1e-6, 0, "fused mean");
        Check.Close(ToFloat(fdMean), fused, 1e-4, Check.Scale(ToFloat(fdMean), 1e-5) + 1e-8, "fused dx");
        var fusedS = new float[k.X.Length];
        var totalsS = CrossEntropyKernel.ForwardBackwardScalar(k.X, k.T, c, k.W, k.Ignore, eps, scale, fusedS);
        Check.Close(fusedS, fused, 1e-5, 1e-8, "fused vs scalar");
        Check.Close(totalsS.LossSum, totals.LossSum, 1e-6, 1e-6);
    }

    [Fact]
    public void LargeLogits_DoNotOverflow_AndKeepSmallLosses()
    {
        float[] x =
        [
            1e4f, -1e4f, 0f, 1e4f - 1, 5f,
            -1e4f, -1e4f + 0.5f, -1e4f + 2, -1e4f, -1e4f - 3,
            1e4f, 1e4f - 20, 1e4f - 30, 1e4f - 40, 1e4f - 50,
        ];
        var k = new Case(x, [0, 2, 0], 5, [], -100, 0f);
        var (loss, _, m, l) = Fwd(k);
        double[] expected = IndexLoss(ToDouble(x), k.T, 5, null, -100, 0);
        // Row 2's exact loss is log(1 + 2e-9): float32 rounds the row sum to 1, as PyTorch does.
        for (int i = 0; i < 3; i++) Check.Close(expected[i], loss[i], 1e-5, 1e-8, $"loss[{i}]");
        float[] dx = Bwd(k, m, l, [1f]);
        double[] fd = FiniteDifferences(v => IndexLoss(v, k.T, 5, null, -100, 0).Sum(), ToDouble(x), 1e-9);
        Check.Close(ToFloat(fd), dx, 1e-3, 1e-6, "dx");
    }

    [Fact]
    public void NegativeInfinityLogits_AreLegal()
    {
        float ninf = float.NegativeInfinity;
        float[] x = [0.5f, ninf, 2f, -1f, /**/ ninf, ninf, 3f, 1f];
        var k = new Case(x, [0, 2], 4, [], -100, 0f);
        var (loss, _, m, l) = Fwd(k);
        Check.Close(IndexLoss(ToDouble(x), k.T, 4, null, -100, 0)[0], loss[0], 1e-6, 0);
        Check.Close(IndexLoss(ToDouble(x), k.T, 4, null, -100, 0)[1], loss[1], 1e-6, 0);
        float[] dx = Bwd(k, m, l, [1f]);
        Assert.Equal(0f, dx[1]);
        Assert.Equal(0f, dx[4]);
        Assert.All(dx, v => Assert.True(float.IsFinite(v)));

        // The target's logit −inf: loss +inf, gradient still finite (softmax − onehot).
        var k2 = k with { T = [1, 2] };
        var (loss2, totals2, m2, l2) = Fwd(k2);
        Assert.Equal(float.PositiveInfinity, loss2[0]);
        Assert.Equal(double.PositiveInfinity, totals2.LossSum);
        Assert.All(Bwd(k2, m2, l2, [1f]), v => Assert.True(float.IsFinite(v)));
        var fused = new float[x.Length];
        Assert.Equal(double.PositiveInfinity, CrossEntropyKernel.ForwardBackward(x, k2.T, 4, [], -100, 0f, 1f, fused).LossSum);
        Assert.All(fused, v => Assert.True(float.IsFinite(v)));

        // A row of only −inf is NaN, as PyTorch's log_softmax.
        var k3 = new Case([ninf, ninf, 1f, 2f], [0, 1], 2, [], -100, 0f);
        Assert.True(float.IsNaN(Fwd(k3).Loss[0]));
        Assert.False(float.IsNaN(Fwd(k3).Loss[1]));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(10)]
    [InlineData(16)]
    [InlineData(17)]
    public void FusedRowsOfFewClasses_WithInfNaNAndHugeLogits_MatchTheScalarTwin(int c)
    {
        // C ≤ 16 runs as one masked vector per row; the last row ends the array, so no lane may read past it.
        var rng = new Random(c);
        int n = 9;
        float[] x = RandomLogits(rng, n * c);
        x[0] = float.NegativeInfinity;                       // row 0: a −inf logit
        for (int j = 0; j < c; j++) x[c + j] = 1e4f - 3 * j;  // row 1: huge, far-apart logits
        x[2 * c + 1] = float.NaN;                            // row 2: NaN stays in its row
        long[] t = Enumerable.Range(0, n).Select(i => i == 4 ? -100L : rng.Next(c)).ToArray();
        float[] w = Enumerable.Range(0, c).Select(_ => (float)(0.5 + rng.NextDouble())).ToArray();
        foreach (var (weight, eps) in new[] { (Array.Empty<float>(), 0f), (w, 0.1f) })
        {
            var fused = new float[x.Length];
            var fusedS = new float[x.Length];
            var loss = new float[n];
            var lossS = new float[n];
            CrossEntropyKernel.ForwardBackward(x, t, c, weight, -100, eps, 0.25f, fused, loss);
            CrossEntropyKernel.ForwardBackwardScalar(x, t, c, weight, -100, eps, 0.25f, fusedS, lossS);
            for (int i = 0; i < n; i++)
            {
                bool nan = i == 2;
                Assert.Equal(nan, float.IsNaN(loss[i]));
                if (!nan) Check.Close(lossS[i], loss[i], 1e-5, 1e-6, $"loss[{i}]");
                for (int j = 0; j < c; j++)
                {
                    float a = fused[i * c + j], b = fusedS[i * c + j];
                    if (nan) Assert.True(float.IsNaN(a), $"dx[{i},{j}]");
                    else Check.Close(b, a, 1e-5, 1e-7, $"dx[{i},{j}]");
                }
            }
            Assert.All(fused.AsSpan(4 * c, c).ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void NaN_Propagates_ToItsRowOnly()
    {
        float[] x = [1f, float.NaN, 2f, /**/ 1f, 2f, 3f];
        var k = new Case(x, [0, 1], 3, [], -100, 0f);
        var (loss, _, m, l) = Fwd(k);
        Assert.True(float.IsNaN(loss[0]));
        Assert.False(float.IsNaN(loss[1]));
        float[] dx = Bwd(k, m, l, [1f]);
        Assert.True(float.IsNaN(dx[0]));
        Assert.False(float.IsNaN(dx[3]));
    }

    [Fact]
    public void AllIgnored_MeanIsNaN_GradientsZero()
    {
        var k = Make(3, 4, 5, true, 2, 0, 0.1f) with { T = [2, 2, 2, 2], Ignore = 2 };
        var (loss, totals, m, l) = Fwd(k);
        Assert.All(loss, v => Assert.Equal(0f, v));
        Assert.Equal(0.0, totals.LossSum);
        Assert.True(float.IsNaN(totals.Mean));
        var dx = new float[k.X.Length];
        dx.AsSpan().Fill(7f);
        Assert.True(float.IsNaN(CrossEntropyKernel.ForwardBackwardMean(k.X, k.T, 5, k.W, 2, 0.1f, dx)));
        Assert.All(dx, v => Assert.Equal(0f, v));
        Assert.All(Bwd(k, m, l, [float.PositiveInfinity]), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void IgnoreIndex_CanBeAValidClass()
    {
        var k = Make(11, 12, 5, true, 3, 0, 0.2f) with { Ignore = 3 };
        var (loss, totals, _, _) = Fwd(k);
        double[]? w = ToDouble(k.W);
        double[] expected = IndexLoss(ToDouble(k.X), k.T, 5, w, 3, 0.2);
        Assert.Contains(3L, k.T);
        for (int i = 0; i < k.T.Length; i++)
        {
            if (k.T[i] == 3) Assert.Equal(0f, loss[i]);
            Check.Close(expected[i], loss[i], 1e-5, 1e-6);
        }
        Assert.Equal(IndexDenominator(k.T, w, 3), totals.WeightSum, 5);
    }

    [Fact]
    public void LargeClassCount_MatchesFloat64()
    {
        var k = Make(7, 3, 50000, true, -100, 0, 0.1f);
        var (loss, totals, m, l) = Fwd(k);
        double[] w = ToDouble(k.W);
        double[] expected = IndexLoss(ToDouble(k.X), k.T, k.C, w, -100, 0.1);
        for (int i = 0; i < 3; i++) Check.Close(expected[i], loss[i], 2e-6, 0, $"loss[{i}]");
        float[] dx = Bwd(k, m, l, [1f]);
        var fused = new float[k.X.Length];
        var totalsFused = CrossEntropyKernel.ForwardBackward(k.X, k.T, k.C, k.W, -100, 0.1f, 1f, fused);
        Check.Close(totals.LossSum, totalsFused.LossSum, 2e-6, 0);
        // Analytic float64 gradient: (1−ε)·w_t·(p − onehot) + ε/C·(W·p − w).
        double wSum = w.Sum();
        for (int i = 0; i < 3; i++)
        {
            double[] lp = LogSoftmax(ToDouble(k.X).AsSpan(i * k.C, k.C));
            double wt = w[k.T[i]];
            var exp = new float[k.C];
            for (int c = 0; c < k.C; c++)
            {
                double p = Math.Exp(lp[c]);
                exp[c] = (float)(0.9 * wt * (p - (c == k.T[i] ? 1 : 0)) + 0.1 / k.C * (wSum * p - w[c]));
            }
            double atol = Check.Scale(exp, 2e-7);
            Check.Close(exp, dx.AsSpan(i * k.C, k.C), 1e-5, atol, "dx");
            Check.Close(exp, fused.AsSpan(i * k.C, k.C), 1e-5, atol, "fused");
        }
    }

    [Fact]
    public void StreamedGradient_OfALargeBatch_MatchesTheTwoKernelPath()
    {
        // Over 8 MiB of gradient: the fused path streams it with non-temporal stores; odd C puts
        // every row at a different alignment.
        int n = 70, c = 32001;
        Assert.True((long)n * c * sizeof(float) >= CrossEntropyKernel.StreamingBytes);
        var k = Make(8, n, c, true, -100, 3, 0.1f);
        var (_, totals, m, l) = Fwd(k);
        float scale = (float)(1 / totals.WeightSum);
        float[] dx = Bwd(k, m, l, [scale]);
        var fused = new float[k.X.Length];
        float mean = CrossEntropyKernel.ForwardBackwardMean(k.X, k.T, c, k.W, -100, 0.1f, fused);
        Check.Close(totals.Mean, mean, 1e-6, 0);
        Check.Close(dx, fused, 1e-4, Check.Scale(dx, 1e-6), "fused vs two kernels");
    }

    [Fact]
    public void OutOfBoundsTarget_Throws_BeforeWritingAnything()
    {
        var k = Make(1, 3, 4, false, -100, 0, 0f) with { T = [0, 12, 1] };
        var loss = new float[3];
        loss.AsSpan().Fill(5f);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            CrossEntropyKernel.Forward(k.X, k.T, 4, [], -100, 0f, loss, default, default));
        Assert.StartsWith("Target 12 is out of bounds.", ex.Message);
        Assert.All(loss, v => Assert.Equal(5f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropyKernel.ValidateTargets([-1], 4, -100));
        CrossEntropyKernel.ValidateTargets([-1, 3], 4, -1);
        Assert.Throws<ArgumentException>(() => CrossEntropyKernel.Forward(k.X, [0, 1], 4, [], -100, 0f, default, default, default));
        Assert.Throws<ArgumentException>(() => CrossEntropyKernel.Forward(k.X, [0, 1, 2], 4, [1f], -100, 0f, default, default, default));
        Assert.Throws<ArgumentException>(() => CrossEntropyKernel.Forward(k.X, [0, 1, 2], 4, [], -100, 1.5f, default, default, default));
    }

    [Theory]
    [InlineData(1, 1, false, 0f)]
    [InlineData(6, 5, true, 0.1f)]
    [InlineData(4, 37, false, 0f)]
    [InlineData(3, 200, true, 0.25f)]
    public void ProbabilityTargets_MatchFloat64_FiniteDifferences_AndScalarTwin(int n, int c, bool weighted, float eps)
    {
        var rng = new Random(n * 7 + c);
        float[] x = RandomLogits(rng, n * c);
        float[] q = new float[n * c];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < c; j++) s += q[i * c + j] = (float)rng.NextDouble();
            for (int j = 0; j < c; j++) q[i * c + j] /= (float)s;
        }
        float[] w = weighted ? Enumerable.Range(0, c).Select(_ => (float)(0.3 + rng.NextDouble())).ToArray() : [];
        double[]? wd = weighted ? ToDouble(w) : null;
        var loss = new float[n]; var m = new float[n]; var l = new float[n];
        var lossS = new float[n]; var mS = new float[n]; var lS = new float[n];
        double sum = CrossEntropyKernel.ForwardProb(x, q, c, w, eps, loss, m, l);
        double sumS = CrossEntropyKernel.ForwardProbScalar(x, q, c, w, eps, lossS, mS, lS);
        double[] expected = ProbLoss(ToDouble(x), ToDouble(q), c, wd, eps);
        for (int i = 0; i < n; i++) Check.Close(expected[i], loss[i], 1e-5, 1e-6, $"loss[{i}]");
        Check.Close(sumS, sum, 1e-5, 1e-6);
        var dx = new float[x.Length];
        var dxS = new float[x.Length];
        CrossEntropyKernel.BackwardProb(x, q, c, w, eps, m, l, [0.5f], dx);
        CrossEntropyKernel.BackwardProbScalar(x, q, c, w, eps, mS, lS, [0.5f], dxS);
        float[] fd = ToFloat(FiniteDifferences(v => 0.5 * ProbLoss(v, ToDouble(q), c, wd, eps).Sum(), ToDouble(x)));
        Check.Close(fd, dx, 1e-4, Check.Scale(fd, 1e-5) + 1e-8, "dx");
        Check.Close(dxS, dx, 1e-5, 1e-8, "dx vs scalar");
    }

    [Theory]
    [InlineData(3, float.PositiveInfinity, 0.25f)] // the 16-row groups (fused path) and the row kernels
    [InlineData(40, float.NegativeInfinity, 0.25f)]
    [InlineData(40, float.NaN, 0.25f)]
    [InlineData(3, 1f, float.PositiveInfinity)]   // finite weights, an infinite factor ('mean' over weights summing to 0)
    [InlineData(40, -1f, float.PositiveInfinity)]
    public void SmoothingWithANonFiniteWeightOrFactor_TheVectorKernelsMatchTheirScalarTwins(int c, float odd, float scale)
    {
        // Such calls leave the closed forms for PyTorch's term-by-term ones (CrossEntropyKernel.ExactSmoothing.cs); the scalar twins
        // must take the same forms, or the twins and the kernels disagree on which entries are inf and which NaN.
        var rng = new Random(c);
        int n = 20;
        float[] x = RandomLogits(rng, n * c);
        for (int i = 0; i < n; i += 3) x[i * c + c - 1] = x.AsSpan(i * c, c).ToArray().Max() + 0.5f; // the odd class is the max
        long[] t = Enumerable.Range(0, n).Select(i => i % 7 == 3 ? -100L : rng.Next(c - 1)).ToArray();
        float[] w = Enumerable.Range(0, c).Select(_ => (float)(0.5 + rng.NextDouble())).ToArray();
        w[c - 1] = odd;
        const float eps = 0.1f;
        var (loss, m, l) = (new float[n], new float[n], new float[n]);
        var (lossS, mS, lS) = (new float[n], new float[n], new float[n]);
        var totals = CrossEntropyKernel.Forward(x, t, c, w, -100, eps, loss, m, l);
        var totalsS = CrossEntropyKernel.ForwardScalar(x, t, c, w, -100, eps, lossS, mS, lS);
        Check.Close(lossS, loss, 1e-5, 1e-6, "loss");
        Check.Close(totalsS.LossSum, totals.LossSum, 1e-5, 1e-6, "loss sum");
        float[] rowGrad = Enumerable.Range(0, n).Select(i => i == 5 ? scale : (float)(rng.NextDouble() + 0.5)).ToArray();
        foreach (var g in new[] { rowGrad, [scale] })
        {
            var dx = new float[x.Length];
            var dxS = new float[x.Length];
            CrossEntropyKernel.Backward(x, t, c, w, -100, eps, m, l, g, dx);
            CrossEntropyKernel.BackwardScalar(x, t, c, w, -100, eps, m, l, g, dxS);
            Check.Close(dxS, dx, 1e-5, 1e-7, $"dx, {g.Length} factors");
            Assert.Contains(dx, v => !float.IsFinite(v));
        }
        var fused = new float[x.Length];
        var fusedS = new float[x.Length];
        var fusedTotals = CrossEntropyKernel.ForwardBackward(x, t, c, w, -100, eps, scale, fused, loss);
        var fusedTotalsS = CrossEntropyKernel.ForwardBackwardScalar(x, t, c, w, -100, eps, scale, fusedS, lossS);
        Check.Close(fusedS, fused, 1e-5, 1e-7, "fused dx");
        Check.Close(lossS, loss, 1e-5, 1e-6, "fused loss");
        Check.Close(fusedTotalsS.LossSum, fusedTotals.LossSum, 1e-5, 1e-6, "fused loss sum");
        // Ignored rows: NaN where a weight is not finite (PyTorch's 0·w_c), else 0.
        bool finite = float.IsFinite(odd);
        for (int k = 0; k < c; k++) Assert.Equal(finite ? 0f : float.NaN, fused[3 * c + k]);
    }
}

[Collection(KernelThreadingCollection.Name)]
public class CrossEntropyThreadTests
{
    [Fact]
    public void Results_AreBitIdentical_ForOneAndTwoThreads()
    {
        var rng = new Random(42);
        // Above KernelParallel.SerialWorkLimit, so two threads really share the chunks.
        int n = 2100, c = 129;
        float[] x = RandomLogits(rng, n * c);
        long[] t = Enumerable.Range(0, n).Select(i => i % 13 == 0 ? -100L : rng.Next(c)).ToArray();
        float[] w = Enumerable.Range(0, c).Select(_ => (float)(0.5 + rng.NextDouble())).ToArray();
        int saved = KernelParallel.MaxThreads;
        try
        {
            (CrossEntropyTotals, float[], CrossEntropyTotals, float[], float[]) Run(int threads)
            {
                KernelParallel.MaxThreads = threads;
                var loss = new float[n]; var m = new float[n]; var l = new float[n];
                var totals = CrossEntropyKernel.Forward(x, t, c, w, -100, 0.1f, loss, m, l);
                var fused = new float[x.Length];
                var fusedTotals = CrossEntropyKernel.ForwardBackward(x, t, c, w, -100, 0.1f, 0.01f, fused);
                var dx = new float[x.Length];
                CrossEntropyKernel.Backward(x, t, c, w, -100, 0.1f, m, l, [0.01f], dx);
                return (totals, loss, fusedTotals, fused, dx);
            }
            var one = Run(1);
            var two = Run(2);
            Assert.Equal(one.Item1, two.Item1);
            Assert.Equal(one.Item2, two.Item2);
            Assert.Equal(one.Item3, two.Item3);
            Assert.Equal(one.Item4, two.Item4);
            Assert.Equal(one.Item5, two.Item5);
            Assert.True(KernelParallel.ChunkCount(n, SoftmaxKernel.RowsPerChunk(c)) > 2, "the case must span several chunks");
            Assert.True((long)n * c >= KernelParallel.SerialWorkLimit, "the case must be big enough to run in parallel");
        }
        finally
        {
            KernelParallel.MaxThreads = saved;
        }
    }
}
