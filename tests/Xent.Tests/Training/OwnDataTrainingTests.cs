using Xent.Models;
using Xent.NN;
using Xent.Tests.IO;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>
/// Per-class and multi-label metrics, schedules, clipping, the model spec and <see cref="Predictor"/>, against hand-derived values.
/// </summary>
public class OwnDataTrainingTests
{
    [Fact]
    public void PrecisionRecallF1AndMacroF1FollowTheConfusionMatrix()
    {
        // Rows true, columns predicted. Class 0: tp 2, fp 1, fn 1. Class 1: tp 3, fp 1, fn 0. Class 2: tp 0, fp 0, fn 1.
        var r = Metrics.Evaluate([9, 0, 0, 9, 0, 0, 0, 9, 0, 0, 9, 0, 0, 9, 0, 0, 9, 0, 9, 0, 0],
            [0, 0, 0, 1, 1, 1, 2], 3);
        Assert.Equal([2.0 / 3, 3.0 / 4, 0], r.Precision);
        Assert.Equal([2.0 / 3, 1, 0], r.Recall);
        Assert.Equal([2.0 / 3, 6.0 / 7, 0], r.F1);
        Assert.Equal((2.0 / 3 + 6.0 / 7 + 0) / 3, r.MacroF1, 12);

        // A class the data has no sample of (class 2: tp 0, fn 0) has no recall: 0 / 0, NaN as its per-class accuracy (qa-s21-seen
        // L5); nothing predicted as it, its precision is scikit-learn's zero_division=0, and macro-F1 leaves it out. Class 0: tp 1,
        // fp 1, fn 0; class 1: tp 1, fp 0, fn 1.
        var absent = Metrics.Evaluate([9, 0, 0, 0, 9, 0, 9, 0, 0], [0, 1, 1], 3);
        Assert.Equal([1, 0.5, double.NaN], absent.Recall);
        Assert.Equal(absent.PerClassAccuracy, absent.Recall);
        Assert.Equal([0.5, 1, 0], absent.Precision);
        Assert.Equal((2.0 / 3 + 2.0 / 3) / 2, absent.MacroF1, 12);
    }

    [Fact]
    public void MultiLabelMetricsCountEachLabel()
    {
        var acc = new MultiLabelAccumulator(2);
        // Logits > 0 predict the label. Sample 1: both right. Sample 2: label 0 false positive, label 1 false negative.
        acc.Add([2f, -1f, 0.5f, -3f], [1f, 0f, 0f, 1f]);
        var r = acc.Result();
        Assert.True(r.MultiLabel);
        Assert.Equal(1, r.Correct);
        Assert.Equal([0.5, 0.5], r.PerClassAccuracy);
        Assert.Equal([(1L, 1L, 0L), (0L, 0L, 1L)], r.Counts);
        double Bce(double x, double y) => -(y * Math.Log(1 / (1 + Math.Exp(-x))) + (1 - y) * Math.Log(1 - 1 / (1 + Math.Exp(-x))));
        Assert.Equal((Bce(2, 1) + Bce(-1, 0) + Bce(0.5, 0) + Bce(-3, 1)) / 4, r.MeanCrossEntropy, 12);
    }

    [Fact]
    public void ScheduleFactorsWarmUpThenDecay()
    {
        var cos = new LrSchedule { Kind = "cosine", WarmupSteps = 2 };
        // 2 epochs of 3 batches: steps 0..5; warm-up 1/2, 2/2, then cosine over the 4 remaining steps.
        Assert.Equal([0.5, 1, 1, 0.5 * (1 + Math.Cos(Math.PI / 4)), 0.5, 0.5 * (1 + Math.Cos(3 * Math.PI / 4))],
            new[] { (1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3) }.Select(s => cos.Factor(s.Item1, s.Item2, 3, 2)).ToArray());
        var step = new LrSchedule { Kind = "step", Gamma = 0.5 };
        Assert.Equal(0.25, step.Factor(3, 1, 10, 5));
        Assert.True(new LrSchedule().IsConstant);
    }

