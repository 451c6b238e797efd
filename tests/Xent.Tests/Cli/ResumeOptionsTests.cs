using System.Globalization;
using Xent.IO;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// QA s17's findings on <c>xent train --resume</c> and <c>--warmup</c>: the loss, schedule and <c>--missing</c> options left out
/// are the checkpoint's, so the training command without them resumes to where the uninterrupted run ends, and a refusal quotes
/// only what the user passed (M2); an early-stopped run is not moved on by the same command, and one resumed with a larger or
/// no <c>--patience</c> counts and keeps its best epoch as an uninterrupted run does (M3); another <c>--hidden</c> is refused in
/// the options' terms, and one left out is the checkpoint's (L2); a warm-up longer than the run is named (L4). Tiny CSV files.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ResumeOptionsTests : IDisposable
{
    private static readonly string[] Model = ["--batch-size", "8", "--model", "mlp", "--hidden", "8"];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Csv() => TinyTables.Labelled(_dir);

    private string MultiLabelCsv() => TinyTables.MultiLabel(_dir);

    private static CliResult Train(string data, string outDir, params string[] extra) =>
        InProcessCli.Run(["train", "--data", data, "--out", outDir, .. extra]);

    private static void Ok(CliResult r, string what) => Assert.True(r.ExitCode == 0, $"{what}: {r.Stderr}");

    /// <summary>metrics.csv's rows without the seconds column: what a resumed run must reproduce bit for bit.</summary>
    private static string[] Metrics(string dir) =>
        [.. File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Select(l => l[..l.LastIndexOf(',')])];

    /// <summary>Every file of a folder with its bytes, to show that a command wrote nothing there.</summary>
    private static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private static void Unchanged(Dictionary<string, byte[]> before, string dir, string what)
    {
        var after = Snapshot(dir);
        Assert.True(before.Keys.Order().SequenceEqual(after.Keys.Order()), $"{what}: files {string.Join(", ", after.Keys)}");
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[name]), $"{what}: {name} changed");
    }

    private static Dictionary<string, string> Settings(string checkpoint) =>
        Checkpoint.Load(checkpoint).Metadata.Where(kv => kv.Key.StartsWith("setting.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);

    [Fact]
    public void TheTrainingCommandWithoutItsLossAndScheduleOptionsResumesToTheUninterruptedRun()
    {
        string single = Csv(), multi = MultiLabelCsv();
        (string Name, string Data, string[] Fixed, string[] Options)[] runs =
        [
            ("smoothing", single, Model, ["--label-smoothing", "0.1", "--class-weights", "inverse-frequency", "--lr-schedule", "step",
                "--lr-gamma", "0.5", "--warmup", "2", "--missing", "mean", "--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9"]),
            // Not cosine, which spans --epochs: another --epochs is then another schedule, as the warning says.
            ("focal", single, Model, ["--loss", "focal", "--gamma", "3", "--warmup", "3"]),
            ("multi", multi, [.. Model, "--multi-label", "p,q"], ["--pos-weight", "auto", "--loss", "bce-with-logits"]),
        ];
        foreach (var (name, data, fixedOptions, options) in runs)
        {
            string whole = _dir.File(name + "-whole"), part = _dir.File(name + "-part");
            Ok(Train(data, whole, [.. fixedOptions, .. options, "--epochs", "2"]), name);
            Ok(Train(data, part, [.. fixedOptions, .. options, "--epochs", "1"]), name);
            // The same command without the options: refused before, as "not --label-smoothing 0".
            var resumed = Train(data, part, [.. fixedOptions, "--epochs", "2", "--resume", Path.Combine(part, "checkpoint.safetensors")]);
            Ok(resumed, name);
            Assert.DoesNotContain("options that differ from the checkpoint's run", resumed.Stderr, StringComparison.Ordinal);
            Assert.Equal(Metrics(whole), Metrics(part));
            Assert.Equal(Settings(Path.Combine(whole, "checkpoint.safetensors")), Settings(Path.Combine(part, "checkpoint.safetensors")));
        }

        // Given with another value, an option is refused in the words it was given in, and nothing is written.
        (string Run, string[] Options, string Expected)[] refused =
        [
            ("focal", ["--gamma", "2"], "was trained with --gamma 3, not 2; a resumed run goes on minimising the loss its checkpoint was " +
                "trained with: pass --gamma 3 or leave it out, or leave out --resume to start a new run."),
            ("focal", ["--loss", "auto"], "was trained with --loss focal, not auto;"),
            ("focal", ["--lr-gamma", "0.5"], "was trained with --lr-schedule none, which has no --lr-gamma (the step schedule's " +
                "factor); a resumed run goes on with its checkpoint's learning-rate schedule: leave out --lr-gamma"),
            ("smoothing", ["--lr-gamma", "0.7"], "was trained with --lr-gamma 0.5, not 0.7;"),
            ("smoothing", ["--gamma", "2"], "was trained with --loss cross-entropy, which has no --gamma (the focal loss's exponent); " +
                "a resumed run goes on minimising the loss its checkpoint was trained with: leave out --gamma"),
            ("smoothing", ["--label-smoothing", "0.2"], "was trained with --label-smoothing 0.1, not 0.2;"),
            ("smoothing", ["--warmup", "0"], "was trained with --warmup 2, not 0;"),
            ("smoothing", ["--missing", "error"], "was trained with --missing mean, not error;"),
            ("multi", ["--pos-weight", "none"], "was trained with --pos-weight auto, not none;"),
        ];
        foreach (var (run, options, expected) in refused)
        {
            string part = _dir.File(run + "-part"), checkpoint = Path.Combine(part, "checkpoint.safetensors");
            string[] data = run == "multi" ? [.. Model, "--multi-label", "p,q"] : Model;
            var before = Snapshot(part);
            CliAssert.OneLineError(Train(run == "multi" ? multi : single, part, [.. data, "--epochs", "3", "--resume", checkpoint,
                .. options]), 2, $"checkpoint '{checkpoint}' {expected}", string.Join(' ', options));
            Unchanged(before, part, string.Join(' ', options));
        }
    }
    [Fact]
    public void AnMlpsHiddenSizesLeftOutAreTheCheckpointsAndOthersAreRefusedInTheOptionsTerms()
    {
        string data = Csv();
        string[] layers = ["--batch-size", "8", "--model", "mlp", "--hidden", "4,3"];
        string whole = _dir.File("whole"), part = _dir.File("part"), checkpoint = Path.Combine(part, "checkpoint.safetensors");
        Ok(Train(data, whole, [.. layers, "--epochs", "2"]), "whole");
        Ok(Train(data, part, [.. layers, "--epochs", "1"]), "part");

        // Another size: one line in the options' terms, not the state dict's "size mismatch for fc1.weight", and nothing written.
        var before = Snapshot(part);
        CliAssert.OneLineError(Train(data, part, "--batch-size", "8", "--hidden", "8", "--epochs", "2", "--resume", checkpoint), 2,
            $"error: checkpoint '{checkpoint}' was trained with --hidden 4,3, not 8; a resumed run goes on training the checkpoint's " +
            "layers: pass --hidden 4,3 or leave it out, or leave out --resume to start a new run.");
        Unchanged(before, part, "--hidden 8");

        // Left out (it was the default 256 before), the checkpoint's sizes: the run ends where the uninterrupted one does.
        Ok(Train(data, part, "--batch-size", "8", "--epochs", "2", "--resume", checkpoint), "resumed without --hidden");
        Assert.Equal(Metrics(whole), Metrics(part));
        Assert.Equal("4,3", Checkpoint.Load(checkpoint).Metadata["spec.hidden"]);
    }
    [Fact]
    public void AModelLeftOutIsTheCheckpointsSoALinearRunResumesWithoutModel()
    {
        // --model auto picks mlp for a table: the same command minus --model refused a linear checkpoint ("not 'mlp'").
        string data = Csv();
        string whole = _dir.File("linear-whole"), part = _dir.File("linear-part");
        string checkpoint = Path.Combine(part, "checkpoint.safetensors");
        Ok(Train(data, whole, "--batch-size", "8", "--model", "linear", "--epochs", "2"), "whole");
        Ok(Train(data, part, "--batch-size", "8", "--model", "linear", "--epochs", "1"), "part");
        Ok(Train(data, part, "--batch-size", "8", "--epochs", "2", "--resume", checkpoint), "resumed without --model");
        Assert.Equal(Metrics(whole), Metrics(part));
        Assert.Equal("linear", Checkpoint.Load(checkpoint).Metadata["model"]);
        // Given otherwise, it is still refused.
        CliAssert.OneLineError(Train(data, part, "--batch-size", "8", "--model", "mlp", "--epochs", "3", "--resume", checkpoint), 2,
            "holds a 'linear' model, not 'mlp'; pass --model linear");
    }

    /// <summary>60 rows of a, b and a label x/y/z that a follows but for every fifth row: a held-out loss that rises and falls.</summary>
    private string NoisyCsv()
    {
        string path = _dir.File("noisy.csv");
        File.WriteAllLines(path, ["a,b,label", .. Enumerable.Range(0, 60).Select(i => string.Create(CultureInfo.InvariantCulture,
            $"{i % 3 + 0.9 * (i * 7 % 11) / 11},{i * 5 % 13 / 13.0},{"xyz"[(i % 3 + (i % 5 == 0 ? 1 : 0)) % 3]}"))]);
        return path;
    }

    /// <summary>The held-out loss of each epoch, from metrics.csv's epoch rows (those with a test loss).</summary>
    private static double[] TestLosses(string dir) =>
        [.. File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Skip(1).Select(l => l.Split(',')).Where(c => c[3].Length > 0)
            .Select(c => double.Parse(c[3], CultureInfo.InvariantCulture))];

    private static void SameTensors(string expected, string actual)
    {
        var (a, b) = (Checkpoint.Load(expected).Tensors, Checkpoint.Load(actual).Tensors);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var k in a.Keys.Where(k => a[k].DType == DType.Float32))
            Assert.True(a[k].Data.SequenceEqual(b[k].Data), $"{k} of {actual} differs from {expected}");
    }

    private void CopyRun(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    [Fact]
    public void NothingToTrainWarnsAboutNoOptionThatDiffers()
    {
        // qa-s20-a L6: "Warning: resumed with options that differ …: no --patience instead of --patience 1 … its checkpoint
        // records the new values." came just before "Nothing to train", which records nothing.
        string data = Csv(), run = _dir.File("run"), checkpoint = Path.Combine(run, "checkpoint.safetensors");
        Ok(Train(data, run, [.. Model, "--epochs", "2", "--patience", "5", "--limit-batches", "3"]), "the run");
        var before = Snapshot(run);
        // Each of these would be warned about in a run that goes on: --patience and --limit-batches left out, another
        // --limit-batches, another --batch-size.
        string[][] changed = [["--batch-size", "8", "--epochs", "2"],
            ["--batch-size", "8", "--epochs", "1", "--patience", "5", "--limit-batches", "2"],
            ["--batch-size", "16", "--epochs", "2", "--patience", "5", "--limit-batches", "3"]];
        foreach (string[] options in changed)
        {
            var r = Train(data, run, [.. Model[2..], .. options, "--resume", checkpoint]);
            Ok(r, string.Join(' ', options));
            Assert.Contains($"Nothing to train: '{checkpoint}' is already at epoch 2; pass --epochs above 2", r.Stdout,
                StringComparison.Ordinal);
            Assert.Equal("", r.Stderr);
        }
        Unchanged(before, run, "nothing to train");
        // The same change in a run that goes on is still named.
        var goesOn = Train(data, run, [.. Model, "--epochs", "3", "--resume", checkpoint]);
        Ok(goesOn, "a run that goes on");
        Assert.Contains("Warning: resumed with options that differ from the checkpoint's run: no --patience instead of --patience 5",
            goesOn.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEarlyStoppedRunIsNotMovedOnAndALargerOrNoPatienceGoesOnAsAnUninterruptedRun()
    {
        string data = NoisyCsv();
        string[] run = [.. Model, "--lr", "0.05", "--val-split", "0.3", "--epochs", "12"];
        string stopped = _dir.File("stopped"), checkpoint = Path.Combine(stopped, "checkpoint.safetensors");
        Ok(Train(data, stopped, [.. run, "--patience", "2"]), "patience 2");
        var losses = TestLosses(stopped);
        int last = losses.Length, best = Array.IndexOf(losses, losses.Min()) + 1;
        Assert.True(last < 12 && last - best == 2, $"the set-up needs a run that stops early: {string.Join(", ", losses)}");

        // The same command again (a script rerunning it after an interruption): the uninterrupted run ended here.
        var before = Snapshot(stopped);
        var again = Train(data, stopped, [.. run, "--patience", "2", "--resume", checkpoint]);
        Ok(again, "the same command");
        Assert.Contains($"Nothing to train: the run stopped early at epoch {last} (no held-out improvement for 2 epochs since epoch " +
            $"{best}); pass a --patience above 2, or leave it out, to train further.", again.Stdout, StringComparison.Ordinal);
        Unchanged(before, stopped, "the same command");

        // A larger --patience goes on counting from the checkpoint's epochs without improvement, and no --patience goes on to
        // --epochs keeping the best epoch in best.safetensors: each as an uninterrupted run with those options (12: never stops).
        foreach (string? patience in new[] { "3", null })
        {
            string whole = _dir.File("whole-" + (patience ?? "none")), resumed = _dir.File("resumed-" + (patience ?? "none"));
            Ok(Train(data, whole, [.. run, "--patience", patience ?? "12"]), "uninterrupted");
            CopyRun(stopped, resumed);
            var r = Train(data, resumed, [.. run, .. patience is null ? Array.Empty<string>() : ["--patience", patience],
                "--resume", Path.Combine(resumed, "checkpoint.safetensors")]);
            Ok(r, "resumed");
            Assert.Equal(Metrics(whole), Metrics(resumed));
            SameTensors(Path.Combine(whole, "best.safetensors"), Path.Combine(resumed, "best.safetensors"));
            string bestEpoch = Checkpoint.Load(Path.Combine(whole, "best.safetensors")).Metadata["epoch"];
            Assert.Equal(bestEpoch, Checkpoint.Load(Path.Combine(resumed, "checkpoint.safetensors")).Metadata["best_epoch"]);
            if (patience is null)
            {
                // The set-up: an epoch after the early stop beat the old best, so an out-of-date best.safetensors would show.
                Assert.True(int.Parse(bestEpoch, CultureInfo.InvariantCulture) > last, $"best epoch {bestEpoch}");
                Assert.Contains("no --patience instead of --patience 2 (best.safetensors goes on holding the best held-out epoch)",
                    r.Stderr, StringComparison.Ordinal);
                Assert.Contains($"Best held-out loss at epoch {bestEpoch}: ", r.Stdout, StringComparison.Ordinal);

                // That run had no --patience, so it did not stop early; a --patience it has already spent still ends it there.
                int idle = 12 - int.Parse(bestEpoch, CultureInfo.InvariantCulture);
                Assert.True(idle > 0, "the set-up needs a last epoch that is not the best");
                string ended = Path.Combine(resumed, "checkpoint.safetensors");
                var kept = Snapshot(resumed);
                var spent = Train(data, resumed, [.. run[..^1], "20", "--patience", $"{idle}", "--resume", ended]);
                Ok(spent, "a spent --patience");
                Assert.Contains($"Nothing to train: '{ended}' is at epoch 12, with no held-out improvement for {idle} " +
                    $"epoch{(idle == 1 ? "" : "s")} since epoch {bestEpoch}, where --patience {idle} stops; pass a --patience above {idle}",
                    spent.Stdout, StringComparison.Ordinal);
                Unchanged(kept, resumed, "a spent --patience");
            }
            else
                Assert.Contains($"the held-out loss has not improved for {patience} epoch(s); the best was ", r.Stdout,
                    StringComparison.Ordinal);
        }

        // Resumed into another folder, whose run never beats the checkpoint's best: the best epoch's file is not there.
        string elsewhere = _dir.File("elsewhere");
        var moved = Train(data, elsewhere, [.. run, "--patience", "3", "--resume", checkpoint]);
        Ok(moved, "elsewhere");
        Assert.Contains($"Best held-out loss at epoch {best}, before '{checkpoint}': no later epoch beat it, so '{elsewhere}' holds " +
            "no best.safetensors.", moved.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(elsewhere, "best.safetensors")));
    }
    [Fact]
    public void AWarmUpLongerThanTheWholeRunIsNamedOnce()
    {
        string data = Csv();
        // Batches per epoch from the training rows the split left (split.csv), 8 to a batch; 2 epochs.
        string probe = _dir.File("probe");
        Ok(Train(data, probe, [.. Model, "--epochs", "1"]), "probe");
        int rows = File.ReadAllLines(Path.Combine(probe, "split.csv")).Count(l => l.EndsWith(",train", StringComparison.Ordinal));
        int total = 2 * ((rows + 7) / 8);

        var longer = Train(data, _dir.File("longer"), [.. Model, "--epochs", "2", "--warmup", $"{total + 1}"]);
        Ok(longer, "longer");
        string warning = $"Warning: --warmup {total + 1} is longer than the whole run ({total} batches: 2 epochs of {total / 2}), so " +
            $"the learning rate never reaches --lr 0.001: the warm-up ends the run at {total}/{total + 1} of it.";
        Assert.Equal(1, longer.Stderr.Split('\n').Count(l => l == warning));

        // A warm-up that ends at the last batch reaches --lr there.
        var exact = Train(data, _dir.File("exact"), [.. Model, "--epochs", "2", "--warmup", $"{total}"]);
        Ok(exact, "exact");
        Assert.DoesNotContain("--warmup", exact.Stderr, StringComparison.Ordinal);
    }
}
