using Xent.NN;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>
/// Large test batches are evaluated in several forward passes to bound memory; the metrics must be exactly those of one pass
/// per batch, since they add up sample by sample.
/// </summary>
public class EvaluatorPassesTests
{
    private static void AssertSame(EvaluationResult expected, EvaluationResult actual)
    {
        Assert.Equal(expected.Correct, actual.Correct);
        Assert.Equal(expected.Total, actual.Total);
        Assert.Equal(expected.MeanCrossEntropy, actual.MeanCrossEntropy); // bit for bit
        Assert.Equal(expected.ExpectedCalibrationError, actual.ExpectedCalibrationError);
        Assert.Equal(expected.PerClassAccuracy, actual.PerClassAccuracy);
        Assert.Equal(expected.ConfusionMatrix, actual.ConfusionMatrix);
        Assert.Equal(expected.Counts, actual.Counts);
    }

    [Fact]
    public void ACnnBatchOfLargeImagesIsCutIntoPassesWithTheSameMetrics()
    {
        // 300 RGB 40x40 images (1.44 million values) through the tutorial's CNN, sized to them: passes of 218, then 82.
        const int maxValues = 1 << 20;
        var spec = new ModelSpec
        {
            Model = "cnn", InputKind = ModelSpec.ImageInput, InputShape = [3, 40, 40], ClassNames = ["a", "b", "c", "d"],
            Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f],
        };
        var model = ModelCatalog.Create(spec, new Generator(5));
        var g = new Generator(6);
        var x = Tensor.Randn([300, 3, 40, 40], g);
        var t = Tensor.FromArray(Enumerable.Range(0, 300).Select(i => (long)(i * 7 % 4)).ToArray(), 300);
        var onePass = Evaluator.Evaluate(model, [(x, t)], 4, false, int.MaxValue);
        var passes = Evaluator.Evaluate(model, [(x, t)], 4, false, maxValues);
        AssertSame(onePass, passes);
        Assert.Equal(300, passes.Total);
    }

    [Fact]
    public void MultiLabelTargetsAreCutWithTheirInputs()
    {
        var spec = new ModelSpec
        {
            Model = "linear", InputKind = ModelSpec.FeatureInput, InputShape = [20], ClassNames = ["p", "q", "r"], Mean = new float[20],
            Std = Enumerable.Repeat(1f, 20).ToArray(), MultiLabel = true,
        };
        var model = ModelCatalog.Create(spec, new Generator(7));
        var g = new Generator(8);
        var x = Tensor.Randn([23, 20], g);
        var y = Tensor.FromArray(Enumerable.Range(0, 69).Select(i => (float)(i * 5 % 3 == 0 ? 1 : 0)).ToArray(), 23, 3);
        var onePass = Evaluator.Evaluate(model, [(x, y)], 3, true, int.MaxValue);
        var passes = Evaluator.Evaluate(model, [(x, y)], 3, true, 100); // 5 samples per pass: 5, 5, 5, 5, 3
        AssertSame(onePass, passes);
        Assert.Equal(23, passes.Total);
    }
}
