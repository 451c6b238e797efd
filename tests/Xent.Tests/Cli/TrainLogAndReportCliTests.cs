using System.Text.RegularExpressions;
using Xent.Training;
using Xent.Tests.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// What <c>xent train</c>'s log and report.html say about the run: the held-out loss named as plain cross-entropy beside a
/// training loss with label smoothing, class weights, a focal term or pos_weight in it.
/// </summary>
public sealed class TrainLogAndReportCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _csv;

    public TrainLogAndReportCliTests() => _csv = OwnDataFiles.SeparableCsv(_dir.File("train.csv"), 120);

    public void Dispose() => _dir.Dispose();

    private static void Ok(CliResult r) => Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);

    private CliResult Train(string name, params string[] extra) =>
        CliRunner.Run(["train", "--data", _csv, "--target", "species", "--model", "linear", "--seed", "4",
            "--out", _dir.File(name), .. extra]);

    private string Report(string name) => File.ReadAllText(Path.Combine(_dir.File(name), "report.html"));

    private static string Html(string text) => System.Net.WebUtility.HtmlEncode(text);

    [Theory]
    [InlineData(false, "cross-entropy", null, 0f, "none", "none", null)]
    [InlineData(false, "focal", 0f, 0f, "none", "none", null)] // focal loss with gamma 0 is cross-entropy
    [InlineData(false, "cross-entropy", null, 0.2f, "none", "none", "label smoothing 0.2")]
    [InlineData(false, "cross-entropy", null, 0.1f, "inverse-frequency", "none", "label smoothing 0.1 and inverse-frequency class weights")]
    [InlineData(false, "focal", null, 0f, "inverse-frequency", "none", "the focal term (gamma 2) and inverse-frequency class weights")]
    [InlineData(false, "focal", 0.5f, 0f, "none", "none", "the focal term (gamma 0.5)")]
    [InlineData(true, "bce-with-logits", null, 0f, "none", "none", null)]
    [InlineData(true, "bce-with-logits", null, 0f, "none", "auto", "pos_weight (--pos-weight auto)")]
    public void TheTermsTheHeldOutLossLacksAreNamed(bool multiLabel, string loss, float? gamma, float smoothing, string classWeights,
        string posWeight, string? expected) =>
        Assert.Equal(expected, HeldOutLoss.TrainingOnlyTerms(multiLabel, loss, gamma, smoothing, classWeights, posWeight));

    [Fact]
    public void WithLabelSmoothingTheLogAndReportSayTheTestLossIsPlainCrossEntropy()
    {
        // The train loss included the smoothing and the test loss did not, on one chart and one line, unexplained.
        var r = Train("smoothed", "--epochs", "2", "--batch-size", "16", "--label-smoothing", "0.2");
        Ok(r);
        const string Note = "The train loss includes label smoothing 0.2; the test loss is plain cross-entropy, as the PyTorch " +
            "tutorial's test() computes it.";
        Assert.Contains(Note + "\n", r.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Matches(r.Stdout, @"^Epoch \d done: train loss \d\.\d{4}, test loss \(plain CE\) \d\.\d{4}, ",
            RegexOptions.Multiline).Count);
        string html = Report("smoothed");
        Assert.Contains(">test (plain CE)</text>", html, StringComparison.Ordinal);
        Assert.Contains($"<span class=\"note\">{Html(Note)}</span>", html, StringComparison.Ordinal);

        // Only when it applies: the same loss on both sides keeps the plain names.
        var plain = Train("same-loss", "--epochs", "1");
        Ok(plain);
        Assert.Matches(new Regex(@"^Epoch 1 done: train loss \d\.\d{4}, test loss \d\.\d{4}, ", RegexOptions.Multiline), plain.Stdout);
        Assert.DoesNotContain("plain", plain.Stdout.Replace(_dir.Path, "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"note\"", Report("same-loss"), StringComparison.Ordinal);
        Assert.Contains(">test</text>", Report("same-loss"), StringComparison.Ordinal);
    }
}
