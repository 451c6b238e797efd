using Xent.Kernels;
using Xent.Tests.Kernels;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Losses;

/// <summary>
/// The new losses beyond their goldens: focal with γ = 0 is cross-entropy bit for bit, the parallel kernels agree with
/// float64 references computed here, gradients agree with finite differences, and bad arguments give clear errors.
/// </summary>
[Collection(WarningsCollection.Name)]
public class LossesExtraTests
{
    private static int[] Bits(ReadOnlySpan<float> x) => x.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void FocalLoss_GammaZero_IsCrossEntropyBitForBit(Reduction reduction)
    {
        var gen = new Generator(3);
        var logits = Tensor.Randn([37, 5, 3], gen) * 3f;
        var target = Tensor.RandInt(0, 5, [37, 3], gen);
        target.Int64Data[4] = -100;
        target.Int64Data[40] = -100;
        var weight = Tensor.Rand([5], gen) + 0.5f;
        var a = logits.Detach().RequiresGrad_();
        var b = logits.Detach().RequiresGrad_();
        var focal = F.FocalLoss(a, target, 0f, weight, -100, reduction);
        var ce = F.CrossEntropy(b, target, weight, -100, reduction);
        Assert.Equal(Bits(ce.Data), Bits(focal.Data));
        (reduction == Reduction.None ? focal.Sum() : focal).Backward();
        (reduction == Reduction.None ? ce.Sum() : ce).Backward();
        Assert.Equal(Bits(b.Grad!.Data), Bits(a.Grad!.Data));
    }

    [Fact]
    public void FocalKernel_GammaZero_GivesCrossEntropyKernelsRowLossesBitForBit()
    {
        // The focal kernel's own arithmetic (not the functional layer's delegation) reduces to cross-entropy's.
        var gen = new Generator(5);
        int rows = 300, classes = 23;
        var x = (Tensor.Randn([rows, classes], gen) * 4f).Data.ToArray();
        var t = Tensor.RandInt(0, classes, [rows], gen).ToInt64Array();
        var w = (Tensor.Rand([classes], gen) + 0.5f).Data.ToArray();
        var focal = new float[rows];
        var ce = new float[rows];
        var ft = FocalLossKernel.Forward(x, t, classes, 0f, w, -100, focal, default, default);
        var ct = CrossEntropyKernel.Forward(x, t, classes, w, -100, 0f, ce, default, default);
        Assert.Equal(Bits(ce), Bits(focal));
        Assert.Equal(ct, ft);
    }

    /// <summary>The focal loss and gradient of one row in float64, straight from the definition (no shared code).</summary>
    private static double FocalReference(float[] x, int r, int classes, long t, double gamma, double wt, double[] grad)
    {
        double m = double.NegativeInfinity;
        for (int c = 0; c < classes; c++) m = Math.Max(m, x[r * classes + c]);
        double s = 0;
        for (int c = 0; c < classes; c++) s += Math.Exp(x[r * classes + c] - m);
        var p = new double[classes];
        for (int c = 0; c < classes; c++) p[c] = Math.Exp(x[r * classes + c] - m) / s;
        double lp = x[r * classes + t] - m - Math.Log(s), pt = Math.Exp(lp), u = 1 - pt;
        // d/dx_c of −w·u^γ·lp by the product rule, with dp_t/dx_c = p_t·(δ − p_c) and dlp/dx_c = δ − p_c (its limit 0 where u = 0).
        for (int c = 0; c < classes; c++)
        {
            double d = (c == t ? 1 : 0) - p[c];
            double du = -pt * d;
            grad[c] = -wt * ((gamma == 0 || u == 0 ? 0 : gamma * Math.Pow(u, gamma - 1) * du) * lp + Math.Pow(u, gamma) * d);
        }
        return -wt * Math.Pow(u, gamma) * lp;
    }

