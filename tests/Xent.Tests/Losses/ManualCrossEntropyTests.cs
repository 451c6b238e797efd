using ManualCrossEntropy;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Losses;

/// <summary>
/// The PyTorch tutorial's hand-written losses (examples/ManualCrossEntropy) against the article's numbers, computed here
/// with Math.Log, and against the library's F.NllLoss / F.CrossEntropy, values and gradients.
/// </summary>
public class ManualCrossEntropyTests
{
    private static readonly Tensor Predictions = Tensor.FromArray(new float[,] { { 0.1f, 0.7f, 0.2f }, { 0.9f, 0.05f, 0.05f } });
    private static readonly double SingleLoss = -Math.Log(0.7);                        // 0.35667
    private static readonly double BatchLoss = (-Math.Log(0.7) - Math.Log(0.9)) / 2;   // 0.23101

    [Fact]
    public void SingleSample_IsMinusLogOfTheTargetProbability()
    {
        var prediction = Tensor.FromArray([0.1f, 0.7f, 0.2f]);
        var target = Tensor.FromArray([0f, 1f, 0f]);
        var manual = ManualLosses.Single(prediction, target);
        Check.Close(SingleLoss, manual.Item(), 1e-6, 0, "manual");
        Check.Close(SingleLoss, F.NllLoss(prediction.Log().Unsqueeze(0), target.ArgMax(0).Unsqueeze(0)).Item(), 1e-6, 0, "F.NllLoss");
        Assert.Equal("0.3567", manual.Item().ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Batch_OneHot_And_Indices_AreTheMeanOverTheBatch()
    {
        var oneHot = Tensor.FromArray(new float[,] { { 0, 1, 0 }, { 1, 0, 0 } });
        var indices = Tensor.FromArray([1, 0]);
        Check.Close(BatchLoss, ManualLosses.Batch(Predictions, oneHot).Item(), 1e-6, 0, "one-hot");
        Check.Close(BatchLoss, ManualLosses.Indices(Predictions, indices).Item(), 1e-6, 0, "indices");
        Check.Close(BatchLoss, F.NllLoss(Predictions.Log(), indices).Item(), 1e-6, 0, "F.NllLoss");
        Assert.Equal("0.2310", ManualLosses.Indices(Predictions, indices).Item().ToString("0.0000",
            System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void ManualLoops_HaveTheGradientsOfNllLoss()
    {
        var indices = Tensor.FromArray([1, 0]);
        var a = Predictions.Clone().Detach().RequiresGrad_();
        ManualLosses.Indices(a, indices).Backward();
        var b = Predictions.Clone().Detach().RequiresGrad_();
        F.NllLoss(b.Log(), indices).Backward();
        // d/dp of −log p_t / N is −1/(N·p_t) at the targets, 0 elsewhere.
        Check.Close(Tensor.FromArray(new float[,] { { 0, -1f / (2 * 0.7f), 0 }, { -1f / (2 * 0.9f), 0, 0 } }), a.Grad!, 1e-6, 1e-7,
            "manual");
        Check.Close(a.Grad!, b.Grad!, 1e-6, 1e-7, "F.NllLoss");
    }

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void LogSoftmaxGather_EqualsCrossEntropy(Reduction reduction)
    {
        var logits = Tensor.Randn([16, 10], new Generator(3)) * 2f;
        var labels = Tensor.RandInt(10, [16], new Generator(4));
        var x1 = logits.Clone().Detach().RequiresGrad_();
        var manual = ManualLosses.CrossEntropy(x1, labels, reduction);
        var x2 = logits.Clone().Detach().RequiresGrad_();
        var builtIn = F.CrossEntropy(x2, labels, reduction: reduction);
        Check.Close(builtIn, manual, 1e-5, 1e-6, "loss");
        (reduction == Reduction.None ? manual.Sum() : manual).Backward();
        (reduction == Reduction.None ? builtIn.Sum() : builtIn).Backward();
        Check.Close(x2.Grad!, x1.Grad!, 1e-5, 1e-7, "grad");
    }
}
