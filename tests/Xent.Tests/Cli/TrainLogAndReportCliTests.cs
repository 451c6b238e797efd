using System.Text.RegularExpressions;
using Xent.IO;
using Xent.Tests.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// What <c>xent train</c>'s log and report.html say about the run: the held-out loss named as plain cross-entropy beside a
/// training loss with label smoothing, class weights, a focal term or pos_weight in it; an early stop and the epoch
/// best.safetensors holds; the batch a batch size above the sample count really gives.
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

    [Fact]
    public void AnEarlyStoppedRunsReportSaysSoAndWhichEpochBestHolds()
    {
        // A test set whose labels are the training set's swapped: every epoch that fits the training data raises the held-out
        // loss, so epoch 1 is the best and patience 1 stops the run after epoch 2, on any machine.
        string swapped = _dir.File("swapped.csv");
        File.WriteAllLines(swapped, File.ReadAllLines(_csv).Select((l, i) => i == 0 ? l
            : l.EndsWith(",big", StringComparison.Ordinal) ? l[..^3] + "small" : l[..^5] + "big"));
        var r = Train("stopped", "--test-data", swapped, "--epochs", "9", "--batch-size", "16", "--patience", "1", "--lr", "0.1");
        Ok(r);
        Assert.Contains("Early stopping after epoch 2: the held-out loss has not improved for 1 epoch(s); the best was ", r.Stdout,
            StringComparison.Ordinal);
        string bestPath = Path.Combine(_dir.File("stopped"), "best.safetensors");
        Assert.Equal("1", Checkpoint.Load(bestPath).Metadata["epoch"]);
        var bestLoss = Xent.Training.MetricsCsvWriter.Read(Path.Combine(_dir.File("stopped"), "metrics.csv"))[0].TestLoss!.Value;
        // It said "after 2 epoch(s)" with "epochs 9, patience 1" in the settings, and nothing of the stop or of best.safetensors.
        Assert.Contains("<p class=\"summary\">" + Html("Stopped early after epoch 2 of 9: the held-out loss had not improved for 1 " +
            "epoch (--patience 1). The numbers above are epoch 2's (checkpoint.safetensors); best.safetensors holds epoch 1, the " +
            $"lowest held-out loss ({bestLoss.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}).") + "</p>",
            Report("stopped"), StringComparison.Ordinal);

        // A run that goes to its last epoch says which epoch best.safetensors holds, and nothing of a stop.
        var full = Train("full", "--test-data", swapped, "--epochs", "2", "--batch-size", "16", "--patience", "1", "--lr", "0.1");
        Ok(full);
        string html = Report("full");
        Assert.Contains(Html("The numbers above are epoch 2's (checkpoint.safetensors); best.safetensors holds epoch 1, "), html,
            StringComparison.Ordinal);
        Assert.DoesNotContain("Stopped early", html, StringComparison.Ordinal);
        Ok(Train("no-patience", "--epochs", "1"));
        Assert.DoesNotContain("best.safetensors", Report("no-patience"), StringComparison.Ordinal);
    }

    [Fact]
    public void ARunTheLossStoppedSaysSoInItsReport()
    {
        // qa-s21-seen M3: the report of a run stopped by a NaN loss read as a run that had finished its epochs ("after 3 epoch(s)",
        // "epochs 12" in the settings). Epoch 3 diverges for sure: the 2-epoch checkpoint's learning rate set to 1e38 (as
        // TrainCliTests does; the optimizer state holds it, and a resumed run's --lr must agree) makes an MLP's activations overflow.
        string dir = _dir.File("nan");
        string[] mlp = ["train", "--data", _csv, "--target", "species", "--model", "mlp", "--hidden", "8", "--seed", "4", "--out", dir,
            "--batch-size", "16", "--optimizer", "sgd"];
        Ok(CliRunner.Run([.. mlp, "--epochs", "2", "--lr", "0.1"]));
        Assert.DoesNotContain("Stopped", Report("nan"), StringComparison.Ordinal);
        string checkpoint = Path.Combine(dir, "checkpoint.safetensors");
        var file = SafeTensors.Read(checkpoint);
        var tensors = file.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value);
        tensors["optimizer.param_groups.0.lr"] = new NpyArray(new long[] { BitConverter.DoubleToInt64Bits(1e38) });
        SafeTensors.Write(checkpoint, tensors, file.Metadata);
        var r = CliRunner.Run([.. mlp, "--epochs", "4", "--lr", "1e38", "--resume", checkpoint]);
        Assert.True(r.ExitCode == 3, r.Stderr);
        var stop = Regex.Match(r.Stderr, @"the loss became (NaN|infinite) at epoch 3, batch (\d+);");
        Assert.True(stop.Success, r.Stderr);
        // No epoch finished in the resumed process, so the summary has no numbers to refer to.
        Assert.Contains("<p class=\"summary\">" + Html($"Stopped in epoch 3 of 4: the training loss became {stop.Groups[1].Value} at " +
            $"batch {stop.Groups[2].Value}. The last good checkpoint is epoch 2's (checkpoint.safetensors). A resumed run keeps the " +
            "checkpoint's learning rate: for a lower --lr, start a new run (without --resume).") + "</p>", Report("nan"),
            StringComparison.Ordinal);
    }

    [Fact]
    public void ABatchSizeAboveTheSampleCountIsReportedAsTheBatchItGives()
    {
        // "(1 batch of 1000 per epoch)" for 108 training samples.
        var r = Train("big-batch", "--epochs", "1", "--batch-size", "1000");
        Ok(r);
        Assert.Contains("Training linear on 108 samples of 2 classes (1 batch of 108 per epoch), testing on 12;", r.Stdout,
            StringComparison.Ordinal);
        var small = Train("small-batch", "--epochs", "1", "--batch-size", "50");
        Ok(small);
        Assert.Contains("(3 batches of 50 per epoch)", small.Stdout, StringComparison.Ordinal);
    }
}