    [Theory]
    [InlineData(0.5f, 7)]
    [InlineData(1f, 40)]
    [InlineData(2f, 3)]
    [InlineData(3.7f, 130)]
    public void FocalKernels_ParallelFusedAndScalar_MatchFloat64Reference(float gamma, int classes)
    {
        var gen = new Generator(11);
        int rows = 2000;
        var x = (Tensor.Randn([rows, classes], gen) * 2.5f).Data.ToArray();
        var t = Tensor.RandInt(0, classes, [rows], gen).ToInt64Array();
        t[17] = -1;
        var w = (Tensor.Rand([classes], gen) + 0.5f).Data.ToArray();
        var expectedLoss = new float[rows];
        var expectedGrad = new float[x.Length];
        var g = new double[classes];
        double sum = 0, wsum = 0;
        for (int r = 0; r < rows; r++)
        {
            if (t[r] == -1) continue;
            double li = FocalReference(x, r, classes, t[r], gamma, w[t[r]], g);
            expectedLoss[r] = (float)li;
            sum += li;
            wsum += w[t[r]];
            for (int c = 0; c < classes; c++) expectedGrad[r * classes + c] = (float)(g[c] / 1); // 'sum' gradient
        }
        double atol = Check.Scale(expectedGrad, 2e-6);

        var loss = new float[rows];
        var m = new float[rows];
        var l = new float[rows];
        var totals = FocalLossKernel.Forward(x, t, classes, gamma, w, -1, loss, m, l);
        Check.Close(expectedLoss, loss, 1e-5, 1e-6, "forward loss");
        Check.Close(sum / wsum, totals.Mean, 1e-5, 0, "forward mean");
        var dx = new float[x.Length];
        FocalLossKernel.Backward(x, t, classes, gamma, w, -1, m, l, [1f], dx);
        Check.Close(expectedGrad, dx, 1e-4, atol, "backward");

        var fused = new float[x.Length];
        var fusedLoss = new float[rows];
        var ft = FocalLossKernel.ForwardBackward(x, t, classes, gamma, w, -1, 1f, fused, fusedLoss);
        Check.Close(expectedLoss, fusedLoss, 1e-5, 1e-6, "fused loss");
        Check.Close(sum, ft.LossSum, 1e-5, 0, "fused sum");
        Check.Close(expectedGrad, fused, 1e-4, atol, "fused grad");

        var mean = new float[x.Length];
        float meanValue = FocalLossKernel.ForwardBackwardMean(x, t, classes, gamma, w, -1, mean);
        Check.Close(sum / wsum, meanValue, 1e-5, 0, "fused mean");
        for (int i = 0; i < mean.Length; i++) Check.Close(expectedGrad[i] / wsum, mean[i], 1e-4, atol / wsum, $"fused mean grad[{i}]");

        var scalar = new float[x.Length];
        var st = FocalLossKernel.ForwardBackwardScalar(x, t, classes, gamma, w, -1, 1f, scalar);
        Check.Close(sum, st.LossSum, 1e-5, 0, "scalar sum");
        Check.Close(expectedGrad, scalar, 1e-4, atol, "scalar grad");
    }

    [Fact]
    public void FocalLoss_ConfidentRows_StayFiniteAndCloseForGammaBelowOne()
    {
        // p_t → 1 with γ = 0.5: the gradient's (1 − p_t)^(γ−1) factor is infinite on its own and must not leak out.
        // float32's log-sum-exp resolves log p_t only to ~1e-7 absolute (as cross-entropy's does), hence the loose loss check.
        var x = Tensor.FromArray(new float[,] { { 0f, -14.5f, -14.5f }, { 30f, 0f, 0f }, { 1e4f, -1e4f, 0f } }).RequiresGrad_();
        var t = Tensor.FromArray([0L, 0L, 0L]);
        var loss = F.FocalLoss(x, t, 0.5f, reduction: Reduction.None);
        loss.Sum().Backward();
        var data = x.Data.ToArray();
        for (int r = 0; r < 3; r++)
        {
            double[] g = new double[3];
            double expected = FocalReference(data, r, 3, 0, 0.5, 1, g);
            Check.Close(expected, loss.Data[r], 0.1, 1e-12, $"loss row {r}");
            for (int c = 0; c < 3; c++)
            {
                Assert.True(float.IsFinite(x.Grad!.Data[r * 3 + c]));
                Check.Close(g[c], x.Grad!.Data[r * 3 + c], 0.1, 1e-6, $"grad [{r},{c}]");
            }
        }
    }

    [Fact]
    public void Gradients_MatchFiniteDifferences()
    {
        var gen = new Generator(21);
        var t = Tensor.FromArray([2L, 0L, -100L, 3L]);
        var w = Tensor.FromArray([0.5f, 1f, 2f, 1.5f]);
        GradCheck.Check(a => F.FocalLoss(a[0], t, 2f, w, reduction: Reduction.None), [Tensor.Randn([4, 4], gen)]);
        GradCheck.Check(a => F.FocalLoss(a[0], t, 0.5f, w), [Tensor.Randn([4, 4], gen)]);
        var y = Tensor.FromArray(new float[,] { { 1f, 0f, 0.3f }, { 0f, 1f, 1f } });
        GradCheck.Check(a => F.SigmoidFocalLoss(a[0], y, 0.25f, 2f), [Tensor.Randn([2, 3], gen) * 2f]);
        GradCheck.Check(a => F.SigmoidFocalLoss(a[0], y, -1f, 1.5f, Reduction.Sum), [Tensor.Randn([2, 3], gen) * 2f]);
        var teacher = Tensor.Randn([3, 5], gen) * 2f;
        GradCheck.Check(a => F.DistillationLoss(a[0], teacher, 2.5f), [Tensor.Randn([3, 5], gen)]);
        var q = F.Softmax(Tensor.Randn([3, 4], gen), 1);
        GradCheck.Check(a => F.KlDiv(a[0], q, KlDivReduction.BatchMean), [F.LogSoftmax(Tensor.Randn([3, 4], gen), 1)]);
    }

