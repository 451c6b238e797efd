using System.Globalization;
using System.Text.Json;
using Xent.IO;
using Xent.Models;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// QA s16's findings on <c>--resume</c> and on checkpoints from elsewhere: a resumed run keeps its checkpoint's kind
/// (single-label or multi-label), its standardisation and the options that define its loss and schedule, and warns about the
/// options and the split that changed; a checkpoint given as a pipe is read once; a spec-less state dict gets every hidden
/// size and a message that names what it lacks; hand-damaged files get one line that names the fault. Tiny CSV files, one or
/// two epochs.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ResumeChecksTests : IDisposable
{
    private static readonly string[] Model = ["--batch-size", "8", "--model", "mlp", "--hidden", "8"];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>30 rows of numeric a, b and a label x/y/z that a follows; <paramref name="offset"/> shifts b (other rows).</summary>
    private string Csv(string name = "data.csv", int offset = 0)
    {
        string path = _dir.File(name);
        File.WriteAllLines(path, ["a,b,label", .. Enumerable.Range(0, 30).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"{i % 3 + 0.1 * (i % 7)},{i % 5 + offset},{"xyz"[i % 3]}"))]);
        return path;
    }

    private CliResult Train(string data, string outDir, params string[] extra) =>
        InProcessCli.Run(["train", "--data", data, "--out", outDir, .. Model, .. extra]);

    private string Trained(string data, string name, params string[] extra)
    {
        string outDir = _dir.File(name);
        var r = Train(data, outDir, ["--epochs", "1", .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return Path.Combine(outDir, "checkpoint.safetensors");
    }

    private static Dictionary<string, string> Metadata(string checkpoint) => Checkpoint.Load(checkpoint).Metadata;

    [Fact]
    public void ResumingAcrossTableAndArrayKeepsTheColumnNamesOrIsRefusedAsEvalRefusesIt()
    {
        // qa-s21-crash M3: a table model resumed on an array lost its column names (eval then refused the table it was trained
        // on), and an array model resumed on a table took the table's names unchecked, a pairing eval and predict refuse.
        string csv = Csv();
        string x = _dir.File("x.npy"), y = _dir.File("y.npy");
        Npy.Write(x, Enumerable.Range(0, 30).SelectMany(i => new[] { (float)(i % 3 + 0.1 * (i % 7)), i % 5 }).ToArray(), [30, 2]);
        Xent.Tests.Data.OwnDataFiles.NpyText(y, Enumerable.Range(0, 30).Select(i => "xyz"[i % 3].ToString()).ToArray());

        string table = Trained(csv, "table");
        var resumed = InProcessCli.Run(["train", "--resume", table, "--data", x, "--labels", y, "--epochs", "2"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        var eval = InProcessCli.Run("eval", "--checkpoint", table, "--data", csv, "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr); // the table it was trained on still fits it
        Assert.Equal(30, JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("total").GetInt64());

        string array = Trained(x, "array", "--labels", y);
        byte[] before = File.ReadAllBytes(array);
        var refused = InProcessCli.Run(["train", "--resume", array, "--data", csv, "--epochs", "2"]);
        CliAssert.OneLineError(refused, 2, $"cannot resume from '{array}': '{csv}' is a table, but the checkpoint records no names " +
            "for its 2 input features (it was trained on an array, not a table), so its columns cannot be matched to them;");
        Assert.Equal(before, File.ReadAllBytes(array));
    }

    [Fact]
    public void NumericClassesResumeOnAnotherSpellingOfTheSameValues()
    {
        // pandas writes 0.0, 5.0, 10.0; a later export of the same table writes 0, 5, 10: the same classes, as eval reads them.
        string floats = _dir.File("floats.csv"), ints = _dir.File("ints.csv");
        string Rows(string[] names) => string.Join("\n", Enumerable.Range(0, 30).Select(i => $"{i % 3 + 0.1 * (i % 4)},{names[i % 3]}"));
        File.WriteAllText(floats, "a,label\n" + Rows(["0.0", "5.0", "10.0"]) + "\n");
        File.WriteAllText(ints, "a,label\n" + Rows(["0", "5", "10"]) + "\n");
        string checkpoint = Trained(floats, "floats-run");
        string resumed = _dir.File("resumed");
        var r = Train(ints, resumed, "--epochs", "2", "--resume", checkpoint);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(Metadata(checkpoint)["spec.class_names"],
            Metadata(Path.Combine(resumed, "checkpoint.safetensors"))["spec.class_names"]);
    }

    [Fact]
    public void ACheckpointIsNotResumedOnDataOfTheOtherKindSingleOrMultiLabel()
    {
        // The same feature columns, and single labels named as the multi-label columns are: only the kind differs.
        string multi = _dir.File("multi.csv"), single = _dir.File("single.csv");
        File.WriteAllLines(multi, ["a,b,p,q", .. Enumerable.Range(0, 40).Select(i => $"{i % 5},{i % 7},{i % 2},{1 - i % 2}")]);
        File.WriteAllLines(single, ["a,b,label", .. Enumerable.Range(0, 40).Select(i => $"{i % 5},{i % 7},{"pq"[i % 2]}")]);
        string multiCkpt = Trained(multi, "multi-run", "--multi-label", "p,q");
        string singleCkpt = Trained(single, "single-run");

        var toSingle = Train(single, _dir.File("to-single"), "--epochs", "2", "--resume", multiCkpt);
        CliAssert.OneLineError(toSingle, 2, $"cannot resume from '{multiCkpt}': the checkpoint is a multi-label model (a sigmoid per " +
            $"label, BCEWithLogitsLoss), and '{single}' gives single-label classes");
        var toMulti = Train(multi, _dir.File("to-multi"), "--epochs", "2", "--multi-label", "p,q", "--resume", singleCkpt);
        CliAssert.OneLineError(toMulti, 2, $"the checkpoint is a single-label model (a softmax over its classes, cross-entropy), and " +
            $"'{multi}' gives multi-label data");
        Assert.False(Directory.Exists(_dir.File("to-single")));
        Assert.False(Directory.Exists(_dir.File("to-multi")));
    }

    [Fact]
    public void AResumeWithoutDataNamesTheDataTheCheckpointWasTrainedOn()
    {
        // qa-s21-seen M5: "the checkpoint's model takes inputs of shape (2), and '/usr/share/datasets/fashion-mnist' gives
        // (1, 28, 28)": --data left out is the default folder (the checkpoint's data is not carried over), which the user never named.
        string data = Csv(), multi = _dir.File("multi.csv");
        File.WriteAllLines(multi, ["a,b,p,q", .. Enumerable.Range(0, 40).Select(i => $"{i % 5},{i % 7},{i % 2},{1 - i % 2}")]);
        string single = Trained(data, "single"), labels = Trained(multi, "multi", "--multi-label", "p,q");
        foreach (var (checkpoint, trained, with) in new[] { (single, data, "--target label"), (labels, multi, "--multi-label p,q") })
        {
            var r = InProcessCli.Run("train", "--resume", checkpoint, "--epochs", "2", "--out", _dir.File("resumed"));
            CliAssert.OneLineError(r, 2, $"cannot resume from '{checkpoint}' without --data: it was trained on '{trained}', and --data " +
                $"left out reads the default '/usr/share/datasets/fashion-mnist'; pass its data again: --data '{trained}' {with}.");
            Assert.False(Directory.Exists(_dir.File("resumed")));
        }
        // What the message says to pass resumes it.
        var resumed = InProcessCli.Run(["train", "--resume", single, "--epochs", "2", "--out", _dir.File("resumed"), "--data", data,
            "--target", "label"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
    }

    [Fact]
    public void AResumeThroughALinkedFolderIsTheSameData()
    {
        if (OperatingSystem.IsWindows()) return; // symbolic links need a privilege there
        // qa-s18-env L9: the same file through a linked folder warned "the held-out set may not be the one the checkpoint's run
        // held out (--data '…/datalink/data.csv', not '…/data.csv')".
        string data = Csv();
        string first = Trained(data, "first");
        Directory.CreateSymbolicLink(_dir.File("datalink"), _dir.Path);
        var r = Train(Path.Combine(_dir.File("datalink"), "data.csv"), _dir.File("linked"), "--epochs", "2", "--resume", first);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("held-out set", r.Stderr, StringComparison.Ordinal);
        // A checkpoint from an earlier build recorded the path as typed, through the link: still the same data (qa-s19-c M4).
        var (tensors, metadata) = Checkpoint.Load(first);
        metadata["setting.data"] = Path.Combine(_dir.File("datalink"), "data.csv");
        Checkpoint.Save(first, tensors, metadata);
        var older = Train(Path.Combine(_dir.File("datalink"), "data.csv"), _dir.File("older"), "--epochs", "2", "--resume", first);
        Assert.True(older.ExitCode == 0, older.Stderr);
        Assert.DoesNotContain("held-out set", older.Stderr, StringComparison.Ordinal);
        // Other data is still told apart.
        File.Copy(data, _dir.File("copy.csv"));
        var other = Train(_dir.File("copy.csv"), _dir.File("other"), "--epochs", "2", "--resume", first);
        Assert.Contains($"(--data '{_dir.File("copy.csv")}', not '{Path.Combine(_dir.File("datalink"), "data.csv")}';", other.Stderr,
            StringComparison.Ordinal);
    }

    [Fact]
    public void AResumedRunKeepsTheCheckpointsStandardisationAndWarnsWhenItsHeldOutSetMayDiffer()
    {
        string data = Csv();
        string first = Trained(data, "first");
        var saved = Metadata(first);

        // The same options: the same split, no warning, and the statistics the first run computed.
        var same = Train(data, _dir.File("same"), "--epochs", "2", "--resume", first);
        Assert.True(same.ExitCode == 0, same.Stderr);
        Assert.DoesNotContain("held-out set", same.Stderr, StringComparison.Ordinal);

        // Another split: its training rows have other statistics, which must not replace the ones the weights were trained with.
        var split = Train(data, _dir.File("split"), "--epochs", "2", "--val-split", "0.3", "--resume", first);
        Assert.True(split.ExitCode == 0, split.Stderr);
        Assert.Contains($"Warning: the held-out set may not be the one the checkpoint's run held out (testing on 0.3 of {data} " +
            $"(split.csv), not 0.1 of {data} (split.csv); the training split's mean and std differ from the checkpoint's, so its rows " +
            "changed): samples the model trained on may now be tested on", split.Stderr, StringComparison.Ordinal);
        var seed = Train(data, _dir.File("seed"), "--epochs", "2", "--seed", "2", "--resume", first);
        Assert.Contains("(--seed 2, not 1, draws another split;", seed.Stderr, StringComparison.Ordinal);
        // The same file name with other rows: only the statistics tell.
        Csv(offset: 3);
        var rows = Train(data, _dir.File("rows"), "--epochs", "2", "--resume", first);
        Assert.Contains("(the training split's mean and std differ from the checkpoint's, so its rows changed)", rows.Stderr,
            StringComparison.Ordinal);

        foreach (string run in new[] { "same", "split", "seed", "rows" })
        {
            var resumed = Metadata(Path.Combine(_dir.File(run), "checkpoint.safetensors"));
            Assert.Equal("2", resumed["epoch"]);
            Assert.Equal(saved["spec.mean"], resumed["spec.mean"]);
            Assert.Equal(saved["spec.std"], resumed["spec.std"]);
        }
        // The first run's statistics are those of its own training rows (not, say, of every row), so the check above means something.
        Assert.NotEqual(saved["spec.mean"], Metadata(Trained(data, "fresh", "--val-split", "0.3"))["spec.mean"]);
    }

    [Fact]
    public void AResumedRunWhoseDataFileChangedSinceTheCheckpointSaysSoOnce()
    {
        string data = Csv(), test = Csv("test.csv", offset: 1);
        string tested = Trained(data, "tested", "--test-data", test), held = Trained(data, "held");
        // The same bytes: nothing to say.
        foreach (var (checkpoint, extra) in new[] { (tested, new[] { "--test-data", test }), (held, []) })
        {
            var same = Train(data, _dir.File("same" + extra.Length), ["--epochs", "2", "--resume", checkpoint, .. extra]);
            Assert.True(same.ExitCode == 0, same.Stderr);
            Assert.Equal("", same.Stderr);
        }

        // One label changed ('x' for 'y'), the length kept: the features' statistics are the same, so only the hash tells. With
        // --test-data the held-out set is that file, so the one warning is about the training.
        string[] lines = File.ReadAllLines(data);
        lines[4] = lines[4][..^1] + (lines[4][^1] == 'x' ? "y" : "x");
        File.WriteAllLines(data, lines);
        string changed = $"Warning: the contents of '{data}' differ from the data the checkpoint's run trained on (its SHA-256 is not " +
            "the one the checkpoint recorded), so the resumed run does not continue the same training";
        const string Standardised = "The inputs are standardised with the checkpoint's mean and std, as the model was trained.";
        var label = Train(data, _dir.File("label"), "--epochs", "2", "--resume", tested, "--test-data", test);
        Assert.True(label.ExitCode == 0, label.Stderr);
        Assert.Equal($"{changed}. {Standardised}{Environment.NewLine}", label.Stderr);

        // Other rows (b shifted): the statistics differ too. Still one warning: with --test-data the changed statistics are the
        // changed bytes'; with a split, whose held-out rows may now be others, it says that as well.
        Csv(offset: 3);
        var rows = Train(data, _dir.File("rows"), "--epochs", "2", "--resume", tested, "--test-data", test);
        Assert.True(rows.ExitCode == 0, rows.Stderr);
        Assert.Equal($"{changed}. {Standardised}{Environment.NewLine}", rows.Stderr);
        var split = Train(data, _dir.File("split"), "--epochs", "2", "--resume", held);
        Assert.True(split.ExitCode == 0, split.Stderr);
        Assert.Equal($"{changed}; and the held-out set may not be the one the checkpoint's run held out (the training split's mean " +
            "and std differ from the checkpoint's, so its rows changed): samples the model trained on may now be tested on, so the " +
            $"test accuracy can be optimistic. {Standardised}{Environment.NewLine}", split.Stderr);

        // A checkpoint without the fingerprint (an older xent) is not compared on it: as before, only the statistics tell.
        var (tensors, metadata) = Checkpoint.Load(tested);
        metadata.Remove("setting.data_bytes");
        Assert.True(metadata.Remove("setting.data_sha256"));
        Checkpoint.Save(tested, tensors, metadata);
        var older = Train(data, _dir.File("older"), "--epochs", "2", "--resume", tested, "--test-data", test);
        Assert.True(older.ExitCode == 0, older.Stderr);
        Assert.DoesNotContain("contents of", older.Stderr, StringComparison.Ordinal);
        Assert.Contains("(the training split's mean and std differ from the checkpoint's, so its rows changed)", older.Stderr,
            StringComparison.Ordinal);
    }

    [Fact]
    public void ResumingRefusesOptionsThatChangeTheLossInputsOrScheduleAndWarnsAboutTheOthers()
    {
        string data = Csv();
        string first = Trained(data, "first");
        // Each message quotes the option as given, and the checkpoint's value that leaving it out would take (QA s17 M2).
        (string[] Options, string Expected)[] refused =
        [
            (["--label-smoothing", "0.1"], "was trained with --label-smoothing 0, not 0.1; a resumed run goes on minimising the loss " +
                "its checkpoint was trained with: pass --label-smoothing 0 or leave it out, or leave out --resume"),
            (["--loss", "focal"], "was trained with --loss cross-entropy, not focal;"),
            (["--class-weights", "inverse-frequency"], "was trained with --class-weights none, not inverse-frequency;"),
            (["--lr-schedule", "cosine", "--warmup", "3"], "was trained with --lr-schedule none, not cosine; a resumed run goes on " +
                "with its checkpoint's learning-rate schedule"),
            (["--warmup", "3"], "was trained with --warmup 0, not 3; a resumed run goes on with its checkpoint's learning-rate " +
                "schedule: pass --warmup 0 or leave it out, or leave out --resume"),
            (["--missing", "mean"], "was trained with --missing error, not mean; a resumed model takes its inputs as it was trained to"),
        ];
        foreach (var (options, expected) in refused)
        {
            string outDir = _dir.File("refused");
            CliAssert.OneLineError(Train(data, outDir, ["--epochs", "2", "--resume", first, .. options]), 2,
                $"checkpoint '{first}' {expected}", string.Join(' ', options));
            Assert.False(Directory.Exists(outDir));
        }

        var warned = Train(data, _dir.File("warned"), "--epochs", "2", "--patience", "3", "--clip-grad-norm", "1", "--resume", first);
        Assert.True(warned.ExitCode == 0, warned.Stderr);
        Assert.Contains("Warning: resumed with options that differ from the checkpoint's run: --patience 3 instead of no --patience, " +
            "--clip-grad-norm 1 instead of no --clip-grad-norm. The model and its loss are as they were", warned.Stderr,
            StringComparison.Ordinal);
        Assert.Equal("3", Metadata(Path.Combine(_dir.File("warned"), "checkpoint.safetensors"))["setting.patience"]);

        // Training changes the logits a calibrated temperature was fitted to: it is dropped, and the run says so.
        string calibrated = _dir.File("calibrated.safetensors");
        Assert.Equal(0, InProcessCli.Run("calibrate", "--checkpoint", first, "--data", data, "--out", calibrated).ExitCode);
        var fromCalibrated = Train(data, _dir.File("from-calibrated"), "--epochs", "2", "--resume", calibrated);
        Assert.Contains($"note: the checkpoint's temperature {Metadata(calibrated)["spec.temperature"]} (xent calibrate) is not " +
            "carried over", fromCalibrated.Stderr, StringComparison.Ordinal);
        Assert.Equal("1", Metadata(Path.Combine(_dir.File("from-calibrated"), "checkpoint.safetensors"))["spec.temperature"]);

        // A cosine schedule spans --epochs; a resumed run without --lr records the base rate it goes on with, not the default.
        string cosine = Trained(data, "cosine", "--lr", "0.01", "--lr-schedule", "cosine");
        var longer = Train(data, _dir.File("longer"), "--epochs", "2", "--lr-schedule", "cosine", "--resume", cosine);
        Assert.True(longer.ExitCode == 0, longer.Stderr);
        Assert.Contains("--epochs 2 instead of 1 (the cosine schedule now spans 2 epochs, so the learning rate jumps where the run " +
            "resumes)", longer.Stderr, StringComparison.Ordinal);
        Assert.Equal("0.01", Metadata(Path.Combine(_dir.File("longer"), "checkpoint.safetensors"))["setting.lr"]);
    }

    [Fact]
    public void ACheckpointGivenAsAPipeIsReadOnce()
    {
        string data = Csv();
        string first = Trained(data, "first");
        byte[] bytes = File.ReadAllBytes(first);
        CliResult Piped(params string[] args)
        {
            using var process = CliRunner.Start(args, _dir.Path, redirectStandardInput: true);
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using (var stdin = process.StandardInput.BaseStream) stdin.Write(bytes);
            Assert.True(process.WaitForExit(120_000), "xent did not finish");
            process.WaitForExit();
            return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
        }

        var eval = Piped("eval", "--checkpoint", "/dev/stdin", "--data", data, "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Equal(30, JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("total").GetInt32());
        var resumed = Piped(["train", "--data", data, "--out", _dir.File("piped"), .. Model, "--epochs", "2", "--resume", "/dev/stdin"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal("2", Metadata(Path.Combine(_dir.File("piped"), "checkpoint.safetensors"))["epoch"]);
    }

    [Fact]
    public void ASpecLessMlpGetsEveryHiddenSizeAndAStateDictOfNoModelSaysWhatEachModelStartsWith()
    {
        // PyTorch's 784 -> 16 -> 8 -> 10 MLP saved without metadata: zero weights, so the probabilities are softmax(fc3.bias).
        var bias = Enumerable.Range(0, 10).Select(j => 0.1f * j).ToArray();
        string mlp = _dir.File("mlp3.safetensors");
        Checkpoint.Save(mlp, new Dictionary<string, Tensor>
        {
            ["fc1.weight"] = Tensor.Zeros(16, 784), ["fc1.bias"] = Tensor.Zeros(16), ["fc2.weight"] = Tensor.Zeros(8, 16),
            ["fc2.bias"] = Tensor.Zeros(8), ["fc3.weight"] = Tensor.Zeros(10, 8), ["fc3.bias"] = Tensor.FromArray(bias),
        });
        string input = _dir.File("x.npy");
        Npy.Write(input, new float[2 * 784], [2, 1, 28, 28]);
        var r = InProcessCli.Run("predict", "--checkpoint", mlp, "--input", input, "--json", "--top-k", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        double expected = Math.Exp(0.9) / bias.Sum(b => Math.Exp(b));
        foreach (string line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var top = JsonDocument.Parse(line).RootElement.GetProperty("top")[0];
            Assert.Equal("9", top.GetProperty("class").GetString());
            Assert.Equal(expected, top.GetProperty("probability").GetDouble(), 6);
        }

        string prefixed = _dir.File("prefixed.safetensors");
        Checkpoint.Save(prefixed, new Dictionary<string, Tensor> { ["model.fc1.weight"] = Tensor.Zeros(16, 784) });
        CliAssert.OneLineError(InProcessCli.Run("predict", "--checkpoint", prefixed, "--input", input), 2,
            $"'{prefixed}' has no model spec, and its tensor names (model.fc1.weight) match no model: xent's models start with " +
            "conv1.weight (cnn), linear.weight (linear) or fc1.weight (mlp)");

        // The tutorial's CNN with conv1.weight renamed still has fc1.weight, so it is taken for an mlp: say what it is close to.
        var cnn = new MnistCnn(new Generator(0)).StateDict().ToDictionary(kv => kv.Key == "conv1.weight" ? "conv_1.weight" : kv.Key,
            kv => kv.Value);
        string renamed = _dir.File("renamed.safetensors");
        Checkpoint.Save(renamed, cnn);
        CliAssert.OneLineError(InProcessCli.Run("predict", "--checkpoint", renamed, "--input", input), 2,
            "Its tensor names are mostly the cnn model's, which also has conv1.weight: a renamed or missing tensor?");
    }

    [Fact]
    public void HandDamagedCheckpointsGetOneLineThatNamesTheFault()
    {
        string data = Csv();
        string first = Trained(data, "first");
        var (tensors, metadata) = Checkpoint.Load(first);

        // An image spec whose shape overflows an int: it was an OverflowException's "Arithmetic operation resulted in an overflow."
        string huge = _dir.File("huge.safetensors");
        Checkpoint.Save(huge, tensors, new Dictionary<string, string>(metadata)
        {
            ["spec.input_kind"] = "image", ["spec.input_shape"] = "2,100000,100000", ["spec.mean"] = "0,0", ["spec.std"] = "1,1",
        });
        CliAssert.OneLineError(InProcessCli.Run("eval", "--checkpoint", huge, "--data", data), 2,
            "model spec: input shape (2, 100000, 100000) (spec.input_shape) has more values per sample than a tensor holds");

        // Adam's bias correction divides by 1 - beta^step: a negative or fractional step is damage, not a run to go on with.
        foreach (var (name, step, shown) in new[]
            { ("negative", Tensor.Scalar(-5L), "-5"), ("fractional", Tensor.Scalar(2.5f), "2.5") })
        {
            string damaged = _dir.File(name + ".safetensors");
            Checkpoint.Save(damaged, new Dictionary<string, Tensor>(tensors) { ["optimizer.state.0.step"] = step }, metadata);
            CliAssert.OneLineError(Train(data, _dir.File("resumed-" + name), "--epochs", "2", "--resume", damaged), 2,
                $"\"state.0.step\" must be a whole number of steps >= 0, got {shown}.", name);
        }
    }
}