    [Fact]
    public void ClipGradNormScalesAllGradientsTogether()
    {
        var a = new Parameter(Tensor.Zeros(2)) { Grad = Tensor.FromArray([3f, 0f]) };
        var b = new Parameter(Tensor.Zeros(1)) { Grad = Tensor.FromArray([4f]) };
        double norm = GradClipping.ClipGradNorm([a, b], 1.0);
        Assert.Equal(5, norm, 12);
        float c = (float)(1.0 / (5 + 1e-6));
        Assert.Equal([3 * c, 0f], a.Grad!.Data.ToArray());
        Assert.Equal([4 * c], b.Grad!.Data.ToArray());
    }

    [Fact]
    public void ClipGradNormMatchesASequentialFloat64NormOnLongGradients()
    {
        // Lengths that leave vector tails, a parameter without a gradient, and a norm well above the bound.
        var rnd = new Random(7);
        float[] Draw(int n) => Enumerable.Range(0, n).Select(_ => (float)(rnd.NextDouble() * 4 - 2)).ToArray();
        float[] ga = Draw(1037), gb = Draw(5);
        var a = new Parameter(Tensor.Zeros(ga.Length)) { Grad = Tensor.FromArray((float[])ga.Clone()) };
        var none = new Parameter(Tensor.Zeros(3));
        var b = new Parameter(Tensor.Zeros(gb.Length)) { Grad = Tensor.FromArray((float[])gb.Clone()) };
        double sq = 0;
        foreach (float v in ga.Concat(gb)) sq += (double)v * v;
        double expected = Math.Sqrt(sq);

        double norm = GradClipping.ClipGradNorm([a, none, b], 2.5);

        Assert.Equal(expected, norm, expected * 1e-14);
        float c = (float)(2.5 / (expected + 1e-6));
        Assert.Equal(ga.Select(v => v * c).ToArray(), a.Grad!.Data.ToArray());
        Assert.Equal(gb.Select(v => v * c).ToArray(), b.Grad!.Data.ToArray());
        Assert.Null(none.Grad);

        // Under the bound nothing changes.
        var before = a.Grad!.Data.ToArray();
        GradClipping.ClipGradNorm([a], 1e6);
        Assert.Equal(before, a.Grad!.Data.ToArray());
    }

    /// <summary>PyTorch 1.13 goldens, from
    /// <code>
    /// a, b = torch.zeros(3, requires_grad=True), torch.zeros(2, requires_grad=True)
    /// a.grad, b.grad = torch.tensor(ga), torch.tensor(gb); n = clip_grad_norm_([a, b], max_norm)
    /// </code>
    /// with ga, gb and max_norm as in each case: the norm, then a.grad and b.grad.</summary>
    public static IEnumerable<object[]> NonFiniteClipCases =>
    [
        // A NaN gradient: clamp(max_norm / (nan + 1e-6), max=1) is NaN, and every gradient of every parameter turns NaN.
        [new[] { 1f, float.NaN, -2f }, new[] { 3f, -4f }, 1.0,
            double.NaN, new[] { float.NaN, float.NaN, float.NaN }, new[] { float.NaN, float.NaN }],
        // An infinite one: the coefficient is 0, finite gradients become ±0 and the infinite one NaN.
        [new[] { float.PositiveInfinity, 1f, -2f }, new[] { 3f, -4f }, 1.0,
            double.PositiveInfinity, new[] { float.NaN, 0f, -0f }, new[] { 0f, -0f }],
        // max_norm inf over an infinite norm: inf / inf is NaN.
        [new[] { float.NegativeInfinity, 1f, -2f }, new[] { 3f, -4f }, double.PositiveInfinity,
            double.PositiveInfinity, new[] { float.NaN, float.NaN, float.NaN }, new[] { float.NaN, float.NaN }],
        // max_norm inf over a finite norm: the coefficient clamps to 1 and nothing changes.
        [new[] { 1f, 2f, -2f }, new[] { 3f, -4f }, double.PositiveInfinity,
            Math.Sqrt(34), new[] { 1f, 2f, -2f }, new[] { 3f, -4f }],
    ];