    [Fact]
    public void ElementwiseAndDistillationKernels_AgreeWithTheirScalarTwins()
    {
        var gen = new Generator(8);
        int n = 70000; // several chunks
        var x = (Tensor.Randn([n], gen) * 5f).Data.ToArray();
        var y = Tensor.Rand([n], gen).Data.ToArray();
        var a = new float[n];
        var b = new float[n];
        // The element-wise kernels against themselves one element at a time (ElementwiseReference): the chunked,
        // threaded walk must give every element the same value and the same sum up to its order.
        Check.Close(ElementwiseReference.Run(x, y, b, (xi, yi, li) => SigmoidFocalLossKernel.Forward(xi, yi, 0.3f, 2f, li)),
            SigmoidFocalLossKernel.Forward(x, y, 0.3f, 2f, a), 1e-12, 0, "sigmoid focal sum");
        Assert.Equal(b, a);
        SigmoidFocalLossKernel.Backward(x, y, 0.3f, 2f, [0.5f], a);
        ElementwiseReference.Run(x, y, b, (xi, yi, gi) => SigmoidFocalLossKernel.Backward(xi, yi, 0.3f, 2f, [0.5f], gi));
        Assert.Equal(b, a);
        Check.Close(ElementwiseReference.Run(x, y, b, (xi, yi, li) => KlDivKernel.Forward(xi, yi, false, li)),
            KlDivKernel.Forward(x, y, false, a), 1e-12, 0, "kl sum");
        Assert.Equal(b, a);

        int rows = 900, classes = 77;
        var s = (Tensor.Randn([rows, classes], gen) * 3f).Data.ToArray();
        var t = (Tensor.Randn([rows, classes], gen) * 3f).Data.ToArray();
        var gs = new float[s.Length];
        var gp = new float[s.Length];
        double ss = DistillationKernel.ForwardScalar(s, t, classes, 3f, default, 0.01f, gs);
        double sp = DistillationKernel.Forward(s, t, classes, 3f, default, 0.01f, gp);
        Check.Close(ss, sp, 1e-5, 0, "distillation sum");
        Check.Close(gs, gp, 1e-4, Check.Scale(gs, 1e-6), "distillation grad");
    }

    [Fact]
    public void KlDiv_HandlesZeroTargetsAndWarnsForMean()
    {
        var input = Tensor.FromArray(new float[,] { { -0.5f, -1f }, { -2f, float.NegativeInfinity } });
        var target = Tensor.FromArray(new float[,] { { 0.6f, 0.4f }, { 1f, 0f } });
        var none = F.KlDiv(input, target, KlDivReduction.None);
        // 0·log 0 − 0·(−inf) = 0 − NaN in PyTorch's float arithmetic: the −inf input under a zero target is NaN there too.
        Check.Close(0.6 * Math.Log(0.6) + 0.6 * 0.5, none.Data[0], 1e-6, 1e-7, "[0,0]");
        Check.Close(0.4 * Math.Log(0.4) + 0.4 * 1, none.Data[1], 1e-6, 1e-7, "[0,1]");
        Check.Close(2, none.Data[2], 1e-6, 0, "[1,0]");
        Assert.True(float.IsNaN(none.Data[3]));
        var messages = new List<string>();
        var saved = Diagnostics.Warnings.Handler;
        Diagnostics.Warnings.Reset();
        Diagnostics.Warnings.Handler = messages.Add;
        try
        {
            F.KlDiv(input, target);
            F.KlDiv(input, target);
        }
        finally { Diagnostics.Warnings.Handler = saved; }
        Assert.Single(messages);
        Assert.Contains("'batchmean'", messages[0]);
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        var x = Tensor.Randn([3, 4], new Generator(1));
        var t = Tensor.FromArray([0L, 4L, 1L]);
        Assert.Equal("Target 4 is out of bounds.", Assert.Throws<ArgumentOutOfRangeException>(() => F.FocalLoss(x, t)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.FocalLoss(x, Tensor.FromArray([0L, 1L, 2L]), -1f));
        Assert.Throws<ArgumentException>(() => F.FocalLoss(x, F.Softmax(x, 1)));
        Assert.Throws<NotSupportedException>(() => F.KlDiv(x, Tensor.Rand([1, 4], new Generator(2))));
        Assert.Throws<ArgumentException>(() => F.KlDiv(x, Tensor.FromArray([0L, 1L, 2L])));
        Assert.Throws<ArgumentException>(() => F.SigmoidFocalLoss(x, Tensor.Rand([4, 3], new Generator(2))));
        Assert.Throws<ArgumentException>(() => F.DistillationLoss(x, Tensor.Randn([3, 5], new Generator(2)), 2f));
        Assert.Throws<ArgumentException>(() => F.DistillationLoss(Tensor.Randn([4], new Generator(2)), Tensor.Randn([4], new Generator(2)),
            2f));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.DistillationLoss(x, x, 0f));
    }
}
