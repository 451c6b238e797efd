using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xent.IO;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>One uninterrupted 2-epoch run on the synthetic dataset, shared by the CLI tests.</summary>
public sealed class TrainedRunFixture : IDisposable
{
    public static readonly string[] Common =
        ["--model", "linear", "--batch-size", "32", "--test-batch-size", "64", "--limit-batches", "6", "--lr", "0.01", "--seed", "3"];

    public TrainedRunFixture()
    {
        Root = new TempDirectory();
        Data = Path.Combine(Root.Path, "data");
        SyntheticIdx.Write(Data);
        Out = Path.Combine(Root.Path, "full");
        Result = Train(Out, "--epochs", "2");
    }

    internal TempDirectory Root { get; }
    public string Data { get; }
    public string Out { get; }
    internal CliResult Result { get; }

    internal CliResult Train(string outDir, params string[] extra) =>
        CliRunner.Run(["train", "--data", Data, "--out", outDir, .. Common, .. extra]);

    public void Dispose() => Root.Dispose();
}

public class TrainCliTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    private static List<MetricsRow> Rows(string dir) => MetricsCsvWriter.Read(Path.Combine(dir, "metrics.csv"));

    [Fact]
    public void TrainWritesCheckpointMetricsAndReport()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.Stderr + run.Result.Stdout);
        var lines = File.ReadAllLines(Path.Combine(run.Out, "metrics.csv"));
        Assert.Equal("epoch,batch,train_loss,test_loss,test_accuracy,seconds", lines[0]);
        var rows = Rows(run.Out);
        // 6 batches per epoch (< 100): only the end-of-epoch rows.
        Assert.Equal([1, 2], rows.Select(r => r.Epoch));
        Assert.All(rows, r => Assert.True(r.IsEpochEnd && r.Batch == 6));
        Assert.True(rows[1].TestAccuracy > 0.5, $"the synthetic classes are easy to separate; got accuracy {rows[1].TestAccuracy}");
        Assert.True(rows[1].TrainLoss < rows[0].TrainLoss);

        var (tensors, metadata) = Checkpoint.Load(Path.Combine(run.Out, "checkpoint.safetensors"));
        Assert.Equal("2", metadata["epoch"]);
        Assert.Equal("3", metadata["seed"]);
        Assert.Equal("linear", metadata["model"]);
        Assert.Equal([10, 784], tensors["linear.weight"].Shape);
        Assert.Contains(tensors.Keys, k => k.StartsWith("optimizer.state.0.", StringComparison.Ordinal));

        string html = File.ReadAllText(Path.Combine(run.Out, "report.html"));
        Assert.Contains("<svg", html);
        Assert.Contains("Test accuracy", run.Result.Stdout);
        Assert.Contains(Path.Combine(run.Out, "report.html"), run.Result.Stdout);
    }

    [Fact]
    public void EpochLinesSayTheSecondsElapsedThatMetricsCsvRecords()
    {
        // "Epoch 2 done: …, 28.1 s" read as that epoch's time; it is the time since the start, metrics.csv's seconds.
        var rows = Rows(run.Out);
        var lines = Regex.Matches(run.Result.Stdout, @"^Epoch (\d+) done: .*, (\d+\.\d) s elapsed$", RegexOptions.Multiline);
        Assert.Equal(["1", "2"], lines.Select(m => m.Groups[1].Value));
        for (int i = 0; i < 2; i++)
        {
            double shown = double.Parse(lines[i].Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(shown - rows[i].Seconds) <= 0.0505, $"epoch {i + 1}: {shown} s shown, {rows[i].Seconds} in metrics.csv");
        }
        Assert.True(rows[1].Seconds >= rows[0].Seconds);
    }

    [Fact]
    public void EvalJsonReportsTheLastEpochsTestAccuracy()
    {
        var r = CliRunner.Run("eval", "--checkpoint", Path.Combine(run.Out, "checkpoint.safetensors"), "--data", run.Data, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var root = json.RootElement;
        Assert.Equal(Rows(run.Out)[^1].TestAccuracy!.Value, root.GetProperty("accuracy").GetDouble());
        Assert.Equal(64, root.GetProperty("total").GetInt64());
        Assert.Equal(root.GetProperty("correct").GetInt64() / 64.0, root.GetProperty("accuracy").GetDouble());
        Assert.Equal(Rows(run.Out)[^1].TestLoss!.Value, root.GetProperty("mean_ce").GetDouble(), 12);
        Assert.Equal(10, root.GetProperty("confusion_matrix").GetArrayLength());
        Assert.True(root.GetProperty("ece").GetDouble() is >= 0 and <= 1);
    }

    [Fact]
    public void ResumingFromEpochOneEndsBitIdenticallyEvenWithAnotherThreadCount()
    {
        string dir = Path.Combine(run.Root.Path, "resumed");
        var first = run.Train(dir, "--epochs", "1", "--threads", "1");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var second = run.Train(dir, "--epochs", "2", "--resume", Path.Combine(dir, "checkpoint.safetensors"));
        Assert.True(second.ExitCode == 0, second.Stderr);

        var a = Rows(run.Out);
        var b = Rows(dir);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].TrainLoss, b[i].TrainLoss);
            Assert.Equal(a[i].TestLoss, b[i].TestLoss);
            Assert.Equal(a[i].TestAccuracy, b[i].TestAccuracy);
        }
        var wa = Checkpoint.Load(Path.Combine(run.Out, "checkpoint.safetensors")).Tensors;
        var wb = Checkpoint.Load(Path.Combine(dir, "checkpoint.safetensors")).Tensors;
        Assert.Equal(wa.Keys.Order(), wb.Keys.Order());
        foreach (var k in wa.Keys.Where(k => wa[k].DType == DType.Float32))
            Assert.True(wa[k].Data.SequenceEqual(wb[k].Data), $"{k} differs after resuming");
    }

    [Fact]
    public void ResumeReportsTheCheckpointsSettingsAndRejectsAnotherModelBeforeLoading()
    {
        string dir = Path.Combine(run.Root.Path, "resumed-settings");
        string[] args = ["train", "--data", run.Data, "--out", dir, "--model", "linear", "--batch-size", "32", "--limit-batches", "2"];
        var first = CliRunner.Run([.. args, "--epochs", "1", "--lr", "0.02"]);
        Assert.True(first.ExitCode == 0, first.Stderr);
        string checkpoint = Path.Combine(dir, "checkpoint.safetensors");

        // On resume the optimizer state (lr 0.02) is used: another --lr is refused rather than ignored (QA s14 #10), and without one
        // the saved settings must say what was used.
        var ignored = CliRunner.Run([.. args, "--epochs", "2", "--lr", "0.5", "--resume", checkpoint]);
        Assert.Equal(2, ignored.ExitCode);
        Assert.Contains("was trained with --lr 0.02, not 0.5", ignored.Stderr, StringComparison.Ordinal);
        var second = CliRunner.Run([.. args, "--epochs", "2", "--resume", checkpoint]);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Equal("0.02", Checkpoint.Load(checkpoint).Metadata["setting.lr"]);

        var wrong = CliRunner.Run(["train", "--data", run.Data, "--out", Path.Combine(run.Root.Path, "wrong-model"),
            "--model", "mlp", "--epochs", "2", "--resume", checkpoint]);
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("holds a 'linear' model, not 'mlp'; pass --model linear", wrong.Stderr);
    }

    [Fact]
    public void MissingDataExitsWith2AndSaysHowToGetIt()
    {
        var r = CliRunner.Run("train", "--data", Path.Combine(run.Root.Path, "no-such-dir"), "--out", Path.Combine(run.Root.Path, "none"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("apt-get install dataset-fashion-mnist", r.Stderr);
        Assert.Contains("--data", r.Stderr);
        Assert.DoesNotContain("Exception", r.Stderr);
    }

    [Fact]
    public void DivergingLossStopsWithExit3AndKeepsTheLastGoodCheckpoint()
    {
        string dir = Path.Combine(run.Root.Path, "diverged");
        Directory.CreateDirectory(dir);
        string ckpt = Path.Combine(dir, "checkpoint.safetensors");
        // The 2-epoch run's checkpoint, resumed with a learning rate of 1e38 (the optimizer state stores it as the
        // double's bits, and a resume takes it from there; --lr must agree): epoch 3 diverges, and epoch 2's checkpoint must survive it.
        var file = SafeTensors.Read(Path.Combine(run.Out, "checkpoint.safetensors"));
        var tensors = file.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value);
        tensors["optimizer.param_groups.0.lr"] = new NpyArray(new long[] { BitConverter.DoubleToInt64Bits(1e38) });
        SafeTensors.Write(ckpt, tensors, file.Metadata);
        var before = File.ReadAllBytes(ckpt);

        var common = TrainedRunFixture.Common;
        int lr = Array.IndexOf(common, "--lr");
        string[] options = [.. common[..lr], .. common[(lr + 2)..], "--lr", "1e38"];
        var r = CliRunner.Run(["train", "--data", run.Data, "--out", dir, .. options, "--epochs", "3", "--resume", ckpt]);
        Assert.Equal(3, r.ExitCode);
        Assert.Matches(new Regex(@"loss became (NaN|infinite) at epoch 3, batch \d+"), r.Stderr);
        Assert.Contains("The last good checkpoint is kept", r.Stderr);
        Assert.Contains("training stopped. Try a lower learning rate (--lr).", r.Stderr); // the library's advice, with the CLI's flag
        // "Try a lower learning rate (--lr)" alone would send the user to an --lr that a resumed run refuses.
        Assert.Contains("A resumed run keeps the checkpoint's learning rate: for a lower --lr, start a new run (without --resume).",
            r.Stderr);
        Assert.Equal(before, File.ReadAllBytes(ckpt));
    }

    [Fact]
    public void PrintsTheTutorialsLossLineEvery100Batches()
    {
        string dir = Path.Combine(run.Root.Path, "log100");
        var r = CliRunner.Run("train", "--data", run.Data, "--out", dir, "--model", "linear", "--epochs", "1", "--batch-size", "2",
            "--limit-batches", "100");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var m = Regex.Match(r.Stdout, @"^Epoch: 1, Batch: 100, Loss: (\d+\.\d{4})$", RegexOptions.Multiline);
        Assert.True(m.Success, r.Stdout);
        // The interval ends on the epoch's last batch: the epoch's row stands for it (one row per epoch and batch, qa-s18-mpi L3),
        // and its mean over the epoch's 100 batches is the logged one.
        var row = Assert.Single(Rows(dir));
        Assert.True(row.IsEpochEnd);
        Assert.Equal(100, row.Batch);
        Assert.Equal(row.TrainLoss.ToString("F4", CultureInfo.InvariantCulture), m.Groups[1].Value);
    }
}