    [Theory]
    [MemberData(nameof(NonFiniteClipCases))]
    public void ClipGradNormWithANonFiniteNormScalesAsPyTorch(float[] ga, float[] gb, double maxNorm, double expectedNorm,
        float[] expectedA, float[] expectedB)
    {
        var a = new Parameter(Tensor.Zeros(3)) { Grad = Tensor.FromArray(ga) };
        var b = new Parameter(Tensor.Zeros(2)) { Grad = Tensor.FromArray(gb) };
        double norm = GradClipping.ClipGradNorm([a, b], maxNorm);
        Assert.Equal(expectedNorm, norm, 1e-12);
        // Bit patterns, so that 0 and −0 differ (any NaN is written as the canonical one: compare those as NaN).
        static int[] Bits(IEnumerable<float> v) => [.. v.Select(x => float.IsNaN(x) ? int.MinValue : BitConverter.SingleToInt32Bits(x))];
        Assert.Equal(Bits(expectedA), Bits(a.Grad!.Data.ToArray()));
        Assert.Equal(Bits(expectedB), Bits(b.Grad!.Data.ToArray()));
    }

    [Fact]
    public void ClipGradNormDiffersFromPyTorchOnPurposeWhereFloat32SquaresOverflow_AndRefusesANonPositiveBound()
    {
        // PyTorch 1.13's float32 norm of ten 3e30 gradients overflows to inf and clip_grad_norm_ zeroes them all; the
        // float64 sum gives the exact norm, √10·3e30, and scales them to norm 1 (documented on ClipGradNorm).
        var a = new Parameter(Tensor.Zeros(10)) { Grad = Tensor.Full(3e30f, 10) };
        double exact = Math.Sqrt(10 * (double)3e30f * 3e30f);
        Assert.Equal(exact, GradClipping.ClipGradNorm([a], 1.0), exact * 1e-15);
        Assert.All(a.Grad!.Data.ToArray(), v => Assert.Equal((float)(3e30f * (1.0 / exact)), v, 1e-7f));

        // PyTorch zeroes (0) or flips (negative) the gradients; Xent refuses such a bound, and NaN.
        foreach (double bad in new[] { 0.0, -1.0, double.NaN })
            Assert.Throws<ArgumentOutOfRangeException>(() => GradClipping.ClipGradNorm([a], bad));
    }

