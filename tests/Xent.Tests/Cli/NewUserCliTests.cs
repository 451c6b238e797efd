using System.Globalization;
using Xent.IO;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// Rough edges a new user meets with their own files: each is one <c>error:</c> line and exit code 2 (or a clean run), and a
/// refused command leaves no run folder behind. Run in-process (<see cref="InProcessCli"/>) on tiny hand-written files.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class NewUserCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A 12-row CSV with numeric a, b and a string label (x when a is small), then <paramref name="tail"/> verbatim.</summary>
    private string Csv(string name, string? replaceB1 = null, string tail = "")
    {
        var lines = new List<string> { "a,b,label" };
        for (int i = 0; i < 12; i++)
        {
            string b = i == 1 && replaceB1 is not null ? replaceB1 : (i % 5).ToString(System.Globalization.CultureInfo.InvariantCulture);
            lines.Add($"{i},{b},{(i < 6 ? "x" : "y")}");
        }
        string path = _dir.File(name);
        File.WriteAllText(path, string.Join('\n', lines) + "\n" + tail);
        return path;
    }

    private CliResult Train(string data, string outDir, params string[] extra) =>
        InProcessCli.Run(["train", "--data", data, "--out", outDir, "--epochs", "1", "--batch-size", "4", "--model", "linear", .. extra]);

    /// <summary>A CSV of <see cref="Csv"/>'s 12 rows with another header, each row's cells made from its a, b and label.</summary>
    private string Table(string name, string header, Func<int, int, string, string> row)
    {
        string path = _dir.File(name);
        File.WriteAllLines(path, [header, .. Enumerable.Range(0, 12).Select(i => row(i, i % 5, i < 6 ? "x" : "y"))]);
        return path;
    }

    /// <summary>
    /// A 25,600-row CSV outside the working folders, and train options under which its epoch of 400 batches takes several seconds
    /// on one thread: a signal sent after the first log line (batch 100) comes long before the epoch ends, even when a loaded
    /// machine delays it by a second or more (with 1024-wide layers, one full-suite run saw the epoch end first). A signal that
    /// arrives in time ends the process at once, so the width costs the passing test nothing.
    /// </summary>
    private string[] SlowEpochs()
    {
        string data = _dir.File("big.csv");
        File.WriteAllLines(data, ["a,b,label", .. Enumerable.Range(0, 25_600).Select(i => $"{i % 12},{i % 5},{(i % 12 < 6 ? "x" : "y")}")]);
        return ["--data", data, "--batch-size", "64", "--model", "mlp", "--hidden", "2048,2048", "--threads", "1"];
    }

    /// <summary>
    /// Runs <c>xent <paramref name="args"/></c> as a process, sends it <paramref name="signal"/> (kill -INT, -TERM) once a stdout
    /// line starts with <paramref name="linePrefix"/>, and returns its exit code and its last stderr line.
    /// </summary>
    private static async Task<(int ExitCode, string LastError)> SignalAfter(string[] args, string linePrefix, string signal,
        string? workingDirectory = null)
    {
        using var process = CliRunner.Start(args, workingDirectory);
        var stderr = process.StandardError.ReadToEndAsync();
        string? line;
        while ((line = await process.StandardOutput.ReadLineAsync()) is not null
            && !line.StartsWith(linePrefix, StringComparison.Ordinal)) { }
        Assert.NotNull(line);
        using (var kill = System.Diagnostics.Process.Start("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        await stdout;
        return (process.ExitCode, (await stderr).TrimEnd().Split('\n')[^1]);
    }

    [Fact]
    public void ResumingOnDataThatDoesNotFitTheCheckpointNamesTheColumnOrTheClassesAndLeavesTheRunAlone()
    {
        string outDir = _dir.File("run");
        Assert.Equal(0, Train(Csv("ok.csv"), outDir).ExitCode);
        string ckpt = Path.Combine(outDir, "checkpoint.safetensors");
        byte[] before = File.ReadAllBytes(ckpt);
        string other = _dir.File("other");
        (string Data, string Expected)[] cases =
        [
            (Table("no-b.csv", "a,label", (i, _, l) => $"{i},{l}"), "lacks column 'b', which the checkpoint was trained on."),
            // Same shape: loading would succeed and feed each weight the other column.
            (Table("swapped.csv", "b,a,label", (i, b, l) => $"{b},{i},{l}"),
                "has the checkpoint's columns in another order; the checkpoint was trained on a, b, in that order."),
            (Table("more.csv", "a,b,c,label", (i, b, l) => $"{i},{b},1,{l}"), "has column 'c', which the checkpoint was not trained on"),
            (Table("classes.csv", "a,b,label", (i, b, l) => $"{i},{b},{(l == "x" ? "x" : "z")}"),
                "the checkpoint was trained on the classes 'x', 'y', and '"),
        ];
        foreach (var (data, expected) in cases)
        {
            foreach (string dir in new[] { outDir, other })
            {
                var r = Resume(data, dir, ckpt);
                CliAssert.OneLineError(r, 2, $"cannot resume from '{ckpt}': ", data);
                Assert.Contains(expected, r.Stderr, StringComparison.Ordinal);
            }
            Assert.Equal(before, File.ReadAllBytes(ckpt));
            Assert.False(Directory.Exists(other));
        }
        // The same columns and classes resume.
        Assert.Equal(0, Resume(Csv("ok.csv"), outDir, ckpt).ExitCode);
    }

    private static CliResult Resume(string data, string outDir, string checkpoint) => InProcessCli.Run(["train", "--data", data,
        "--out", outDir, "--epochs", "2", "--batch-size", "4", "--model", "linear", "--resume", checkpoint]);

    [Theory]
    [InlineData("1e40")] // beyond float32: parses to infinity
    [InlineData("-Infinity")]
    [InlineData("inf")] // as numpy and pandas write it
    [InlineData("-INF")]
    public void ANonFiniteNumberInACsvIsOneLineNamingTheCellNotACrashOrANaNLoss(string cell)
    {
        string outDir = _dir.File("run");
        var r = Train(Csv("nonfinite.csv", replaceB1: cell), outDir);
        // Data row 1 (the second) is line 3: the header is line 1.
        CliAssert.OneLineError(r, 2, $"column 'b' holds '{cell}' on line 3 of '", cell);
        Assert.Contains("not a finite float32 number", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    [Theory]
    [InlineData("nan")] // as numpy writes a missing value
    [InlineData("NaN")]
    [InlineData("NA")] // as R does
    [InlineData("?")] // as the UCI repository's files do
    public void AMissingValueMarkerInANumericCsvColumnIsRefusedWithoutMissingMean(string cell)
    {
        string outDir = _dir.File("run");
        var r = Train(Csv("marker.csv", replaceB1: cell), outDir);
        CliAssert.OneLineError(r, 2, $"column 'b' holds '{cell}' on line 3 of '");
        Assert.Contains("(1 missing-value cell(s) in this column); pass --missing mean", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void NaNInATextColumnIsStillACategory()
    {
        // 'NaN' parses as a number, but 'red' and 'blue' make the column text: three categories, one-hot encoded.
        string path = _dir.File("colors.csv");
        string[] colors = ["NaN", "red", "blue"];
        File.WriteAllLines(path, ["a,color,label", .. Enumerable.Range(0, 12).Select(i => $"{i},{colors[i % 3]},{(i < 6 ? "x" : "y")}")]);
        string outDir = _dir.File("run");
        var r = Train(path, outDir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var spec = Xent.Training.ModelSpec.FromMetadata(Checkpoint.Load(Path.Combine(outDir, "checkpoint.safetensors")).Metadata)!;
        Assert.Equal(["a", "color=NaN", "color=blue", "color=red"], spec.FeatureNames!);
    }

    [Fact]
    public void PredictNamesANaNCellToo()
    {
        string outDir = _dir.File("run");
        Assert.Equal(0, Train(Csv("ok.csv"), outDir).ExitCode);
        var r = InProcessCli.Run("predict", "--checkpoint", Path.Combine(outDir, "checkpoint.safetensors"), "--input",
            Csv("new.csv", replaceB1: "nan"));
        CliAssert.OneLineError(r, 2, "column 'b' holds 'nan' on line 3 of '");
    }

    [Fact]
    public void ATextColumnWithTooManyValuesNamesTheFirstTextCellAndItsLine()
    {
        // b: 13 distinct values in 12 rows ('oops' among the numbers), more than half the rows.
        string path = _dir.File("text.csv");
        File.WriteAllLines(path, ["a,b,label", .. Enumerable.Range(0, 12).Select(i => $"{i},{(i == 4 ? "oops" : i * 10)},{i % 2}")]);
        var r = Train(path, _dir.File("run"));
        CliAssert.OneLineError(r, 2, "column 'b' is not numeric ('oops' on line 6 of '");
        Assert.Contains("at most 20, and at most half the rows", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\n\n\n")]
    [InlineData("\r\n")]
    public void BlankLinesAtTheEndOfACsvAreNotRows(string tail)
    {
        string outDir = _dir.File("run");
        var r = Train(Csv("trailing.csv", tail: tail), outDir, "--val-split", "0.25");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // 12 rows, not 13+: DATA.md's split holds out round(6 · 0.25) = 2 of each class of 6.
        Assert.Contains("(4 of 12 samples", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ABlankLineBetweenRowsIsOneLineNamingIt()
    {
        string path = _dir.File("mid.csv");
        File.WriteAllText(path, "a,b,label\n1,2,x\n\n3,4,y\n5,6,x\n7,8,y\n");
        CliAssert.OneLineError(Train(path, _dir.File("run")), 2, "has a blank line (line 3) between rows");
    }

    [Theory]
    [InlineData("1,2\n", 2)]
    [InlineData("1,2,x,9\n", 4)]
    public void ARaggedRowIsOneLineWithItsLineAndCellCount(string row, int cells)
    {
        string path = _dir.File("ragged.csv");
        File.WriteAllText(path, "a,b,label\n0,1,x\n2,3,y\n" + row + "4,5,x\n6,7,y\n");
        CliAssert.OneLineError(Train(path, _dir.File("run")), 2,
            $"'{path}' line 4 has {cells} cell(s), but the header has 3; every row needs one cell per column.");
    }

    [Theory]
    [InlineData("the cnn model takes images", "--model", "cnn")]
    [InlineData("Only sgd takes a momentum; adam was given 0.9.", "--optimizer", "adam", "--momentum", "0.9")]
    [InlineData("--loss bce-with-logits does not fit single-label data", "--loss", "bce-with-logits")]
    public void ARefusalFoundAfterLoadingTheDataLeavesNoRunFolder(string expected, params string[] extra)
    {
        string outDir = _dir.File("run");
        var r = InProcessCli.Run(["train", "--data", Csv("ok.csv"), "--out", outDir, "--epochs", "1", .. extra]);
        CliAssert.OneLineError(r, 2, expected, string.Join(' ', extra));
        Assert.DoesNotContain("(Parameter", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir), "a refused command must not create --out (nor write split.csv into it)");
    }

    [Fact]
    public void ResumingACheckpointOfAnotherShapeLeavesNoRunFolder()
    {
        string first = _dir.File("first");
        Assert.Equal(0, Train(Csv("ok.csv"), first).ExitCode);
        // Three features instead of two: the linear model's weight no longer fits.
        string wider = _dir.File("wider.csv");
        File.WriteAllLines(wider, ["a,b,c,label", .. Enumerable.Range(0, 12).Select(i => $"{i},{i % 5},{i % 3},{(i < 6 ? "x" : "y")}")]);
        string outDir = _dir.File("second");
        var r = InProcessCli.Run("train", "--data", wider, "--out", outDir, "--epochs", "2", "--batch-size", "4", "--model", "linear",
            "--resume", Path.Combine(first, "checkpoint.safetensors"));
        CliAssert.OneLineError(r, 2, "cannot resume from '");
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void ResumingAFinishedRunIntoAnotherOutWritesNothing()
    {
        string first = _dir.File("first");
        string data = Csv("ok.csv");
        Assert.Equal(0, Train(data, first).ExitCode);
        string outDir = _dir.File("second");
        var r = InProcessCli.Run("train", "--data", data, "--out", outDir, "--epochs", "1", "--batch-size", "4", "--model", "linear",
            "--resume", Path.Combine(first, "checkpoint.safetensors"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Nothing to train", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("pass --epochs above 1", r.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir), "a run folder with metrics.csv and split.csv but no checkpoint was left behind");
    }

    [Theory]
    [InlineData("--labels", "y.npy", "--labels applies to a .npy --data only, and '{0}' is a CSV/TSV file; leave it out.")]
    [InlineData("--image-size", "32", "--image-size applies to image class folders only, and '{0}' is a CSV/TSV file")]
    public void AnOptionThatACsvDoesNotReadIsRefusedNotIgnored(string option, string value, string expected)
    {
        string csv = Csv("ok.csv");
        string outDir = _dir.File("run");
        CliAssert.OneLineError(Train(csv, outDir, option, value), 2, string.Format(null, expected, csv));
        Assert.False(Directory.Exists(outDir));
    }

    [Theory]
    [InlineData("--target", "label", "--target applies to a CSV/TSV --data only, and '{0}' is a .npy file")]
    [InlineData("--features", "a", "--features applies to a CSV/TSV --data only")]
    [InlineData("--missing", "mean", "--missing mean applies to a CSV/TSV --data only")]
    public void AnOptionThatANpyPairDoesNotReadIsRefusedNotIgnored(string option, string value, string expected)
    {
        string x = _dir.File("x.npy"), y = _dir.File("y.npy");
        Npy.Write(x, Enumerable.Range(0, 24).Select(i => (float)i).ToArray(), [12, 2]);
        Npy.Write(y, Enumerable.Range(0, 12).Select(i => (long)(i % 2)).ToArray(), [12]);
        CliAssert.OneLineError(Train(x, _dir.File("run"), "--labels", y, option, value), 2, string.Format(null, expected, x));
    }

    [Fact]
    public void EvalRefusesLabelsForACsv()
    {
        string outDir = _dir.File("run");
        string csv = Csv("ok.csv");
        Assert.Equal(0, Train(csv, outDir).ExitCode);
        var r = InProcessCli.Run("eval", "--checkpoint", Path.Combine(outDir, "checkpoint.safetensors"), "--data", csv,
            "--labels", "y.npy");
        CliAssert.OneLineError(r, 2, $"--labels applies to a .npy --data only, and '{csv}' is a CSV/TSV file");
    }

    [Fact]
    public void TheOnnxFileExportWroteIsNamedAsSuchWhenGivenAsACheckpoint()
    {
        string outDir = _dir.File("run");
        string csv = Csv("ok.csv");
        Assert.Equal(0, Train(csv, outDir).ExitCode);
        string onnx = _dir.File("model.onnx");
        Assert.Equal(0, InProcessCli.Run("export", "--checkpoint", Path.Combine(outDir, "checkpoint.safetensors"), "--out", onnx).ExitCode);
        foreach (var args in new[]
        {
            new[] { "predict", "--checkpoint", onnx, "--input", csv }, ["eval", "--checkpoint", onnx, "--data", csv],
            ["train", "--data", csv, "--resume", onnx, "--out", _dir.File("resumed")],
        })
        {
            var r = InProcessCli.Run(args);
            CliAssert.OneLineError(r, 2, $"'{onnx}' is an ONNX model", args[0]);
            Assert.Contains("the .safetensors checkpoint it was exported from", r.Stderr, StringComparison.Ordinal);
        }
        Assert.False(Directory.Exists(_dir.File("resumed")));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 3, 4, 0, 0, 0, 0, 0, 0 })] // torch.save since PyTorch 1.6: a zip archive
    [InlineData(new byte[] { 0x80, 2, (byte)'}', (byte)'q', 0, (byte)'.' })] // before: a bare pickle, protocol 2
    public void APyTorchPickleGivenAsACheckpointSaysToSaveWithSafetensors(byte[] head)
    {
        string pt = _dir.File("model.pt");
        File.WriteAllBytes(pt, head);
        var r = InProcessCli.Run("eval", "--checkpoint", pt, "--data", Csv("ok.csv"));
        CliAssert.OneLineError(r, 2, $"'{pt}' looks like a PyTorch torch.save file");
        Assert.Contains("safetensors.torch.save_file", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ScikitLearnsCountsLineAsAHeaderIsWarnedAbout()
    {
        // scikit-learn's iris.csv format: a first line of (rows, features, class names), as many cells as a row has.
        string path = _dir.File("iris-raw.csv");
        File.WriteAllLines(path, ["12,4,setosa,versicolor,virginica",
            .. Enumerable.Range(0, 12).Select(i => $"{i}.5,3.{i},1.4,0.2,{i % 3}")]);
        var r = Train(path, _dir.File("run"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"Warning: column names 12, 4 of '{path}' are numbers", r.Stderr, StringComparison.Ordinal);

        // Its wine and breast cancer files have fewer header cells than row cells: the ragged-row error says why.
        string wine = _dir.File("wine-raw.csv");
        File.WriteAllLines(wine, ["2,5,class_0,class_1,class_2", "1,2,3,4,5,0", "6,7,8,9,1,1"]);
        CliAssert.OneLineError(Train(wine, _dir.File("run2")), 2,
            "line 2 has 6 cell(s), but the header has 5; every row needs one cell per column. Its first line is read as the header but " +
            "holds numbers (2, 5)");
    }

    [Fact]
    public void AProperHeaderGetsNoWarning()
    {
        var r = Train(Csv("ok.csv"), _dir.File("run"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("are numbers", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void PredictOutWritesACsvWithEveryClassProbability()
    {
        // A class name with a comma and quotes (x, "small"), to be quoted with its quotes doubled as RFC 4180 says.
        string path = _dir.File("quoted.csv");
        const string small = "\"x, \"\"small\"\"\""; // the cell, quoted in the data file as in the predictions
        File.WriteAllLines(path, ["a,b,label", .. Enumerable.Range(0, 12).Select(i => $"{i},{i % 5},{(i < 6 ? small : "y")}")]);
        string outDir = _dir.File("run");
        Assert.Equal(0, Train(path, outDir).ExitCode);
        string predictions = Path.Combine(_dir.Path, "out", "sub", "predictions.csv");
        var r = InProcessCli.Run("predict", "--checkpoint", Path.Combine(outDir, "checkpoint.safetensors"), "--input", path,
            "--out", predictions);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal($"Wrote 12 prediction(s) to {predictions}", r.Stdout.Trim());
        var lines = File.ReadAllLines(predictions);
        Assert.Equal("input,class,probability,\"p(x, \"\"small\"\")\",p(y)", lines[0]);
        // The same predictions --json prints (its class names unquoted, its probabilities round-tripped as well).
        var json = InProcessCli.Run("predict", "--checkpoint", Path.Combine(outDir, "checkpoint.safetensors"), "--input", path, "--json")
            .Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .ToArray();
        Assert.Equal(12, json.Length);
        Assert.Equal(13, lines.Length);
        for (int i = 0; i < 12; i++)
        {
            // input, class (maybe quoted), probability, p(x, "small"), p(y): split off the quoted class name first.
            string line = lines[i + 1];
            Assert.StartsWith($"{i},", line, StringComparison.Ordinal);
            bool first = line.Contains(small + ",", StringComparison.Ordinal);
            var numbers = line[(line.LastIndexOf(first ? '"' : 'y') + 2)..].Split(',')
                .Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(3, numbers.Length);
            Assert.Equal(1.0, numbers[1] + numbers[2], 12);
            Assert.Equal(Math.Max(numbers[1], numbers[2]), numbers[0]);
            Assert.Equal(first, numbers[1] >= numbers[2]);
            Assert.Equal(first ? "x, \"small\"" : "y", json[i].GetProperty("class").GetString());
            Assert.Equal(json[i].GetProperty("probability").GetDouble(), numbers[0]);
        }
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(predictions)!, "*.tmp-*"));
    }

    [Fact]
    public void PredictOutRefusesAFolderJsonAndTopK()
    {
        string outDir = _dir.File("run");
        string csv = Csv("ok.csv");
        Assert.Equal(0, Train(csv, outDir).ExitCode);
        string ckpt = Path.Combine(outDir, "checkpoint.safetensors");
        CliAssert.OneLineError(InProcessCli.Run("predict", "--checkpoint", ckpt, "--input", csv, "--out", _dir.Path), 2, "is a folder");
        CliAssert.OneLineError(InProcessCli.Run("predict", "--checkpoint", ckpt, "--input", csv, "--out", _dir.File("p.csv"), "--json"), 2,
            "pass one of them");
        // --top-k would be silently ignored: the CSV holds every class's probability.
        CliAssert.OneLineError(
            InProcessCli.Run("predict", "--checkpoint", ckpt, "--input", csv, "--out", _dir.File("p.csv"), "--top-k", "2"), 2,
            "--out writes every class's probability");
        Assert.False(File.Exists(_dir.File("p.csv")));
        // Predictions written over the model or the inputs would lose them: refused, both files untouched (also through another
        // spelling of the same path).
        byte[] model = File.ReadAllBytes(ckpt), inputs = File.ReadAllBytes(csv);
        string sameCkpt = Path.Combine(outDir, ".", "checkpoint.safetensors");
        CliAssert.OneLineError(InProcessCli.Run("predict", "--checkpoint", ckpt, "--input", csv, "--out", sameCkpt), 2,
            $"--out '{sameCkpt}' is the --checkpoint file");
        CliAssert.OneLineError(InProcessCli.Run("predict", "--checkpoint", ckpt, "--input", csv, "--out", csv), 2,
            $"--out '{csv}' is the --input file");
        Assert.Equal(model, File.ReadAllBytes(ckpt));
        Assert.Equal(inputs, File.ReadAllBytes(csv));
    }

    [Theory]
    [InlineData(double.PositiveInfinity)]
    [InlineData(1e300)] // finite in float64, infinite once converted to float32
    public void AnInfiniteNpyFeatureIsOneLineNamingTheSampleForTrainAndPredict(double value)
    {
        string x = _dir.File("x.npy"), y = _dir.File("y.npy");
        var features = Enumerable.Range(0, 24).Select(i => (double)i).ToArray();
        features[7] = value; // sample 3 (two features per sample), flat index 7
        Npy.Write(x, features, [12, 2]);
        Npy.Write(y, Enumerable.Range(0, 12).Select(i => (long)(i % 2)).ToArray(), [12]);
        string expected = $"'{x}' holds an infinite value (or one beyond float32's range) in sample 3, at flat index 7";
        CliAssert.OneLineError(Train(x, _dir.File("bad"), "--labels", y), 2, expected);

        string good = _dir.File("good.npy");
        Npy.Write(good, Enumerable.Range(0, 24).Select(i => (float)i).ToArray(), [12, 2]);
        string outDir = _dir.File("run");
        Assert.Equal(0, Train(good, outDir, "--labels", y).ExitCode);
        // Before: NaN probabilities in the table, and --json stopped with a JSON serializer error after printing three lines.
        var r = InProcessCli.Run("predict", "--checkpoint", Path.Combine(outDir, "checkpoint.safetensors"), "--input", x, "--json");
        CliAssert.OneLineError(r, 2, expected);
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData("INT", 130)] // Ctrl-C
    [InlineData("TERM", 143)]
    public async Task AnInterruptedRunSaysHowToResumeAndItsCheckpointResumes(string signal, int exitCode)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // POSIX signals
        string data = Csv("ok.csv");
        string outDir = _dir.File("run");
        string ckpt = Path.Combine(outDir, "checkpoint.safetensors");
        // Epochs of 12 rows take milliseconds: the run is signalled once its first epoch is done, long before its end.
        var (code, last) = await SignalAfter(["train", "--data", data, "--out", outDir, "--epochs", "1000000", "--batch-size", "4",
            "--model", "linear"], "Epoch 1 done", signal);
        Assert.Equal(exitCode, code);
        Assert.Equal($"error: interrupted; the last finished epoch's checkpoint is kept: continue with --resume {ckpt} (and the same " +
            "options).", last);

        // The checkpoint it points at is whole: resuming from it into the same --out trains on.
        int epoch = int.Parse(Checkpoint.Load(ckpt).Metadata["epoch"], CultureInfo.InvariantCulture);
        string epochs = (epoch + 1).ToString(CultureInfo.InvariantCulture);
        var resumed = InProcessCli.Run("train", "--data", data, "--out", outDir, "--epochs", epochs, "--batch-size", "4",
            "--model", "linear", "--resume", ckpt);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains($"Resuming from '{ckpt}' at epoch {epoch + 1}.", resumed.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AResumedRunInterruptedBeforeItsFirstEpochPointsBackAtTheCheckpointItResumed()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // POSIX signals
        // 25,600 rows: an epoch of 400 batches of a wide MLP on one thread takes seconds, so the signal comes after its first log
        // line (batch 100) and long before its end.
        string[] model = SlowEpochs();
        string first = _dir.File("first");
        Assert.Equal(0, InProcessCli.Run(["train", .. model, "--out", first, "--epochs", "1", "--limit-batches", "1"]).ExitCode);
        string resumed = Path.Combine(first, "checkpoint.safetensors");
        string second = _dir.File("second");
        var (code, last) = await SignalAfter(["train", .. model, "--out", second, "--epochs", "2", "--resume", resumed],
            "Epoch: 2, Batch: 100,", "INT");
        Assert.Equal(130, code);
        Assert.False(File.Exists(Path.Combine(second, "checkpoint.safetensors")), "the premise: interrupted before epoch 2 ended");
        // Not "no checkpoint was written (pass --overwrite to start again)": the checkpoint it resumed is untouched.
        Assert.Equal($"error: interrupted before the first epoch finished; '{resumed}' is as it was: continue with --resume {resumed} " +
            "(and the same options).", last);
    }

    [Fact]
    public async Task ANewRunInterruptedBeforeItsFirstEpochLeavesNoFolder()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // POSIX signals
        // As above, an epoch that takes seconds; the default --out, in a folder of its own. Interrupted before any checkpoint, the
        // run used to leave runs/<timestamp> with a header-only metrics.csv (and its folder claim's marker).
        string[] model = SlowEpochs();
        string work = _dir.File("work");
        Directory.CreateDirectory(work);
        var (code, last) = await SignalAfter(["train", .. model, "--epochs", "1"], "Epoch: 1, Batch: 100,", "INT", work);
        Assert.Equal(130, code);
        Assert.StartsWith("error: interrupted before the first epoch finished; no checkpoint was written, and nothing of this run is " +
            "left in 'runs", last, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(work));
    }

    [Fact]
    public void CalibratingOnHeldOutDataTheModelGetsAllRightWarnsThatTheTemperatureHitItsBound()
    {
        string csv = Csv("ok.csv"); // label x exactly when a < 6: linearly separable
        string outDir = _dir.File("run");
        Assert.Equal(0, InProcessCli.Run("train", "--data", csv, "--out", outDir, "--epochs", "60", "--batch-size", "4", "--model",
            "linear", "--lr", "0.1", "--val-split", "0.25").ExitCode);
        string ckpt = Path.Combine(outDir, "checkpoint.safetensors"), split = Path.Combine(outDir, "split.csv");
        // The rows the run held out: on all of csv, calibrate would also warn that it is the training data.
        var eval = InProcessCli.Run("eval", "--checkpoint", ckpt, "--data", csv, "--held-out", split, "--json");
        Assert.Contains("\"accuracy\":1,", eval.Stdout, StringComparison.Ordinal); // the premise: every sample right

        var r = InProcessCli.Run("calibrate", "--checkpoint", ckpt, "--data", csv, "--held-out", split, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Stdout);
        Assert.Equal(0.01, doc.RootElement.GetProperty("temperature").GetDouble(), 3); // the README's search range is [0.01, 100]
        Assert.StartsWith("Warning: the temperature reached the search's lower bound (0.01)", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileWithAnImageNameButOtherContentIsNamedWithoutImageSharpsDecoderList()
    {
        string dir = _dir.File("photos");
        Xent.Tests.Data.OwnDataFiles.GrayClasses(dir, 3);
        string bad = Path.Combine(dir, "dark", "notes.png");
        File.WriteAllText(bad, "not a picture");
        var r = InProcessCli.Run("train", "--data", dir, "--out", _dir.File("run"), "--epochs", "1");
        CliAssert.OneLineError(r, 2, $"cannot decode image '{bad}': its content is not a PNG, JPEG, BMP, GIF, TIFF or WebP image");
        Assert.DoesNotContain("Decoder", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void PredictOnAFolderWithoutImagesSaysSo()
    {
        string dir = _dir.File("photos");
        Xent.Tests.Data.OwnDataFiles.GrayClasses(dir, 3);
        string outDir = _dir.File("run");
        Assert.Equal(0, InProcessCli.Run("train", "--data", dir, "--out", outDir, "--epochs", "1").ExitCode);
        string empty = _dir.File("new-photos");
        Directory.CreateDirectory(empty);
        File.WriteAllText(Path.Combine(empty, "readme.txt"), "to do");
        var r = InProcessCli.Run("predict", "--checkpoint", Path.Combine(outDir, "checkpoint.safetensors"), "--input", empty);
        CliAssert.OneLineError(r, 2, $"'{empty}' holds no images (");
    }

    [Fact]
    public void AnOutThatCannotBeCreatedNamesTheOption()
    {
        string csv = Csv("ok.csv");
        var r = Train(csv, Path.Combine(csv, "run")); // below a file
        CliAssert.OneLineError(r, 2, $"error: --out '{Path.Combine(csv, "run")}' cannot be written: '{csv}' is a file, not a folder.");
    }

    [Fact]
    public void ATargetThatIsOneOfTheModelsInputsIsNamedNotAnInternalError()
    {
        string csv = Csv("ok.csv");
        string outDir = _dir.File("run");
        Assert.Equal(0, Train(csv, outDir).ExitCode);
        string ckpt = Path.Combine(outDir, "checkpoint.safetensors");
        const string Expected =
            "'a' is one of the model's input columns, so it cannot be its target column; the model was trained on a, b.";
        CliAssert.OneLineError(InProcessCli.Run("eval", "--checkpoint", ckpt, "--data", csv, "--target", "a"), 2, Expected);
        CliAssert.OneLineError(InProcessCli.Run("calibrate", "--checkpoint", ckpt, "--data", csv, "--target", "a"), 2, Expected);
    }

    [Fact]
    public void AnEmptyCellAtPredictTimeDoesNotSuggestAnOptionPredictLacks()
    {
        string outDir = _dir.File("run");
        Assert.Equal(0, Train(Csv("ok.csv"), outDir).ExitCode);
        string input = _dir.File("new.csv");
        File.WriteAllText(input, "a,b\n1,\n");
        var r = InProcessCli.Run("predict", "--checkpoint", Path.Combine(outDir, "checkpoint.safetensors"), "--input", input);
        CliAssert.OneLineError(r, 2, $"column 'b' is empty on line 2 of '{input}'; fill it in (the model was trained without " +
            "--missing mean, so it does not impute missing values).");
        // Training still names the option, which it takes.
        CliAssert.OneLineError(Train(Csv("gap.csv", replaceB1: ""), _dir.File("run2")), 2, "fill it in or pass --missing mean.");
    }

    [Fact]
    public void AMarkerCellAtPredictTimeIsTheSameMissingValueAsAnEmptyCell()
    {
        string outDir = _dir.File("run");
        Assert.Equal(0, Train(Csv("na.csv", replaceB1: "NA"), outDir, "--missing", "mean").ExitCode);
        string ckpt = Path.Combine(outDir, "checkpoint.safetensors");
        string Predict(string name, string b)
        {
            string input = _dir.File(name), output = _dir.File(name + ".out.csv");
            File.WriteAllText(input, $"a,b\n1,{b}\n2,3\n");
            var r = InProcessCli.Run("predict", "--checkpoint", ckpt, "--input", input, "--out", output);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return File.ReadAllText(output);
        }
        string empty = Predict("empty.csv", "");
        Assert.Equal(empty, Predict("na-input.csv", "NA"));
        Assert.Equal(empty, Predict("q-input.csv", "?"));
        // A number in its place is not imputed (the check can tell the difference).
        Assert.NotEqual(empty, Predict("four.csv", "40"));

        // A model trained without --missing mean names the marker and that it does not impute.
        string plain = _dir.File("plain");
        Assert.Equal(0, Train(Csv("ok.csv"), plain).ExitCode);
        string input = _dir.File("na-plain.csv");
        File.WriteAllText(input, "a,b\n1,NA\n");
        var refused = InProcessCli.Run("predict", "--checkpoint", Path.Combine(plain, "checkpoint.safetensors"), "--input", input);
        CliAssert.OneLineError(refused, 2, $"column 'b' holds 'NA' on line 2 of '{input}' (1 missing-value cell(s) in this column); " +
            "fill it in (the model was trained without --missing mean, so it does not impute missing values).");
    }

    [Fact]
    public void AnImageSizeTooLargeForMemoryIsRefusedBeforeDecoding()
    {
        string dir = _dir.File("photos");
        Xent.Tests.Data.OwnDataFiles.GrayClasses(dir, 3);
        int images = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Count();
        var r = InProcessCli.Run("train", "--data", dir, "--out", _dir.File("run"), "--epochs", "1", "--image-size", "100000",
            "--model", "mlp");
        // Before: ImageSharp's allocation limit in the first resize, reported as an internal error (exit 1).
        CliAssert.OneLineError(r, 2,
            $"one image of 3x100000x100000 (channels x height x width) is {3 * 10_000_000_000L} values, more than the");
        Assert.True(images > 1);
        Assert.False(Directory.Exists(_dir.File("run")));
    }

    [Fact]
    public void AnImageSizeTheCnnCannotTakeIsRefusedBeforeReading()
    {
        string dir = _dir.File("photos");
        Xent.Tests.Data.OwnDataFiles.GrayClasses(dir, 3);
        // fc1 of the cnn on 100x100 images: 64 channels of ((100 - 4) / 2)^2 positions.
        int fc1 = 64 * 48 * 48;
        var r = InProcessCli.Run("train", "--data", dir, "--out", _dir.File("run"), "--epochs", "1", "--image-size", "100");
        CliAssert.OneLineError(r, 2,
            $"100x100 (height x width) images would give the cnn model a fc1 layer of {fc1} inputs; resize them to at most 69x69");
        // A size whose fc1 would overflow an int is refused the same way.
        CliAssert.OneLineError(InProcessCli.Run("train", "--data", dir, "--out", _dir.File("run"), "--image-size", "100000"), 2,
            "100000x100000 (height x width) images would give the cnn model a fc1 layer of 159987200256 inputs");
        Assert.DoesNotContain("Reading", r.Stdout, StringComparison.Ordinal); // before: every image decoded at 100x100 first
        // 69x69 is the largest the cnn takes (fc1 of 64 x 32 x 32 inputs), 70x70 the smallest it refuses.
        CliAssert.OneLineError(InProcessCli.Run("train", "--data", dir, "--out", _dir.File("run"), "--image-size", "70"), 2,
            $"70x70 (height x width) images would give the cnn model a fc1 layer of {64 * 33 * 33} inputs");
        Assert.Equal(0, InProcessCli.Run("train", "--data", dir, "--out", _dir.File("cnn69"), "--epochs", "1", "--image-size", "69",
            "--limit-batches", "1").ExitCode);
        // An mlp takes them.
        Assert.Equal(0, InProcessCli.Run("train", "--data", dir, "--out", _dir.File("mlp"), "--epochs", "1", "--image-size", "100",
            "--model", "mlp").ExitCode);
    }

    [Fact]
    public void AHeldOutLossThatIsNotFiniteIsWarnedAbout()
    {
        // One Adam step at lr 1e30: the training loss of that batch is finite, the held-out logits overflow (NaN loss). The run
        // used to end with exit code 0 and a checkpoint that predicts NaN, without a word.
        var r = InProcessCli.Run("train", "--data", Csv("ok.csv"), "--out", _dir.File("run"), "--lr", "1e30", "--limit-batches", "1",
            "--model", "mlp", "--batch-size", "4", "--epochs", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("test loss NaN", r.Stdout, StringComparison.Ordinal);
        const string Expected = "Warning: the held-out loss is NaN after epoch 1 (the training loss is ";
        Assert.Contains(Expected, r.Stderr, StringComparison.Ordinal);
        // The cause named, not guessed at: every test sample (the split's 'test' rows) lies in the training inputs' range, and the
        // weights a step of 1e30 made give them all NaN outputs, so the model diverged (qa: two causes named, neither chosen).
        int held = File.ReadAllLines(_dir.File("run/split.csv")).Count(l => l.EndsWith(",test", StringComparison.Ordinal));
        Assert.Contains($"): the model's outputs are not finite on {held} of the {held} test samples, all of them with inputs within 10 " +
            "times the range of the training inputs (which reach ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(", standardised as the model sees them): the weights grew too large (the model diverged), so its checkpoint " +
            "predicts NaN probabilities. Try a lower learning rate (--lr).\n", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("test data is the cause", r.Stderr, StringComparison.Ordinal);
        // And, as eval says of such a model, that the final accuracy counts the NaN rows as class 0: on the terminal before it, and
        // in the report above its summary (they said NaN and nothing of it).
        const string NonFinite = "the model's outputs (logits) are not finite (NaN or infinity) for some samples: its weights are not " +
            "finite, or the inputs are too large for the model. Accuracy and the confusion matrix count those samples as predictions " +
            "of the first class.";
        Assert.Contains("Warning: " + NonFinite + "\n", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("mean cross-entropy NaN", r.Stdout, StringComparison.Ordinal);
        Assert.Contains(
            "<p class=\"warning\"><b>Warning:</b> " + System.Net.WebUtility.HtmlEncode(NonFinite) + "</p>\n<p class=\"summary\">",
            File.ReadAllText(_dir.File("run/report.html")), StringComparison.Ordinal);
    }

    [Fact]
    public void AHeldOutLossMadeNotFiniteByTestInputsNamesThem()
    {
        // 60 training rows in (-1, 1); the test file adds to 20 such rows one whose 'a' standardises beyond float32 (3e38 / 0.58)
        // and one whose 'b' standardises to about -1.7e37, which a linear model's logits still hold. Only the first gets
        // non-finite logits; the warning names the test inputs, not the learning rate.
        var rng = new Random(9);
        string Row() => string.Create(CultureInfo.InvariantCulture, $"{rng.NextDouble() * 2 - 1:F4},{rng.NextDouble() * 2 - 1:F4}");
        string[] train = [.. Enumerable.Range(0, 60).Select(i => $"{Row()},{(i % 2 == 0 ? "x" : "y")}")];
        string[] test = [.. Enumerable.Range(0, 20).Select(i => $"{Row()},{(i % 2 == 0 ? "x" : "y")}"), "3e38,0.5,x", "0.5,-1e37,y"];
        string trainCsv = _dir.File("train.csv"), testCsv = _dir.File("test.csv");
        File.WriteAllLines(trainCsv, ["a,b,label", .. train]);
        File.WriteAllLines(testCsv, ["a,b,label", .. test]);
        var r = InProcessCli.Run("train", "--data", trainCsv, "--test-data", testCsv, "--out", _dir.File("run"), "--model", "linear",
            "--epochs", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);

        // The training split's standardisation (population std), as the model sees its inputs, in float64.
        double[][] columns = [.. Enumerable.Range(0, 2).Select(c => train.Select(l => double.Parse(l.Split(',')[c],
            CultureInfo.InvariantCulture)).ToArray())];
        double[] mean = [.. columns.Select(c => c.Average())];
        double[] std = [.. columns.Select((c, j) => Math.Sqrt(c.Average(v => (v - mean[j]) * (v - mean[j]))))];
        double reach = Enumerable.Range(0, 2).Max(j => columns[j].Max(v => Math.Abs((v - mean[j]) / std[j])));
        double far = Math.Abs((-1e37 - mean[1]) / std[1]);
        Assert.True((3e38 - mean[0]) / std[0] > float.MaxValue); // so the first one is not finite as the model sees it
        Assert.Contains("Warning: the held-out loss is NaN after epoch 1 (the training loss is ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("): 2 of the 22 test samples have inputs beyond 10 times the range of the training inputs (which reach " +
            $"{reach.ToString("F2", CultureInfo.InvariantCulture)}, standardised as the model sees them): 1 has a value that is not " +
            "finite (NaN or infinity), the other has values of magnitude up to " +
            $"{far.ToString("0.###E+0", CultureInfo.InvariantCulture)}. " +
            "The model's outputs are not finite on 1 of them and finite on every other test sample. The test data is the cause, not " +
            "the training: look in those samples for a value in other units, a missing-value code (-9999) or an overflow. The " +
            "checkpoint predicts NaN probabilities for such inputs.\n", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("learning rate", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AnImageSizeWhoseOneImageDoesNotFitAnArrayIsRefusedBeforeDecoding()
    {
        // 27000 x 27000 is under Array.MaxLength for one gray plane (729,000,000) but not for the RGB image decoded first:
        // the int product overflowed in the decoder (exit 1, "internal error").
        string dir = _dir.File("photos");
        Xent.Tests.Data.OwnDataFiles.GrayClasses(dir, 1);
        var r = InProcessCli.Run("train", "--data", dir, "--out", _dir.File("run"), "--epochs", "1", "--image-size", "27000",
            "--model", "mlp");
        CliAssert.OneLineError(r, 2,
            $"one image of 3x27000x27000 (channels x height x width) is {3L * 27000 * 27000} values, more than the");
    }

    [Fact]
    public void AnImageTooLargeToDecodeIsExit2NamingItAndItsSize()
    {
        // QA: a 26800 x 26800 PNG without --image-size: exit 1, "internal error (AggregateException) … overflow", 2.1 GB peak.
        // Made here as a 2x2 BMP whose header says 27000 x 26800 (the header is all that is read before the refusal).
        string dir = _dir.File("big");
        Xent.Tests.Data.OwnDataFiles.Gray(Path.Combine(dir, "a", "0.png"), 8, 8, (x, y) => 1);
        string huge = Path.Combine(dir, "b", "0.bmp");
        Directory.CreateDirectory(Path.GetDirectoryName(huge)!);
        using (var img = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(2, 2))
            SixLabors.ImageSharp.ImageExtensions.SaveAsBmp(img, huge);
        var bytes = File.ReadAllBytes(huge);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), 27000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), 26800);
        File.WriteAllBytes(huge, bytes);
        foreach (var extra in new[] { Array.Empty<string>(), ["--image-size", "28"] })
        {
            var r = InProcessCli.Run(["train", "--data", dir, "--out", _dir.File("run"), "--epochs", "1", .. extra]);
            CliAssert.OneLineError(r, 2, $"error: '{huge}' is 26800x27000 (height x width), 723600000 pixels, more than the 178956970 an " +
                "image may have (PIL's limit): downscale it with an image tool first");
            Assert.False(Directory.Exists(_dir.File("run")));
        }
    }

    [Fact]
    public void ImageSizesInMessagesAreHeightByWidthAsImageSizeTakesThem()
    {
        // QA: --image-size 5x30 (5 high, 30 wide) was refused as "got 30x5"; a 20-wide, 12-high image was "20x12", which copied
        // into --image-size gave images 20 high and 12 wide.
        string dir = _dir.File("sizes");
        Xent.Tests.Data.OwnDataFiles.GrayClasses(dir, 2);
        CliAssert.OneLineError(InProcessCli.Run("train", "--data", dir, "--out", _dir.File("run"), "--image-size", "5x30"), 2,
            "error: the cnn model needs images of at least 6x6, got 5x30 (height x width).");
        string wide = Path.Combine(dir, "dark", "wide.png");
        Xent.Tests.Data.OwnDataFiles.Gray(wide, 20, 12, (x, y) => 1);
        CliAssert.OneLineError(InProcessCli.Run("train", "--data", dir, "--out", _dir.File("run")), 2,
            $"error: '{wide}' is 12x20 but '{Path.Combine(dir, "bright", "img000.png")}' is 8x8 (height x width); all images must have " +
            "one size, or pass --image-size HxW to resize them.");
        // Without --image-size too, the cnn's size limit is checked from the first image's header, before decoding the others.
        string photos = _dir.File("photos");
        Xent.Tests.Data.OwnDataFiles.Gray(Path.Combine(photos, "a", "0.png"), 100, 80, (x, y) => 1);
        Xent.Tests.Data.OwnDataFiles.Gray(Path.Combine(photos, "b", "0.png"), 100, 80, (x, y) => 2);
        File.WriteAllText(Path.Combine(photos, "b", "1.png"), "not a png");
        CliAssert.OneLineError(InProcessCli.Run("train", "--data", photos, "--out", _dir.File("run")), 2,
            $"error: 80x100 (height x width) images would give the cnn model a fc1 layer of {64 * 38 * 48} inputs");
    }

    [Fact]
    public void ATestSetOfAnotherKindIsRefusedNamingBothKinds()
    {
        // QA: the .npy hint said to pass --test-labels, which the CSV --data then refused.
        string csv = Csv("t.csv"), x = _dir.File("x.npy"), y = _dir.File("y.npy");
        Npy.Write(x, new float[24], [12, 2]);
        Npy.Write(y, new long[12], [12]);
        string expected =
            $"error: --test-data must be the same kind of data as --data: '{x}' is a .npy file, and '{csv}' is a CSV/TSV file.";
        CliAssert.OneLineError(Train(csv, _dir.File("r1"), "--test-data", x), 2, expected);
        CliAssert.OneLineError(Train(csv, _dir.File("r2"), "--test-data", x, "--test-labels", y), 2, expected);
        CliAssert.OneLineError(Train(x, _dir.File("r3"), "--labels", y, "--test-data", csv), 2,
            $"error: --test-data must be the same kind of data as --data: '{csv}' is a CSV/TSV file, and '{x}' is a .npy file.");
    }

    [Fact]
    public void AnImageFolderSplitCsvNamesEachSamplesImage()
    {
        // split.csv's index is a position in xent's order of the images (class by class, sorted paths), written nowhere else.
        string dir = _dir.File("photos");
        Xent.Tests.Data.OwnDataFiles.GrayClasses(dir, 5);
        Xent.Tests.Data.OwnDataFiles.Gray(Path.Combine(dir, "dark", "a,b.png"), 8, 8, (x, y) => 30); // a name to quote
        string run = _dir.File("run");
        var r = InProcessCli.Run("train", "--data", dir, "--out", run, "--epochs", "1", "--model", "linear", "--val-split", "0.4");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = File.ReadAllLines(Path.Combine(run, "split.csv"));
        Assert.Equal("index,set,path", lines[0]);
        string[] expected = ["bright/img000.png", "bright/img001.png", "bright/img002.png", "bright/img003.png", "bright/img004.png",
            "\"dark/a,b.png\"", "dark/img000.png", "dark/img001.png", "dark/img002.png", "dark/img003.png", "dark/img004.png"];
        Assert.Equal(expected, lines.Skip(1).Select(l => l[(l.IndexOf(',', l.IndexOf(',') + 1) + 1)..]));
        Assert.Equal(Enumerable.Range(0, 11).Select(i => i.ToString(CultureInfo.InvariantCulture)),
            lines.Skip(1).Select(l => l.Split(',')[0]));
        Assert.Equal(4, lines.Count(l => l.Split(',')[1] == "test")); // round(5 x 0.4) and round(6 x 0.4) held out
        // A run folder with only this split.csv (a run stopped before its first epoch) is xent's own, not a user's folder.
        File.Delete(Path.Combine(run, "checkpoint.safetensors"));
        File.Delete(Path.Combine(run, "metrics.csv"));
        File.Delete(Path.Combine(run, "report.html"));
        var again = InProcessCli.Run("train", "--data", dir, "--out", run, "--epochs", "1", "--model", "linear", "--val-split", "0.4");
        Assert.True(again.ExitCode == 0, again.Stderr);
    }
}
