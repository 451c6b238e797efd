using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xent.Tests.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// <c>eval</c> and <c>calibrate</c> on the data a checkpoint was trained on (qa-s20-journey M1): a warning that says how many of
/// its samples trained the model, and <c>--held-out RUN/split.csv</c>, which scores only the rows the run held out: the same
/// accuracy and loss that <c>train</c> printed for them.
/// </summary>
public sealed partial class HeldOutCliTests
{
    /// <summary>200 rows of two features whose label follows their sum with noise, so that a model gets some rows wrong.</summary>
    private static string NoisyCsv(TempDirectory dir)
    {
        string path = dir.File("data.csv");
        var rng = new Random(11);
        File.WriteAllLines(path, ["a,b,label", .. Enumerable.Range(0, 200).Select(_ =>
        {
            double a = rng.NextDouble() * 2 - 1, b = rng.NextDouble() * 2 - 1;
            return string.Create(CultureInfo.InvariantCulture, $"{a:R},{b:R},{(a + b + 0.8 * (rng.NextDouble() - 0.5) > 0 ? "p" : "n")}");
        })]);
        return path;
    }

    [GeneratedRegex(@"^Test accuracy: [0-9.]+% \((\d+)/(\d+)\), mean cross-entropy ([0-9.]+)", RegexOptions.Multiline)]
    private static partial Regex FinalLine();