    [Fact]
    public void ANaNGradientUnderClippingTurnsEveryWeightNaN_AndTheNextNaNLossStopsTraining()
    {
        // As a PyTorch loop with clip_grad_norm_: the NaN coefficient reaches every gradient, the step every weight, and
        // the next batch's loss is NaN, which stops the run (a finite loss over a NaN gradient does not stop it itself).
        var rnd = new Random(3);
        var batches = Enumerable.Range(0, 4).Select(_ => (
            Tensor.FromArray(Enumerable.Range(0, 8 * 6).Select(_ => (float)(rnd.NextDouble() * 2 - 1)).ToArray(), [8, 6]),
            Tensor.FromArray(Enumerable.Range(0, 8).Select(_ => (long)rnd.Next(3)).ToArray()))).ToArray();
        var model = new Sequential(new Linear(6, 3, generator: new Generator(11)));
        var trainer = new Trainer(model, new Xent.Optim.Sgd(model.Parameters(), 0.1), (x, y) => F.CrossEntropy(x, y),
            new TrainerOptions { Epochs = 1, NumClasses = 3, ClipGradNorm = 1.0 });
        int calls = 0;
        trainer.AfterBackward = (_, loss) =>
        {
            if (++calls == 1) model.Parameters().First().Grad!.Data[4] = float.NaN; // one entry of batch 1's weight gradient
            return loss;
        };
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run(_ => batches, batches.Length, () => batches));
        Assert.Equal((1, 2), (e.Epoch, e.Batch));
        Assert.Contains("loss became NaN at epoch 1, batch 2", e.Message);
        Assert.All(model.Parameters(), p => Assert.All(p.ToArray(), v => Assert.True(float.IsNaN(v))));
    }

    [Fact]
    public void ClipGradNormOnAnArrayAllocatesNothing()
    {
        // Trainer clips every step with its cached parameter array; a lazy enumerable is still read once (tests above).
        var grad = Enumerable.Range(0, 1000).Select(i => (float)Math.Sin(i)).ToArray();
        var ps = new[]
        {
            new Parameter(Tensor.Zeros(grad.Length)) { Grad = Tensor.FromArray(grad) },
            new Parameter(Tensor.Zeros(2)),
        };
        GradClipping.ClipGradNorm(ps, 1.0); // compiles the path; leaves a norm of 1
        long before = GC.GetAllocatedBytesForCurrentThread();
        double norm = GradClipping.ClipGradNorm(ps, 0.5);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(1.0, norm, 1e-5);
    }

    [Fact]
    public void SpecRoundTripsTheNewFields()
    {
        var spec = new ModelSpec
        {
            Model = "mlp", InputKind = ModelSpec.FeatureInput, InputShape = [2], ClassNames = ["a,b", "c"],
            Mean = [0.1f, 2f], Std = [1f, 3f], Hidden = [4, 3], FeatureNames = ["x", "color=red"], TargetColumn = "label",
            ImputeMissing = true,
        };
        var back = ModelSpec.FromMetadata(spec.ToMetadata())!;
        Assert.Equal("label", back.TargetColumn);
        Assert.True(back.ImputeMissing);
        Assert.Equal(spec.ClassNames, back.ClassNames);
        Assert.Equal(spec.Hidden, back.Hidden);
    }

    [Fact]
    public void PredictorStandardisesRawInputsAndMatchesAFloat64Softmax()
    {
        using var dir = new TempDirectory();
        var spec = new ModelSpec
        {
            Model = "linear", InputKind = ModelSpec.FeatureInput, InputShape = [2], ClassNames = ["no", "yes", "maybe"],
            Mean = [1f, -2f], Std = [2f, 4f], FeatureNames = ["u", "v"], Temperature = 1.5f,
        };
        var model = new LinearClassifier(2, 3, new Generator(4));
        string path = dir.File("m.safetensors");
        TrainingCheckpoint.Save(path, model, null, spec.ToMetadata());

        var predictor = Predictor.Load(path);
        float[] raw = [3f, float.NaN];
        var p = predictor.Predict(raw);

        var w = model.Linear.Weight.Data.ToArray();
        var bias = model.Linear.Bias!.Data.ToArray();
        double[] x = [(3.0 - 1) / 2, 0]; // NaN is imputed with the mean, i.e. 0 after standardisation
        var z = Enumerable.Range(0, 3).Select(k => (w[2 * k] * x[0] + w[2 * k + 1] * x[1] + bias[k]) / 1.5).ToArray();
        var e = z.Select(v => Math.Exp(v - z.Max())).ToArray();
        for (int k = 0; k < 3; k++) Assert.Equal(e[k] / e.Sum(), p[k], 6);

        // Logits for another number of classes are refused, not turned into a softmax over them.
        var wrong = Assert.Throws<ArgumentException>(() => predictor.Probabilities([1f, 2f]));
        Assert.Equal("logits", wrong.ParamName);
        Assert.StartsWith("2 logit(s) given; the model has 3 classes.", wrong.Message);

        // A negative count names count (it named raw, and said "1 values are not -1 input(s)").
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => predictor.PredictBatch([1f], -1)).ParamName);
    }
}
