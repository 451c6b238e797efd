using Xent.NN;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Losses;

/// <summary>
/// The forgotten-log diagnostic of <see cref="F.NllLoss"/> (qa-s21-tutorial L4), the mirror image of cross-entropy's
/// softmax-twice one: the PyTorch tutorial passes <c>torch.log(prediction)</c>, and without the log the loss is negative.
/// </summary>
[Collection(WarningsCollection.Name)]
public class NllLossWarningTests
{
    private const string Said = "nll_loss expects log-probabilities (≤ 0)";

    private static Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed));

    [Fact]
    public void ProbabilitiesWarnOnce_AndTheLossIsStillPyTorchs()
    {
        var p = Tensor.FromArray(new float[,] { { 0.2f, 0.7f, 0.1f }, { 0.9f, 0.05f, 0.05f } });
        var t = Tensor.FromArray([1L, 0L]);
        float loss = 0, again = 0;
        var messages = WarningCapture.During(() =>
        {
            loss = F.NllLoss(p, t).Item();
            again = F.NllLoss(p, t).Item();
        });
        Assert.Single(messages, m => m.Contains(Said, StringComparison.Ordinal));
        Assert.Contains("F.NllLoss received an input with values above 0 (0.9)", messages[0]);
        Assert.Contains("Apply F.LogSoftmax(x, 1) (or .Log() to probabilities) first", messages[0]);
        // PyTorch 1.13's nll_loss of these probabilities: −(0.7 + 0.9) / 2 = −0.8 (−0.7999999523 in float32), unchanged.
        Assert.Equal(-0.8f, loss, 1e-6f);
        Assert.Equal(loss, again);
    }

    [Fact]
    public void LogitsWarn_ThroughTheModuleToo()
    {
        var messages = WarningCapture.During(() =>
            new NLLLoss().Forward(Randn(1, 16, 10), Tensor.RandInt(0, 10, [16], new Generator(2))));
        Assert.Single(messages, m => m.Contains(Said, StringComparison.Ordinal));
    }

    [Fact]
    public void LogProbabilitiesDoNotWarn()
    {
        var messages = WarningCapture.During(() =>
        {
            var t = Tensor.RandInt(0, 10, [16], new Generator(4));
            F.NllLoss(F.LogSoftmax(Randn(3, 16, 10), 1), t);
            F.NllLoss(F.Softmax(Randn(5, 16, 10) * 30f, 1).Log(), t);       // the tutorial's torch.log(prediction); a row near one-hot
            F.NllLoss(F.LogSoftmax(Randn(6, 4, 10, 5), 1), Tensor.RandInt(0, 10, [4, 5], new Generator(7))); // (N, C, d)
            F.NllLoss(Tensor.FromArray(new float[,] { { 0f, float.NegativeInfinity }, { float.NaN, 0f } }), Tensor.FromArray([0L, 1L]));
        });
        Assert.DoesNotContain(messages, m => m.Contains(Said, StringComparison.Ordinal));
    }

    [Fact]
    public void OnlyTheFirstRowsAreRead()
    {
        // A value above 0 in row 9 of 10 is outside the sample (8 rows): the check costs the same for any batch.
        var x = F.LogSoftmax(Randn(8, 10, 4), 1);
        x.Data[9 * 4] = 0.5f;
        Assert.Empty(WarningCapture.During(() => F.NllLoss(x, Tensor.RandInt(0, 4, [10], new Generator(9)))));
        x.Data[7 * 4] = 0.5f;
        Assert.Single(WarningCapture.During(() => F.NllLoss(x, Tensor.RandInt(0, 4, [10], new Generator(9)))));
    }
}
