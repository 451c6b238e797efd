using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>
/// <c>--class-weights inverse-frequency</c>'s weights (qa-s21-tutorial L2): the PyTorch tutorial's
/// <c>w = 1/count; w = w / w.sum() * C</c>, not N / (C·count), which the note called the tutorial's.
/// </summary>
public class ClassWeightsTests
{
    [Fact]
    public void TheTutorialsCountsGiveTheTutorialsWeights()
    {
        // counts [100, 200, 50, 300, 150]: Σ 1/count = 0.045, so w = (1/count) / 0.045 · 5 = 10/9, 5/9, 20/9, 10/27, 20/27.
        var w = ClassWeights.InverseFrequency([100, 200, 50, 300, 150]).ToArray();
        Assert.Equal([(float)(10.0 / 9), (float)(5.0 / 9), (float)(20.0 / 9), (float)(10.0 / 27), (float)(20.0 / 27)], w);
        // PyTorch 1.13's float32 result of the tutorial's two lines (qa-s21-tutorial), to float32 rounding.
        float[] pytorch = [1.1111112f, 0.5555556f, 2.2222223f, 0.37037042f, 0.74074084f];
        for (int c = 0; c < 5; c++) Assert.True(Math.Abs(w[c] - pytorch[c]) <= 2 * (MathF.BitIncrement(pytorch[c]) - pytorch[c]));
    }

    [Fact]
    public void AClassWithoutSamplesWeighsZeroAndTheOthersSumToTheClassCount()
    {
        // Σ 1/count over the present classes = 1/10 + 1/30 = 2/15: w = (1/10) / (2/15) · 3 = 2.25 and (1/30) / (2/15) · 3 = 0.75.
        Assert.Equal([0f, 2.25f, 0.75f], ClassWeights.InverseFrequency([0, 10, 30]).ToArray());
    }

    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(0.1f, 0f)]  // label smoothing: its term is weighted per class, and 'mean' still divides by Σ w[tᵢ]
    [InlineData(0f, 2f)]    // focal loss
    public void WithTheMeanReductionTheScaleOfTheWeightsCancels(float smoothing, float gamma)
    {
        // The tutorial's weights are scikit-learn's N / (C·count) times a constant: 'mean' (what train uses) gives the same loss
        // and gradient to float32 rounding, so a run trained with either weights trains the same.
        long[] counts = [120, 30, 6, 44];
        long n = counts.Sum();
        var balanced = Tensor.FromArray(counts.Select(c => (float)((double)n / (counts.Length * c))).ToArray());
        var tutorial = ClassWeights.InverseFrequency(counts);
        var logits = Tensor.Randn([64, 4], new Generator(7));
        var target = Tensor.RandInt(0, 4, [64], new Generator(8));
        (float Loss, float[] Grad) Run(Tensor weight)
        {
            var x = logits.Detach().RequiresGrad_();
            var loss = gamma > 0 ? F.FocalLoss(x, target, gamma, weight) : F.CrossEntropy(x, target, weight, labelSmoothing: smoothing);
            loss.Backward();
            return (loss.Item(), x.Grad!.ToArray());
        }
        var (a, ga) = Run(balanced);
        var (b, gb) = Run(tutorial);
        Assert.Equal(a, b, 1e-6f * a);
        for (int i = 0; i < ga.Length; i++) Assert.Equal(ga[i], gb[i], 1e-7f);
        // 'sum' does not cancel it: there the scale shows (the tutorial's weights here are 0.35 times these).
        Assert.NotEqual(F.CrossEntropy(logits, target, balanced, reduction: Reduction.Sum).Item(),
            F.CrossEntropy(logits, target, tutorial, reduction: Reduction.Sum).Item(), 1e-2f);
    }
}