    /// <summary>The (correct, total, mean CE) of train's last "Test accuracy" line.</summary>
    private static (int Correct, int Total, double MeanCe) TrainFinal(CliResult train)
    {
        Assert.True(train.ExitCode == 0, train.Stderr);
        var m = FinalLine().Matches(train.Stdout).Last();
        return (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
            double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
    }

    [Fact]
    public void HeldOutScoresTheRowsTheRunHeldOut_AsTrainScoredThem_AndTheTrainingDataIsWarnedAbout()
    {
        using var dir = new TempDirectory();
        string csv = NoisyCsv(dir), run = dir.File("run");
        var (correct, total, meanCe) = TrainFinal(InProcessCli.Run("train", "--data", csv, "--val-split", "0.25", "--model", "linear",
            "--epochs", "5", "--batch-size", "16", "--lr", "0.05", "--out", run));
        Assert.Equal(50, total);
        Assert.InRange(correct, 26, 49); // a model that gets some right and some wrong: a mix-up of rows would show
        string checkpoint = Path.Combine(run, "checkpoint.safetensors"), split = Path.Combine(run, "split.csv");

        var eval = InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", csv, "--held-out", split, "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Equal("", eval.Stderr);
        using (var json = JsonDocument.Parse(eval.Stdout))
        {
            Assert.Equal(correct, json.RootElement.GetProperty("correct").GetInt32());
            Assert.Equal(total, json.RootElement.GetProperty("total").GetInt32());
            Assert.Equal(meanCe, Math.Round(json.RootElement.GetProperty("mean_ce").GetDouble(), 4));
        }
        var calibrate = InProcessCli.Run("calibrate", "--checkpoint", checkpoint, "--data", csv, "--held-out", split, "--json");
        Assert.True(calibrate.ExitCode == 0, calibrate.Stderr);
        using (var json = JsonDocument.Parse(calibrate.Stdout))
        {
            Assert.Equal(total, json.RootElement.GetProperty("samples").GetInt32());
            Assert.Equal(meanCe, Math.Round(json.RootElement.GetProperty("nll_before").GetDouble(), 4));
        }

        // Without --held-out: the score is of all 200 rows, 150 of which trained the model, and both commands say so.
        foreach (string command in new[] { "eval", "calibrate" })
        {
            var r = InProcessCli.Run(command, "--checkpoint", checkpoint, "--data", csv);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.StartsWith($"Warning: '{csv}' is the data '{checkpoint}' was trained on: {200 - total} of its 200 samples trained it",
                r.Stderr, StringComparison.Ordinal);
            Assert.Contains($"Pass --held-out {split} to use only the rows its run held out.", r.Stderr, StringComparison.Ordinal);
        }
        // Through a link to the file, too: the checkpoint records where its --data led.
        string link = dir.File("link.csv");
        File.CreateSymbolicLink(link, csv);
        Assert.Contains("was trained on: 150 of its 200 samples",
            InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", link).Stderr, StringComparison.Ordinal);
        // qa-s20-b L5: and through a hard link (one file, two names); a copy, another file with the same bytes, is told by them
        // (TrainingDataCopyCliTests).
        if (OperatingSystem.IsLinux())
        {
            string hard = dir.File("hard.csv"), copy = dir.File("copy.csv");
            using (var ln = System.Diagnostics.Process.Start("ln", [csv, hard])) ln.WaitForExit();
            File.Copy(csv, copy);
            Assert.Contains($"'{hard}' is the data '{checkpoint}' was trained on: 150 of its 200 samples",
                InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", hard).Stderr, StringComparison.Ordinal);
            Assert.Contains($"'{copy}' is a copy of '{csv}', the data '{checkpoint}' was trained on (the same bytes): 150 of its 200 " +
                "samples", InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", copy).Stderr, StringComparison.Ordinal);
            // And through a symbolic link to the hard link: the link's own length (the name it holds) is not the file's, and the
            // lengths were compared before the link was followed.
            string soft = dir.File("soft.csv");
            File.CreateSymbolicLink(soft, hard);
            Assert.NotEqual(new FileInfo(csv).Length, new FileInfo(soft).Length); // what .NET gives for the link
            Assert.Contains($"'{soft}' is the data '{checkpoint}' was trained on: 150 of its 200 samples",
                InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", soft).Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ALinkToAPipeIsNotOpenedToTellWhetherItIsTheTrainingData()
    {
        // A link as long as the training data (the name it holds: "./" 100 times, then the pipe's) passed the length check, and
        // the pipe it leads to was opened to read its inode: with no writer, eval waited for ever after its score.
        if (!OperatingSystem.IsLinux()) return; // mkfifo, /proc/self/fdinfo
        using var dir = new TempDirectory();
        string data = dir.File("data.csv"), link = dir.File("link.csv"), target = string.Concat(Enumerable.Repeat("./", 100)) + "p.csv";
        ProcessFolder.MakeFifo(dir.File("p.csv"));
        File.WriteAllText(data, new string('x', target.Length));
        File.CreateSymbolicLink(link, target);
        Assert.Equal(new FileInfo(data).Length, new FileInfo(link).Length); // what .NET gives for the link
        var hardLinked = InProcessCli.Assembly.GetType("Xent.Cli.Commands.TrainingDataWarning", throwOnError: true)!
            .GetMethod("HardLinked", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        var check = Task.Factory.StartNew(() => (bool)hardLinked.Invoke(null, [link, data])!, CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            Assert.False(await check.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            // A writer, when the check is stuck in the pipe's open: no thread of the test host is left there for ever.
            if (!check.IsCompleted)
            {
                using var writer = System.Diagnostics.Process.Start("timeout", ["60", "/bin/bash", "-c", $": > '{dir.File("p.csv")}'"])!;
                await writer.WaitForExitAsync();
            }
        }
        // The same file through a link of another length is still told: the link is followed, whatever it holds.
        string other = dir.File("other.csv");
        File.CreateSymbolicLink(other, "data.csv");
        Assert.True((bool)hardLinked.Invoke(null, [other, data])!);
    }

    [Fact]
    public void ARunThatTestedOnOtherData_IsWarnedAboutAllItsSamples_AndOtherDataIsNot()
    {
        using var dir = new TempDirectory();
        string csv = NoisyCsv(dir), test = dir.File("test.csv");
        File.WriteAllLines(test, File.ReadAllLines(csv).Take(41));
        var train = InProcessCli.Run("train", "--data", csv, "--test-data", test, "--model", "linear", "--epochs", "1",
            "--out", dir.File("run"));
        Assert.True(train.ExitCode == 0, train.Stderr);
        string checkpoint = dir.File("run/checkpoint.safetensors");
        var onTraining = InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", csv);
        Assert.True(onTraining.ExitCode == 0, onTraining.Stderr);
        Assert.StartsWith($"Warning: '{csv}' is the data '{checkpoint}' was trained on, all 200 of its samples, so its accuracy",
            onTraining.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Its run tested on '{test}'; pass that as --data.", onTraining.Stderr, StringComparison.Ordinal);
        var onTest = InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", test);
        Assert.True(onTest.ExitCode == 0, onTest.Stderr);
        Assert.Equal("", onTest.Stderr);
    }

    [Fact]
    public void ImageFolders_AreMatchedFileByFile_AndASplitThatDoesNotFitIsRefused()
    {
        using var dir = new TempDirectory();
        string images = dir.File("images"), run = dir.File("run");
        OwnDataFiles.GrayClasses(images, perClass: 10);
        var (correct, total, _) = TrainFinal(InProcessCli.Run("train", "--data", images, "--val-split", "0.3", "--model", "linear",
            "--epochs", "1", "--out", run));
        string checkpoint = Path.Combine(run, "checkpoint.safetensors"), split = Path.Combine(run, "split.csv");
        var eval = InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", images, "--held-out", split, "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using (var json = JsonDocument.Parse(eval.Stdout))
        {
            Assert.Equal(total, json.RootElement.GetProperty("total").GetInt32());
            Assert.Equal(correct, json.RootElement.GetProperty("correct").GetInt32());
        }

        // A file renamed since: as many images, but not the same ones at each row.
        File.Move(Path.Combine(images, "bright", "img000.png"), Path.Combine(images, "bright", "img999.png"));
        CliAssert.OneLineError(InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", images, "--held-out", split), 2,
            $"'{split}' names 'bright/img000.png' for sample 0 (line 2), but sample 0 of '{images}' is 'bright/img001.png'");

        // A split of other data, a file that is no split, a row that is not xent's.
        string csv = NoisyCsv(dir), csvRun = dir.File("csv-run");
        Assert.Equal(0, InProcessCli.Run("train", "--data", csv, "--model", "linear", "--epochs", "1", "--out", csvRun).ExitCode);
        string csvCheckpoint = Path.Combine(csvRun, "checkpoint.safetensors"), csvSplit = Path.Combine(csvRun, "split.csv");
        string edited = dir.File("edited.csv");
        File.WriteAllLines(edited, File.ReadAllLines(csvSplit).Select((l, i) => i == 5 ? "3,train" : l));
        foreach (var (heldOut, data, message) in new[]
        {
            (csvSplit, images, $"'{csvSplit}' has 200 rows, but '{images}' holds 20 samples: it is the split of other data"),
            (csv, csv, $"'{csv}' is not a split.csv that xent train wrote: its header is 'a,b,label'"),
            (edited, csv, $"'{edited}' line 6 is '3,train'; xent writes '4,train' or '4,test' there."),
            (split, csv, $"'{split}' has 20 rows, but '{csv}' holds 200 samples"),
        })
        {
            string ckpt = data == images ? checkpoint : csvCheckpoint;
            foreach (string command in new[] { "eval", "calibrate" })
                CliAssert.OneLineError(InProcessCli.Run(command, "--checkpoint", ckpt, "--data", data, "--held-out", heldOut), 2, message,
                    $"{command} --held-out {heldOut}");
        }
    }

    [Fact]
    public void HeldOutTakesTheRunFolder_AndSaysWhatAFolderWithoutASplitLacks()
    {
        // qa-s20-b M3: --held-out RUN (the folder the help's "RUN/split.csv" names) said "'run' does not exist".
        using var dir = new TempDirectory();
        string csv = NoisyCsv(dir), run = dir.File("run");
        var (correct, total, _) = TrainFinal(InProcessCli.Run("train", "--data", csv, "--model", "linear", "--epochs", "2",
            "--out", run));
        string checkpoint = Path.Combine(run, "checkpoint.safetensors");
        foreach (string command in new[] { "eval", "calibrate" })
            foreach (string heldOut in new[] { run, run + "/" })
            {
                var r = InProcessCli.Run(command, "--checkpoint", checkpoint, "--data", csv, "--held-out", heldOut, "--json");
                Assert.True(r.ExitCode == 0, r.Stderr);
                using var json = JsonDocument.Parse(r.Stdout);
                Assert.Equal(total, json.RootElement.GetProperty(command == "eval" ? "total" : "samples").GetInt32());
                if (command == "eval") Assert.Equal(correct, json.RootElement.GetProperty("correct").GetInt32());
            }
        string empty = dir.File("empty");
        Directory.CreateDirectory(empty);
        foreach (string command in new[] { "eval", "calibrate" })
            CliAssert.OneLineError(InProcessCli.Run(command, "--checkpoint", checkpoint, "--data", csv, "--held-out", empty), 2,
                $"--held-out '{empty}' is a folder with no split.csv in it: pass a run folder, or its split.csv (RUN/split.csv), of a " +
                "run that held out part of its --data (--val-split, or the default 10%).");
    }

    [Fact]
    public void ASplitOfAnotherRun_OrOfDataReorderedOrEditedSince_IsRefused()
    {
        // qa-s20-b M4: run's checkpoint with run2's split.csv of the same data, or with its own split.csv over a reordered CSV,
        // scored rows that had trained the model as "test", without a word.
        using var dir = new TempDirectory();
        string csv = NoisyCsv(dir), run = dir.File("run"), run2 = dir.File("run2");
        foreach (var (output, seed) in new[] { (run, "1"), (run2, "2") })
            Assert.Equal(0, InProcessCli.Run("train", "--data", csv, "--model", "linear", "--epochs", "1", "--seed", seed,
                "--out", output).ExitCode);
        string checkpoint = Path.Combine(run, "checkpoint.safetensors"), split = Path.Combine(run, "split.csv");
        const string Tail = "was reordered or edited since the run; pass the split.csv beside the checkpoint, with the data as it was " +
            "trained on.";
        string[] lines = File.ReadAllLines(csv);
        // Rows reversed: the same labels and values, in another order.
        string reversed = dir.File("reversed.csv");
        File.WriteAllLines(reversed, [lines[0], .. lines.Skip(1).Reverse()]);
        // One value of a row the run trained on changed: the same labels in the same order, so the same split is drawn.
        int trainedRow = File.ReadAllLines(split).Skip(1).Select(l => l.Split(',')).First(c => c[1] == "train")[0] is var r
            ? int.Parse(r, CultureInfo.InvariantCulture) : -1;
        string edited = dir.File("edited.csv");
        File.WriteAllLines(edited, lines.Select((l, i) => i == trainedRow + 1 ? "0.123," + l[(l.IndexOf(',') + 1)..] : l));
        foreach (var (data, heldOut, message) in new[]
        {
            (csv, Path.Combine(run2, "split.csv"), $"'{run2}/split.csv' marks other rows 'test' than the run of '{checkpoint}' held " +
                $"out of '{csv}' (--val-split 0.1, seed 1: "),
            (reversed, split, $"'{split}' marks other rows 'test' than the run of '{checkpoint}' held out of '{reversed}'"),
            (edited, split, $"the rows '{split}' marks 'train' are not those that trained '{checkpoint}': feature 'a' has mean "),
        })
            foreach (string command in new[] { "eval", "calibrate" })
            {
                var refused = InProcessCli.Run(command, "--checkpoint", checkpoint, "--data", data, "--held-out", heldOut);
                CliAssert.OneLineError(refused, 2, message, $"{command} --data {data} --held-out {heldOut}");
                Assert.EndsWith($"'{data}' {Tail}", refused.Stderr.TrimEnd(), StringComparison.Ordinal);
            }
        // Each run's own split over the data as it was is taken.
        Assert.Equal(0, InProcessCli.Run("eval", "--checkpoint", Path.Combine(run2, "checkpoint.safetensors"), "--data", csv,
            "--held-out", run2).ExitCode);
    }

    [Fact]
    public void MultiLabelHeldOutRows_AreScoredAsTrainScoredThem()
    {
        // qa-s21-seen H1: eval --held-out on a multi-label checkpoint was an internal error (exit 1), though the training-data
        // warning recommends exactly that command.
        using var dir = new TempDirectory();
        string csv = OwnDataFiles.MultiLabelCsv(dir.File("ml.csv"), 160), run = dir.File("run");
        var train = InProcessCli.Run("train", "--data", csv, "--multi-label", "pos_a,pos_b", "--val-split", "0.25", "--epochs", "3",
            "--out", run);
        Assert.True(train.ExitCode == 0, train.Stderr);
        var final = Regex.Matches(train.Stdout, @"^Test subset accuracy: [0-9.]+% \((\d+)/(\d+)\), mean BCE ([0-9.]+)",
            RegexOptions.Multiline).Last();
        Assert.Equal("40", final.Groups[2].Value);
        // qa-s21-seen L6: the epoch lines named the same figure "test accuracy".
        Assert.Matches(@"Epoch 3 done: train loss [0-9.]+, test loss [0-9.]+, test subset accuracy [0-9.]+% \(\d+/40\)", train.Stdout);
        string checkpoint = Path.Combine(run, "checkpoint.safetensors"), report = dir.File("eval.html");
        foreach (string heldOut in new[] { run, Path.Combine(run, "split.csv") })
        {
            var eval = InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", csv, "--held-out", heldOut, "--json");
            Assert.True(eval.ExitCode == 0, eval.Stderr);
            using var json = JsonDocument.Parse(eval.Stdout);
            Assert.Equal(int.Parse(final.Groups[1].Value, CultureInfo.InvariantCulture),
                json.RootElement.GetProperty("correct").GetInt32());
            Assert.Equal(40, json.RootElement.GetProperty("total").GetInt32());
            Assert.Equal(double.Parse(final.Groups[3].Value, CultureInfo.InvariantCulture),
                Math.Round(json.RootElement.GetProperty("mean_bce").GetDouble(), 4));
        }
        var text = InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", csv, "--held-out", run, "--report", report);
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains(final.Value, text.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(report));
    }
}

