using Xent.NN;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Losses;

/// <summary>Identities, PyTorch's quirks and the module wrappers, each against an independent computation.</summary>
public class CrossEntropyBehaviourTests
{
    private static Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed));

    /// <summary>float64 reference: −Σ_i w[t_i]·log softmax(x_i)[t_i] over non-ignored rows, and the weight sum.</summary>
    private static (double Sum, double WeightSum, double[] Rows) Reference(float[] x, long[] t, int classes, float[]? w, long ignore)
    {
        int n = t.Length;
        var rows = new double[n];
        double sum = 0, ws = 0;
        for (int i = 0; i < n; i++)
        {
            if (t[i] == ignore) continue;
            double m = double.NegativeInfinity;
            for (int c = 0; c < classes; c++) m = Math.Max(m, x[i * classes + c]);
            double s = 0;
            for (int c = 0; c < classes; c++) s += Math.Exp(x[i * classes + c] - m);
            double wt = w is null ? 1 : w[t[i]];
            rows[i] = -wt * (x[i * classes + (int)t[i]] - m - Math.Log(s));
            sum += rows[i];
            ws += wt;
        }
        return (sum, ws, rows);
    }

    [Fact]
    public void CrossEntropy_MatchesFloat64Reference_WithWeightAndValidIgnoreClass()
    {
        var x = Randn(1, 7, 4) * 3f;
        var t = Tensor.FromArray([0, 3, 1, 3, 2, 0, 1], 7);
        var w = Tensor.FromArray([0.5f, 2f, 1.5f, 0.25f]);
        var (sum, ws, rows) = Reference(x.ToArray(), t.ToInt64Array(), 4, w.ToArray(), 3);
        Check.Close(sum / ws, F.CrossEntropy(x, t, w, ignoreIndex: 3).Item(), 1e-5, 0, "mean");
        Check.Close(sum, F.CrossEntropy(x, t, w, ignoreIndex: 3, reduction: Reduction.Sum).Item(), 1e-5, 0, "sum");
        var none = F.CrossEntropy(x, t, w, ignoreIndex: 3, reduction: Reduction.None);
        Assert.Equal([7], none.Shape);
        for (int i = 0; i < 7; i++) Check.Close(rows[i], none.Data[i], 1e-5, 1e-7, $"row {i}");
        Assert.Equal(0f, none.Data[1]);
        Assert.Equal(0f, none.Data[3]);
    }

    [Fact]
    public void CrossEntropy_EqualsNllOfLogSoftmax_KDim()
    {
        var x = Randn(2, 2, 5, 3, 2);
        var t = Tensor.RandInt(5, [2, 3, 2], new Generator(3));
        var w = Tensor.Rand([5], new Generator(4)) + 0.5f;
        foreach (var r in new[] { Reduction.None, Reduction.Mean, Reduction.Sum })
            Check.Close(F.NllLoss(F.LogSoftmax(x, 1), t, w, reduction: r), F.CrossEntropy(x, t, w, reduction: r), 1e-5, 1e-6, r.ToString());
    }

    [Fact]
    public void CrossEntropy_KDimEqualsTheTransposedTwoDimensionalCase()
    {
        // (N, C, d) against rows (N·d, C): an independent layout computed with Permute/Reshape.
        var x = Randn(5, 3, 4, 6).RequiresGrad_();
        var t = Tensor.RandInt(4, [3, 6], new Generator(6));
        var loss = F.CrossEntropy(x, t, labelSmoothing: 0.1f);
        loss.Backward();
        var x2 = x.Detach().Clone().RequiresGrad_();
        var rows = x2.Permute(0, 2, 1).Reshape(18, 4);
        var loss2 = F.CrossEntropy(rows, t.Reshape(18), labelSmoothing: 0.1f);
        loss2.Backward();
        Check.Close(loss2.Item(), loss.Item(), 1e-6, 0, "loss");
        Check.Close(x2.Grad!, x.Grad!, 1e-5, 1e-7, "grad");
    }

    [Fact]
    public void AllTargetsIgnored_MeanIsNaN_SumIsZero_GradientIsZero()
    {
        var t = Tensor.FromArray([-100, -100, -100], 3);
        foreach (float eps in new[] { 0f, 0.1f })
        {
            var x = Randn(7, 3, 4).RequiresGrad_();
            var mean = F.CrossEntropy(x, t, labelSmoothing: eps);
            Assert.True(float.IsNaN(mean.Item()));
            mean.Backward();
            Assert.All(x.Grad!.ToArray(), g => Assert.Equal(0f, g));
            Assert.Equal(0f, F.CrossEntropy(x.Detach(), t, reduction: Reduction.Sum, labelSmoothing: eps).Item());
        }
        Assert.True(float.IsNaN(F.NllLoss(Randn(8, 3, 4), t).Item()));
    }

    [Fact]
    public void ProbabilityTargets_OneHotEqualsIndexTargets_AndMeanDividesByRowsNotWeights()
    {
        var x = Randn(9, 2, 3, 4);
        var t = Tensor.RandInt(3, [2, 4], new Generator(10));
        var w = Tensor.FromArray([0.2f, 3f, 1f]);
        // One-hot probabilities in (N, C, d) layout.
        var q = Tensor.Zeros(2, 3, 4);
        for (int n = 0; n < 2; n++)
            for (int d = 0; d < 4; d++)
                q.Data[(n * 3 + (int)t.Int64Data[n * 4 + d]) * 4 + d] = 1f;
        var byIndex = F.CrossEntropy(x, t, w, reduction: Reduction.Sum).Item();
        Check.Close(byIndex, F.CrossEntropy(x, q, w, reduction: Reduction.Sum).Item(), 1e-5, 0, "sum");
        Check.Close(byIndex / 8.0, F.CrossEntropy(x, q, w).Item(), 1e-5, 0, "mean over N·d = 8");
        Assert.Equal([2, 4], F.CrossEntropy(x, q, w, reduction: Reduction.None).Shape);
    }

    [Fact]
    public void LabelSmoothing_IndexTargets_EqualsSmoothedProbabilityTargets_WithoutWeights()
    {
        var x = Randn(11, 5, 6);
        var t = Tensor.RandInt(6, [5], new Generator(12));
        var q = Tensor.Zeros(5, 6);
        for (int i = 0; i < 5; i++) q.Data[i * 6 + (int)t.Int64Data[i]] = 1f;
        Check.Close(F.CrossEntropy(x, q, labelSmoothing: 0.3f).Item(), F.CrossEntropy(x, t, labelSmoothing: 0.3f).Item(), 1e-5, 0, "mean");
    }

    [Fact]
    public void UnbatchedInput_ReturnsZeroDimLoss()
    {
        var x = Tensor.FromArray([0.1f, 0.7f, 0.2f]);
        var loss = F.CrossEntropy(x, Tensor.Scalar(1L), reduction: Reduction.None);
        Assert.Equal(0, loss.Rank);
        double lse = Math.Log(Math.Exp(0.1) + Math.Exp(0.7) + Math.Exp(0.2));
        Check.Close(lse - 0.7, loss.Item(), 1e-6, 0, "loss");
    }

    [Fact]
    public void BCEWithLogits_IsStableForLargeLogits()
    {
        var x = Tensor.FromArray([1e4f, -1e4f, 1e4f, -1e4f, 30f, -30f]).RequiresGrad_();
        var y = Tensor.FromArray([1f, 0f, 0f, 1f, 0f, 1f]);
        var loss = F.BinaryCrossEntropyWithLogits(x, y, reduction: Reduction.None);
        // float64 reference: max(x, 0) − x·y + log1p(e^−|x|).
        var xs = x.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            double v = xs[i], expected = Math.Max(v, 0) - v * y.Data[i] + Math.Log(1 + Math.Exp(-Math.Abs(v)));
            Check.Close(expected, loss.Data[i], 1e-6, 1e-30, $"loss[{i}]");
        }
        loss.Sum().Backward();
        var g = x.Grad!.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            double sig = 1 / (1 + Math.Exp(-xs[i]));
            Check.Close(sig - y.Data[i], g[i], 1e-5, 1e-30, $"grad[{i}]");
        }
    }

    [Fact]
    public void LossModules_MatchFloat64References()
    {
        var x = Randn(13, 4, 3);
        var t = Tensor.FromArray([0, 2, 1, 2], 4);
        var w = Tensor.FromArray([1f, 2f, 0.5f]);
        float[] xs = x.ToArray(), ws = w.ToArray();
        long[] ts = t.ToInt64Array();

        var (ceSum, _, _) = Reference(xs, ts, 3, ws, ignore: 2);
        Check.Close(ceSum, new CrossEntropyLoss(weight: w, ignoreIndex: 2, reduction: Reduction.Sum).Forward(x, t).Item(), 1e-5, 0,
            "CrossEntropyLoss");

        // NLL of log-probabilities is the cross-entropy of the logits they came from.
        var (nllSum, nllWeights, _) = Reference(xs, ts, 3, ws, ignore: 1);
        Check.Close(nllSum / nllWeights, new NLLLoss(weight: w, ignoreIndex: 1).Forward(F.LogSoftmax(x, 1), t).Item(), 1e-5, 0, "NLLLoss");

        var p = F.Softmax(x, 1);
        var y = Tensor.Rand([4, 3], new Generator(14));
        float[] ps = p.ToArray(), ys = y.ToArray();
        var bce = new BCELoss(weight: w, reduction: Reduction.None).Forward(p, y).ToArray();
        double bceWithLogits = 0;
        for (int i = 0; i < ps.Length; i++)
        {
            double wc = ws[i % 3];
            Check.Close(-wc * (ys[i] * Math.Log(ps[i]) + (1 - ys[i]) * Math.Log(1 - ps[i])), bce[i], 1e-5, 1e-7, $"BCELoss[{i}]");
            double sig = 1 / (1 + Math.Exp(-xs[i]));
            bceWithLogits -= wc * ys[i] * Math.Log(sig) + (1 - ys[i]) * Math.Log(1 - sig);  // posWeight = w along the last dim
        }
        Check.Close(bceWithLogits / xs.Length, new BCEWithLogitsLoss(posWeight: w).Forward(x, y).Item(), 1e-5, 0, "BCEWithLogitsLoss");

        var defaults = new CrossEntropyLoss();
        Assert.Equal((-100L, Reduction.Mean, 0f), (defaults.IgnoreIndex, defaults.Reduction, defaults.LabelSmoothing));
        Assert.Empty(defaults.Parameters());
    }

    /// <summary>
    /// float64 gradient of the 'sum' (scale 1) or 'mean' (scale 1/Σ w[t]) cross-entropy without smoothing: w[t_i]·(p_i − onehot(t_i))
    /// times the scale. Only w[t_i] appears, as in PyTorch, which never reads the weight of a class no target names.
    /// </summary>
    private static double[] ReferenceGradient(float[] x, long[] t, int classes, float[] w, double scale)
    {
        var g = new double[x.Length];
        for (int i = 0; i < t.Length; i++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (int c = 0; c < classes; c++) m = Math.Max(m, x[i * classes + c]);
            for (int c = 0; c < classes; c++) s += Math.Exp(x[i * classes + c] - m);
            for (int c = 0; c < classes; c++)
                g[i * classes + c] = scale * w[t[i]] * (Math.Exp(x[i * classes + c] - m) / s - (c == t[i] ? 1 : 0));
        }
        return g;
    }

    [Theory]
    [InlineData(3, Reduction.Mean, float.PositiveInfinity)]  // few classes: the row-group kernel
    [InlineData(3, Reduction.Sum, float.NaN)]
    [InlineData(3, Reduction.None, float.NegativeInfinity)]  // forward, then its own backward
    [InlineData(40, Reduction.Mean, float.NaN)]
    [InlineData(40, Reduction.Sum, float.PositiveInfinity)]
    [InlineData(40, Reduction.None, float.PositiveInfinity)]
    public void CrossEntropy_AWeightOfInfOrNaNOnAClassNoTargetNames_LeavesLossAndGradientFinite(int classes, Reduction reduction,
        float unused)
    {
        // Class weights 1/count give inf for a class missing from the data; PyTorch reads only w[t_i] without smoothing.
        var x = Randn(11, 6, classes) * 2f;
        long[] t = [0, 1, 1, 0, 1, 0]; // never the last class
        var w = Enumerable.Range(0, classes).Select(c => 0.5f + c % 3).ToArray();
        w[classes - 1] = unused;
        x.RequiresGrad_();
        var loss = F.CrossEntropy(x, Tensor.FromArray(t, 6), Tensor.FromArray(w), reduction: reduction);
        var (sum, ws, _) = Reference(x.ToArray(), t, classes, w, -100);
        double scale = reduction == Reduction.Mean ? 1 / ws : 1;
        Check.Close(sum * scale, (reduction == Reduction.None ? loss.Sum() : loss).Item(), 1e-5, 0, "loss");
        (reduction == Reduction.None ? loss.Sum() : loss).Backward();
        var grad = x.Grad!.ToArray();
        var expected = ReferenceGradient(x.ToArray(), t, classes, w, scale);
        for (int i = 0; i < grad.Length; i++) Check.Close(expected[i], grad[i], 1e-5, 1e-7, $"grad[{i}]");
    }

    [Theory]
    // PyTorch 1.13, F.cross_entropy(x, t, weight=w, label_smoothing=ε) on x = [[0.5, -1, 2], [0.1, 0.2, 0.3]]; Σ w[t] = 0 in each.
    [InlineData(0, 0, 0f, 1f, 1f, 0.1f, float.NaN)]                    // all target weights 0: the cross-entropy part is 0/0
    [InlineData(0, 1, 1f, -1f, 3f, 0.1f, float.PositiveInfinity)]      // weights that cancel: both parts +inf
    [InlineData(1, 0, 1f, -1f, 3f, 0.1f, float.NaN)]                   // ... opposite infinities
    [InlineData(1, 0, 1f, -1f, -3f, 0.1f, float.NegativeInfinity)]
    [InlineData(0, 1, 1f, -1f, 3f, 1f, float.NaN)]                     // ε = 1: 0·(±inf)
    [InlineData(0, 1, 1f, -1f, 1f, 0f, float.PositiveInfinity)]        // no smoothing: one sum over 0
    public void CrossEntropy_SmoothedMeanOverTargetWeightsSummingToZero_IsPyTorchs(int t0, int t1, float w0, float w1, float w2,
        float eps, float expected)
    {
        // PyTorch divides the cross-entropy sum and the smoothing sum by Σ w[t] = 0 separately, then adds them: one division of
        // their total gave +inf where PyTorch gives NaN or −inf.
        var x = Tensor.FromArray(new float[,] { { 0.5f, -1f, 2f }, { 0.1f, 0.2f, 0.3f } });
        var t = Tensor.FromArray([t0, t1]);
        var w = Tensor.FromArray([w0, w1, w2]);
        Assert.Equal(expected, F.CrossEntropy(x, t, w, labelSmoothing: eps).Item());
        Assert.Equal(expected, F.CrossEntropy(x.Detach().RequiresGrad_(), t, w, labelSmoothing: eps).Item()); // the fused training path
        // A soft cap (no PyTorch counterpart) follows the same rule on the capped logits.
        var capped = Tensor.FromArray(x.ToArray().Select(v => 30f * MathF.Tanh(v / 30f)).ToArray(), 2, 3);
        Assert.Equal(F.CrossEntropy(capped, t, w, labelSmoothing: eps).Item(),
            F.CrossEntropy(x, t, w, labelSmoothing: eps, softcap: 30f).Item());
    }

    [Theory]
    [InlineData(3)]   // the row-group kernel
    [InlineData(40)]  // the row kernel, which gave NaN in 234 of these 240 entries: the smoothing term's ε/C·g = 0·inf
    public void CrossEntropy_MeanOverWeightsThatCancel_HasPyTorchsInfiniteGradient(int classes)
    {
        // PyTorch 1.13 on x[i, c] = sin(0.37·(i·C + c)), w = +1, −1, +1, …, t = [0, 1] (Σ w[t] = 0): loss +inf; gradient NaN at
        // the two targets (inf − inf), +inf elsewhere in row 0 and −inf in row 1.
        var x = Tensor.FromArray(Enumerable.Range(0, 2 * classes).Select(k => MathF.Sin(0.37f * k)).ToArray(), 2, classes).RequiresGrad_();
        var w = Tensor.FromArray(Enumerable.Range(0, classes).Select(c => c % 2 == 0 ? 1f : -1f).ToArray());
        var loss = F.CrossEntropy(x, Tensor.FromArray([0, 1]), w);
        Assert.Equal(float.PositiveInfinity, loss.Item());
        loss.Backward();
        var g = x.Grad!.ToArray();
        for (int k = 0; k < g.Length; k++)
            Assert.Equal(k == 0 || k == classes + 1 ? float.NaN : k < classes ? float.PositiveInfinity : float.NegativeInfinity, g[k]);
    }

    [Fact]
    public void LossesRefuseAFloatTargetThatRequiresGrad_AsTheyDoNotDifferentiateIt()
    {
        // PyTorch differentiates these losses with respect to a float target too; Xent does not, so it says so rather than
        // leaving target.Grad null without a word. Under NoGrad, or detached, the same target is fine.
        var x = Tensor.FromArray(new float[,] { { 0.5f, -1f, 2f }, { 0.1f, 0.2f, 0.3f } }).RequiresGrad_();
        var q = Tensor.FromArray(new float[,] { { 0.2f, 0.3f, 0.5f }, { 1f, 0f, 0f } }).RequiresGrad_();
        var logQ = F.LogSoftmax(q.Detach(), 1).RequiresGrad_();
        foreach (var (name, loss) in new (string, Func<Tensor, Tensor>)[]
        {
            ("CrossEntropy", t => F.CrossEntropy(x, t)),
            ("KlDiv", t => F.KlDiv(F.LogSoftmax(x, 1), t, KlDivReduction.BatchMean)),
            ("BinaryCrossEntropy", t => F.BinaryCrossEntropy(F.Softmax(x, 1), t)),
            ("BinaryCrossEntropyWithLogits", t => F.BinaryCrossEntropyWithLogits(x, t)),
            ("SigmoidFocalLoss", t => F.SigmoidFocalLoss(x, t)),
        })
        {
            var e = Assert.Throws<NotSupportedException>(() => loss(q));
            Assert.StartsWith(name + ": the target requires grad, but Xent's losses differentiate only their input", e.Message);
            Assert.True(float.IsFinite(loss(q.Detach()).Sum().Item()), name);
            using (Tensor.NoGrad()) Assert.True(float.IsFinite(loss(q).Sum().Item()), name);
        }
        Assert.Throws<NotSupportedException>(() => F.KlDiv(F.LogSoftmax(x, 1), logQ, logTarget: true));
    }

    [Fact]
    public void LossesRefuseAWeightThatRequiresGrad_WithPyTorchsMessage()
    {
        // PyTorch 1.13: "The function 'binary_cross_entropy_with_logits' is not differentiable with respect to argument 'weight'. This
        // input cannot have requires_grad True." Xent accepted such a weight and its gradient never arrived.
        var x = Tensor.FromArray(new float[,] { { 0.5f, -1f, 2f }, { 0.1f, 0.2f, 0.3f } }).RequiresGrad_();
        var y = Tensor.FromArray(new float[,] { { 0f, 1f, 1f }, { 1f, 0f, 0f } });
        var t = Tensor.FromArray([0, 2]);
        var w = Tensor.FromArray([0.5f, 2f, 1f]).RequiresGrad_();
        var identity = Tensor.FromArray(new float[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } });
        foreach (var (op, argument, loss) in new (string, string, Func<Tensor, Tensor>)[]
        {
            ("cross_entropy", "weight", v => F.CrossEntropy(x, t, v)),
            ("nll_loss", "weight", v => F.NllLoss(F.LogSoftmax(x, 1), t, v)),
            ("focal_loss", "weight", v => F.FocalLoss(x, t, 2f, v)),
            ("binary_cross_entropy", "weight", v => F.BinaryCrossEntropy(F.Softmax(x, 1), y, v)),
            ("binary_cross_entropy_with_logits", "weight", v => F.BinaryCrossEntropyWithLogits(x, y, v)),
            ("binary_cross_entropy_with_logits", "posWeight", v => F.BinaryCrossEntropyWithLogits(x, y, posWeight: v)),
            ("binary_cross_entropy_with_logits", "posWeight", v => F.BinaryCrossEntropyWithLogits(x, y, posWeight: v.Reshape(1, 3))),
            ("linear_cross_entropy", "weight", v => F.LinearCrossEntropy(x, identity, t, weight: v)),
        })
        {
            var e = Assert.Throws<ArgumentException>(() => loss(w));
            Assert.StartsWith($"The function '{op}' is not differentiable with respect to argument '{argument}'. This input cannot have " +
                "requires_grad True.", e.Message);
            Assert.True(float.IsFinite(loss(w.Detach()).Item()), op);
        }
        // With class probabilities PyTorch does differentiate the weight: not "not differentiable", but not implemented here.
        var q = Tensor.FromArray(new float[,] { { 0.2f, 0.3f, 0.5f }, { 1f, 0f, 0f } });
        var probabilities = Assert.Throws<NotSupportedException>(() => F.CrossEntropy(x, q, w));
        Assert.StartsWith("cross_entropy: the weight requires grad, but Xent's losses differentiate only their input (with class " +
            "probabilities PyTorch also differentiates the weight)", probabilities.Message);
    }
}
