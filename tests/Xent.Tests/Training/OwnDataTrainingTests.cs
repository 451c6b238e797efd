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
