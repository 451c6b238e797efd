using System.Text.Json;
using Xent.IO;
using Xent.Tests.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// <c>xent train</c>, <c>eval</c> and <c>predict</c> end to end on a user's own CSV, image folders and .npy files, and their errors.
/// </summary>
public class OwnDataCliTests
{
    private static void Ok(CliResult r) => Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);

    /// <summary>Exit 2 and exactly one stderr line, starting with <c>error:</c> and holding <paramref name="expected"/>.</summary>
    private static void OneError(CliResult r, string expected) => CliAssert.OneLineError(r, 2, expected);

    [Fact]
    public void CsvTrainsEvaluatesAndPredictsWithClassNamesFromTheCheckpoint()
    {
        using var dir = new TempDirectory();
        string csv = OwnDataFiles.SeparableCsv(dir.File("train.csv"), 200);
        string test = OwnDataFiles.SeparableCsv(dir.File("test.csv"), 60, seed: 8);
        string outDir = dir.File("run");
        var train = CliRunner.Run("train", "--data", csv, "--target", "species", "--test-data", test, "--model", "mlp", "--hidden", "16",
            "--epochs", "8", "--batch-size", "16", "--lr", "0.01", "--lr-schedule", "cosine", "--warmup", "5", "--clip-grad-norm", "5",
            "--patience", "3", "--out", outDir);
        Ok(train);
        string ckpt = Path.Combine(outDir, "checkpoint.safetensors");
        var spec = ModelSpec.FromMetadata(Checkpoint.Load(ckpt).Metadata)!;
        Assert.Equal(["big", "small"], spec.ClassNames);
        Assert.Equal(["x1", "x2", "color=blue", "color=red"], spec.FeatureNames!);
        Assert.Equal([16], spec.Hidden);
        Assert.True(File.Exists(Path.Combine(outDir, "best.safetensors")));

        var eval = CliRunner.Run("eval", "--checkpoint", ckpt, "--data", test, "--json");
        Ok(eval);
        using var doc = JsonDocument.Parse(eval.Stdout);
        var root = doc.RootElement;
        Assert.Equal(60, root.GetProperty("total").GetInt32());
        Assert.True(root.GetProperty("accuracy").GetDouble() >= 0.9, eval.Stdout);
        Assert.True(root.GetProperty("macro_f1").GetDouble() >= 0.85, eval.Stdout);
        Assert.Equal(2, root.GetProperty("per_class_f1").GetArrayLength());

        // Predict without the label column: one object per row, in order, probabilities summing to 1.
        string unlabelled = dir.File("new.csv");
        File.WriteAllLines(unlabelled, ["color,x2,x1", "red,1.5,1.0", "blue,-1.5,-1.25"]);
        var predict = CliRunner.Run("predict", "--checkpoint", ckpt, "--input", unlabelled, "--json");
        Ok(predict);
        var rows = predict.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l =>
            JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.Equal(0, rows[0].GetProperty("input").GetInt32());
        Assert.Equal("big", rows[0].GetProperty("class").GetString());
        Assert.Equal("small", rows[1].GetProperty("class").GetString());
        Assert.Equal(1.0, rows[1].GetProperty("top").EnumerateArray().Sum(t => t.GetProperty("probability").GetDouble()), 6);
        Assert.Equal("", predict.Stderr);
        // --id names each row by an ID column, as text ('0007' stays '0007'), in --json and in --out's first column.
        string withIds = dir.File("ids.csv");
        File.WriteAllLines(withIds, ["id,color,x2,x1", "0007,red,1.5,1.0", "A-1,blue,-1.5,-1.25"]);
        var byId = CliRunner.Run("predict", "--checkpoint", ckpt, "--input", withIds, "--id", "id", "--json");
        Ok(byId);
        var idRows = byId.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .ToArray();
        Assert.Equal(["0007", "A-1"], idRows.Select(r => r.GetProperty("input").GetString()));
        Assert.Equal(rows.Select(r => r.GetProperty("top").GetRawText()), idRows.Select(r => r.GetProperty("top").GetRawText()));
        Ok(CliRunner.Run("predict", "--checkpoint", ckpt, "--input", withIds, "--id", "id", "--out", dir.File("ids-out.csv")));
        Assert.Equal(["0007", "A-1"], File.ReadAllLines(dir.File("ids-out.csv")).Skip(1).Select(l => l.Split(',')[0]));
        OneError(CliRunner.Run("predict", "--checkpoint", ckpt, "--input", withIds, "--id", "key"),
            "has no column 'key' for --id; its columns are: id, color, x2, x1.");

        // --data, the name eval gives the same file, is the same option.
        var predictData = CliRunner.Run("predict", "--checkpoint", ckpt, "--data", unlabelled, "--json");
        Ok(predictData);
        Assert.Equal(predict.Stdout, predictData.Stdout);

        // Images for this table model: the input kind is the problem, not the folders' class names.
        OwnDataFiles.GrayClasses(dir.File("imgs"), 2);
        OneError(CliRunner.Run("eval", "--checkpoint", ckpt, "--data", dir.File("imgs")),
            "images were given, but the model takes features input of shape (4).");

        // A colour the model never saw is encoded as no colour at all, the same as an empty cell, and said once on stderr.
        string unseen = dir.File("unseen.csv");
        File.WriteAllLines(unseen, ["color,x2,x1", "green,1.5,1.0", ",1.5,1.0", "green,-1.5,-1.25"]);
        var withUnseen = CliRunner.Run("predict", "--checkpoint", ckpt, "--input", unseen, "--json");
        Ok(withUnseen);
        var top = withUnseen.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("top").GetRawText()).ToArray();
        Assert.Equal(3, top.Length);
        Assert.Equal(top[1], top[0]);
        var warning = Assert.Single(withUnseen.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Warning: column 'color' of '", warning, StringComparison.Ordinal);
        Assert.Contains("holds 2 value(s) the model was not trained on (first 'green' on line 2)", warning, StringComparison.Ordinal);
        Assert.EndsWith("The model knows 'blue', 'red'.", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void GrayPngFoldersTrainACnnThatPredictsImagesAndFolders()
    {
        using var dir = new TempDirectory();
        OwnDataFiles.GrayClasses(dir.File("imgs"), 30);
        string outDir = dir.File("run");
        var train = CliRunner.Run("train", "--data", dir.File("imgs"), "--val-split", "0.2", "--epochs", "3", "--batch-size", "8", "--out",
            outDir);
        Ok(train);
        Assert.Contains("Held out a stratified 20%", train.Stdout);
        Assert.Contains("Training cnn on 48 images", train.Stdout);
        var spec = ModelSpec.FromMetadata(Checkpoint.Load(Path.Combine(outDir, "checkpoint.safetensors")).Metadata)!;
        Assert.Equal([1, 8, 8], spec.InputShape);
        Assert.Single(spec.Mean);
        var split = File.ReadAllLines(Path.Combine(outDir, "split.csv"));
        Assert.Equal(61, split.Length);
        Assert.Equal("index,set,path", split[0]); // image folders: each row's image too
        Assert.Equal(12, split.Count(l => l.Split(',')[1] == "test"));

        string ckpt = Path.Combine(outDir, "checkpoint.safetensors");
        OwnDataFiles.Gray(dir.File("new/a.png"), 8, 8, (x, y) => 230);
        OwnDataFiles.Gray(dir.File("new/sub/b.png"), 16, 16, (x, y) => 20); // another size: resized to the model's
        var one = CliRunner.Run("predict", "--checkpoint", ckpt, "--input", dir.File("new/a.png"), "--json", "--top-k", "1");
        Ok(one);
        Assert.True(one.Stdout.Contains("\"class\":\"bright\"", StringComparison.Ordinal), one.Stdout + train.Stdout);
        var folder = CliRunner.Run("predict", "--checkpoint", ckpt, "--input", dir.File("new"));
        Ok(folder);
        var lines = folder.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains("bright", lines[1]);
        Assert.Contains("dark", lines[2].Split("  ", StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    [Fact]
    public void RgbFoldersNpyPairsAndMultiLabelCsvTrainAndEvaluate()
    {
        using var dir = new TempDirectory();
        for (int i = 0; i < 6; i++)
        {
            OwnDataFiles.Rgb(dir.File($"rgb/red/{i}.png"), 6, 6, (x, y) => ((byte)(200 + i), 10, 10));
            OwnDataFiles.Rgb(dir.File($"rgb/blue/{i}.png"), 6, 6, (x, y) => (10, 10, (byte)(200 + i)));
        }
        string rgbOut = dir.File("rgb-run");
        Ok(CliRunner.Run("train", "--data", dir.File("rgb"), "--epochs", "1", "--batch-size", "4", "--out", rgbOut));
        Assert.Equal([3, 6, 6], ModelSpec.FromMetadata(Checkpoint.Load(Path.Combine(rgbOut,
            "checkpoint.safetensors")).Metadata)!.InputShape);

        var (x, y) = OwnDataFiles.NpyPair(dir.Path, 90);
        string npyOut = dir.File("npy-run");
        Ok(CliRunner.Run("train", "--data", x, "--labels", y, "--model", "linear", "--epochs", "10", "--batch-size", "8", "--lr", "0.05",
            "--out", npyOut));
        var npyEval = CliRunner.Run("eval", "--checkpoint", Path.Combine(npyOut, "checkpoint.safetensors"), "--data", x, "--labels", y,
            "--json");
        Ok(npyEval);
        Assert.True(JsonDocument.Parse(npyEval.Stdout).RootElement.GetProperty("accuracy").GetDouble() >= 0.9, npyEval.Stdout);

        string ml = OwnDataFiles.MultiLabelCsv(dir.File("ml.csv"), 160);
        string mlOut = dir.File("ml-run");
        Ok(CliRunner.Run("train", "--data", ml, "--multi-label", "pos_a,pos_b", "--pos-weight", "auto", "--epochs", "15", "--batch-size",
            "16",
            "--lr", "0.01", "--out", mlOut));
        string mlCkpt = Path.Combine(mlOut, "checkpoint.safetensors");
        // The report speaks of what a multi-label run measures: no softmax calibration error (NaN before), BCE and subset accuracy.
        string html = File.ReadAllText(Path.Combine(mlOut, "report.html"));
        Assert.Contains("Test subset accuracy <b>", html, StringComparison.Ordinal);
        Assert.Contains("mean binary cross-entropy", html, StringComparison.Ordinal);
        Assert.Contains("Binary cross-entropy loss (BCEWithLogitsLoss)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", html, StringComparison.Ordinal);
        Assert.DoesNotContain("calibration", html, StringComparison.Ordinal);
        Assert.Contains("<tr><th>pos_weight</th><td>auto</td></tr>", html, StringComparison.Ordinal);
        // Its settings listed label_smoothing 0 and class_weights none, options multi-label data refuses; and its train loss, with
        // pos_weight in it, stood beside a held-out BCE without it, unexplained.
        Assert.DoesNotContain("<th>label_smoothing</th>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<th>class_weights</th>", html, StringComparison.Ordinal);
        Assert.Contains(">test (plain BCE)</text>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"note\">The train loss includes pos_weight (--pos-weight auto); the test loss is plain binary " +
            "cross-entropy, without it.</span>", html, StringComparison.Ordinal);
        var mlEval = CliRunner.Run("eval", "--checkpoint", mlCkpt, "--data", ml, "--json");
        Ok(mlEval);
        var root = JsonDocument.Parse(mlEval.Stdout).RootElement;
        Assert.True(root.GetProperty("subset_accuracy").GetDouble() >= 0.85, mlEval.Stdout);
        Assert.True(root.GetProperty("mean_bce").GetDouble() < Math.Log(2), mlEval.Stdout);
        Assert.Equal(2, root.GetProperty("per_label_f1").GetArrayLength());
        var mlPredict = CliRunner.Run("predict", "--checkpoint", mlCkpt, "--input", ml, "--json");
        Ok(mlPredict);
        var first = JsonDocument.Parse(mlPredict.Stdout.Split('\n')[0]).RootElement;
        Assert.Equal(2, first.GetProperty("labels").EnumerateObject().Count());
        Assert.Equal(JsonValueKind.Array, first.GetProperty("predicted").ValueKind);
    }

    [Fact]
    public void EveryDataErrorIsOneLineAndExit2()
    {
        using var dir = new TempDirectory();
        string ragged = dir.File("ragged.csv");
        File.WriteAllText(ragged, "a,b,label\n1,2,x\n3,4\n5,6,y\n");
        OneError(CliRunner.Run("train", "--data", ragged, "--out", dir.File("o1")), "ragged.csv");

        string csv = OwnDataFiles.SeparableCsv(dir.File("ok.csv"), 20);
        OneError(CliRunner.Run("train", "--data", csv, "--target", "kind", "--out", dir.File("o2")), "no target column 'kind'");
        // Held-out data with a class the training data lacks: the classes named are the training file's, not a model's.
        string other = dir.File("other.csv");
        File.WriteAllLines(other, [File.ReadLines(csv).First(), .. File.ReadLines(csv).Skip(1).Take(3).Select(l =>
            l[..(l.LastIndexOf(',') + 1)] + "huge")]);
        OneError(CliRunner.Run("train", "--data", csv, "--test-data", other, "--out", dir.File("o2b")),
            $"label 'huge' on line 2 of '{other}' is not one of the classes of '{csv}' (big, small).");

        OwnDataFiles.Gray(dir.File("mixed/a/1.png"), 8, 8, (x, y) => 1);
        OwnDataFiles.Gray(dir.File("mixed/b/1.png"), 9, 8, (x, y) => 1);
        OneError(CliRunner.Run("train", "--data", dir.File("mixed"), "--out", dir.File("o3")), "all images must have one size");

        OwnDataFiles.Gray(dir.File("empty/a/1.png"), 8, 8, (x, y) => 1);
        Directory.CreateDirectory(dir.File("empty/b"));
        OneError(CliRunner.Run("train", "--data", dir.File("empty"), "--out", dir.File("o4")), "holds no images");

        var (x, _) = OwnDataFiles.NpyPair(dir.Path, 12);
        string wrong = dir.File("wrong.npy");
        Npy.Write(wrong, new long[] { 0, 1, 0 }, [3]);
        OneError(CliRunner.Run("train", "--data", x, "--labels", wrong, "--out", dir.File("o5")), "holds 12 samples");

        File.WriteAllText(dir.File("notes.txt"), "hello");
        OneError(CliRunner.Run("train", "--data", dir.File("notes.txt"), "--out", dir.File("o6")), "not a known kind of data");

        OneError(CliRunner.Run("predict", "--checkpoint", dir.File("none.safetensors"), "--input", csv), "does not exist");
    }

    [Fact]
    public void AContinuousLabelColumnIsRefusedBeforeAnythingIsWritten()
    {
        // A price as the last column would train 60 one-sample classes at a loss near ln 60 and learn nothing.
        using var dir = new TempDirectory();
        string prices = dir.File("prices.csv");
        File.WriteAllLines(prices, ["x1,kind,price", .. Enumerable.Range(0, 60).Select(i =>
            FormattableString.Invariant($"{i % 7 * 0.5},{(i % 2 == 0 ? "a" : "b")},{10 + i * 0.37}"))]);
        string outDir = dir.File("run");
        var r = CliRunner.Run("train", "--data", prices, "--epochs", "1", "--out", outDir);
        OneError(r, "has 60 distinct values in its label column 'price' for 60 samples");
        Assert.Contains("--target NAME", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));

        // Fewer classes than half the samples, but numbers with fractions (a regression data set's target, as in
        // scikit-learn's Boston file): refused too.
        string scores = dir.File("scores.csv");
        File.WriteAllLines(scores, ["x1,score", .. Enumerable.Range(0, 100).Select(i =>
            FormattableString.Invariant($"{i * 0.1},{i % 30 + 0.5}"))]);
        OneError(CliRunner.Run("train", "--data", scores, "--epochs", "1", "--out", outDir),
            "has 30 distinct values in its label column 'score' for 100 samples: numbers with a fractional part, such as '0.5'.");
        Assert.False(Directory.Exists(outDir));

        // The real label column trains, and the log says how many classes it has.
        var ok = CliRunner.Run("train", "--data", prices, "--target", "kind", "--epochs", "1", "--out", outDir);
        Ok(ok);
        Assert.Contains(" samples of 2 classes (", ok.Stdout, StringComparison.Ordinal);
        // The first line says what was read, and how many samples.
        Assert.StartsWith($"Reading '{prices}' …{Environment.NewLine}Read 60 samples in ", ok.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void TheHeldOutLineGivesThePartActuallyHeldOut()
    {
        // qa-s21-seen M6: "Held out a stratified 10% … (130 of 442 samples)": 29%, since every class of two samples or more gives
        // at least one. Here 25 classes of 3: round(0.3) = 0, raised to 1 each, so 25 of 75 (33.33%), where one rounding of the
        // whole would be 8.
        using var dir = new TempDirectory();
        string csv = dir.File("small.csv");
        File.WriteAllLines(csv, ["x,label", .. Enumerable.Range(0, 75).Select(i => FormattableString.Invariant($"{i * 0.1},c{i % 25}"))]);
        var train = InProcessCli.Run("train", "--data", csv, "--model", "linear", "--epochs", "1", "--out", dir.File("run"));
        Ok(train);
        Assert.Contains($"Held out a stratified 33.33% of '{csv}' (25 of 75 samples, seed 1) for testing: 10% of each class, rounded, " +
            "and at least one (and at most all but one) of each class of two samples or more; choose with --val-split F or " +
            "--test-data PATH.", train.Stdout, StringComparison.Ordinal);
        Assert.Equal(25, File.ReadAllLines(dir.File("run/split.csv")).Count(l => l.EndsWith(",test", StringComparison.Ordinal)));
        // A split that is the fraction asked for says only that.
        var even = InProcessCli.Run("train", "--data", csv, "--model", "linear", "--epochs", "1", "--val-split", "0.3333",
            "--out", dir.File("even"));
        Ok(even);
        Assert.Contains($"Held out a stratified 33.33% of '{csv}' (25 of 75 samples, seed 1) for testing.", even.Stdout,
            StringComparison.Ordinal);
    }

    [Fact]
    public void WholeNumberLabelsMostlyOfOneOrTwoSamplesAreRefused_NamedOnesAndLargerClassesTrain()
    {
        // qa-s21-seen M6: scikit-learn's diabetes target (214 whole numbers for 442 samples, 152 of them with one or two samples)
        // passed the check, being under half the samples, and trained 214 "classes" most of which had one sample to train on.
        // Here 30 values: 25 of two samples and 5 of four (70 samples, so under the half-the-samples rule).
        using var dir = new TempDirectory();
        int[] label = [.. Enumerable.Range(0, 25).SelectMany(v => new[] { v, v }),
            .. Enumerable.Range(25, 5).SelectMany(v => new[] { v, v, v, v })];
        string Csv(string name, Func<int, string> text)
        {
            File.WriteAllLines(dir.File(name), ["x,y", .. label.Select((v, i) => FormattableString.Invariant($"{i * 0.1},{text(v)}"))]);
            return dir.File(name);
        }
        string scores = Csv("scores.csv", v => FormattableString.Invariant($"{100 + 3 * v}"));
        OneError(InProcessCli.Run("train", "--data", scores, "--epochs", "1", "--out", dir.File("run")),
            $"'{scores}' has 30 distinct values in its label column 'y' for 70 samples: whole numbers, 25 of whose 30 values have only " +
            "one or two samples (at most one to train on once one is held out), as a score or count gives.");
        Assert.False(Directory.Exists(dir.File("run")));
        // The same classes named in words are a (hard) classification problem, and so are numbers of three samples or more.
        Ok(InProcessCli.Run("train", "--data", Csv("named.csv", v => $"kind{v}"), "--model", "linear", "--epochs", "1",
            "--out", dir.File("named")));
        label = [.. Enumerable.Range(0, 30).SelectMany(v => new[] { v, v, v })];
        Ok(InProcessCli.Run("train", "--data", Csv("threes.csv", v => FormattableString.Invariant($"{v}")), "--model", "linear",
            "--epochs", "1", "--out", dir.File("threes")));
    }

    [Fact]
    public void ImbalancedClassesDrawANoteThatNamesClassWeights()
    {
        using var dir = new TempDirectory();
        string csv = dir.File("rare.csv");
        // 'common' has 171 training samples after the stratified 10% split, 'rare' 9: 19:1.
        File.WriteAllLines(csv, ["x1,x2,label", .. Enumerable.Range(0, 200).Select(i =>
            FormattableString.Invariant($"{i % 13 * 0.25},{i % 5 * 0.5},{(i % 20 == 0 ? "rare" : "common")}"))]);
        var plain = CliRunner.Run("train", "--data", csv, "--epochs", "1", "--out", dir.File("a"));
        Ok(plain);
        Assert.Equal("note: the classes are imbalanced: 'common' has 171 training samples and 'rare' 9 (19:1). Accuracy can stay " +
            "high while the small classes are missed (see the per-class accuracy); --class-weights inverse-frequency weighs each " +
            "class by 1/count (scaled to sum to the class count), as the PyTorch tutorial does for imbalanced data.", plain.Stderr.Trim());

        var weighted = CliRunner.Run("train", "--data", csv, "--epochs", "1", "--class-weights", "inverse-frequency", "--out",
            dir.File("b"));
        Ok(weighted);
        Assert.Equal("", weighted.Stderr);
    }

    [Fact]
    public void NegativeLabelsAreWarnedAboutAsUnlabelledMarkers()
    {
        using var dir = new TempDirectory();
        string csv = dir.File("marked.csv");
        // PyTorch's ignore_index value on two rows: Xent trains it as a class, and says so.
        File.WriteAllLines(csv, ["x1,label", .. Enumerable.Range(0, 40).Select(i =>
            FormattableString.Invariant($"{i * 0.1},{(i % 20 == 3 ? -100 : i % 2)}"))]);
        var r = CliRunner.Run("train", "--data", csv, "--epochs", "1", "--class-weights", "inverse-frequency", "--out", dir.File("o"));
        Ok(r);
        Assert.Equal("Warning: label -100 (2 samples) is trained as a class of its own. scikit-learn marks unlabelled samples with " +
            "-1, and PyTorch's CrossEntropyLoss skips targets of -100 (ignore_index): leave such samples out of --data if they are " +
            "not a class.", r.Stderr.Trim());
        Assert.Contains(" samples of 3 classes (", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void NpyLabelsThatAreMissingOrNotGivenAreNamed()
    {
        using var dir = new TempDirectory();
        string x = dir.File("x.npy"), y = dir.File("y.npy");
        Xent.IO.Npy.Write(x, Enumerable.Range(0, 40).Select(i => (float)i).ToArray(), [20, 2]);
        Xent.IO.Npy.Write(y, Enumerable.Range(0, 20).Select(i => (long)(i % 2)).ToArray(), [20]);
        // Before: .NET's "Could not find file '…'", which did not say what the file was for.
        OneError(CliRunner.Run("train", "--data", x, "--labels", dir.File("nope.npy"), "--epochs", "1", "--out", dir.File("o1")),
            $"the labels file '{dir.File("nope.npy")}' does not exist.");
        // eval of a .npy without labels names --labels (train's --test-data names --test-labels: TrainRunFolderTests).
        Assert.Equal(0, CliRunner.Run("train", "--data", x, "--labels", y, "--epochs", "1", "--out", dir.File("o2")).ExitCode);
        OneError(CliRunner.Run("eval", "--checkpoint", Path.Combine(dir.File("o2"), "checkpoint.safetensors"), "--data", x),
            $"'{x}' needs its labels: pass --labels labels.npy.");
    }

    [Fact]
    public void AColumnWithoutANameIsRefusedUnlessFeaturesLeaveItOut()
    {
        // pandas' to_csv() writes the row index as a first column with an empty name; as a feature it is the row order.
        using var dir = new TempDirectory();
        string csv = dir.File("pandas.csv");
        File.WriteAllLines(csv, [",a,b,label", .. Enumerable.Range(0, 12).Select(i => $"{i},{i % 3},{i % 5},{(i < 6 ? "x" : "y")}")]);
        OneError(CliRunner.Run("train", "--data", csv, "--epochs", "1", "--out", dir.File("o1")),
            $"column 1 of '{csv}' has no name in the header line (pandas writes its row index so: save with to_csv(..., index=False)); " +
            "name it, or pick the feature columns with --features.");
        Assert.Equal(0, CliRunner.Run("train", "--data", csv, "--features", "a,b", "--epochs", "1", "--out", dir.File("o2")).ExitCode);
    }

    [Fact]
    public void AFeatureWithNoValueInTheTrainingSplitIsWarnedAbout()
    {
        using var dir = new TempDirectory();
        // .npy: column 1 is NaN (missing) in every sample.
        string x = dir.File("x.npy"), y = dir.File("y.npy");
        Npy.Write(x, Enumerable.Range(0, 40).Select(i => i % 2 == 1 ? float.NaN : i).ToArray(), [20, 2]);
        Npy.Write(y, Enumerable.Range(0, 20).Select(i => (long)(i % 2)).ToArray(), [20]);
        var npy = CliRunner.Run("train", "--data", x, "--labels", y, "--epochs", "1", "--out", dir.File("o1"));
        Assert.Equal(0, npy.ExitCode);
        Assert.Contains($"Warning: feature #1 of '{x}' has no value in the training split (every one missing), so the model cannot " +
            "learn from it.", npy.Stderr, StringComparison.Ordinal);
        // CSV with --missing mean: column b is empty in every row; a has values, so it is not named.
        string csv = dir.File("gaps.csv");
        File.WriteAllLines(csv, ["a,b,label", .. Enumerable.Range(0, 20).Select(i => $"{i},,{(i < 10 ? "x" : "y")}")]);
        var table = CliRunner.Run("train", "--data", csv, "--missing", "mean", "--epochs", "1", "--out", dir.File("o2"));
        Assert.Equal(0, table.ExitCode);
        Assert.Contains($"Warning: feature 'b' of '{csv}' has no value", table.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("feature 'a'", table.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AGzFileThatIsNotGzipSaysSo()
    {
        using var dir = new TempDirectory();
        string fake = dir.File("data.csv.gz");
        File.WriteAllText(fake, "a,b,label\n1,2,x\n3,4,y\n"); // plain text under a .gz name
        var r = CliRunner.Run("train", "--data", fake, "--epochs", "1", "--out", dir.File("o"));
        // Without .NET's "(The archive entry was compressed using an unsupported compression method)" (qa-s20-b L1).
        OneError(r, $"'{fake}' is not a gzip file, though its name ends in .gz: its first bytes are not gzip's (1f 8b). If it is " +
            "plain text, rename it without .gz.");
    }

    [Fact]
    public void AGzFileWithAWrongChecksumOrBlockIsCalledDamaged()
    {
        // zlib refuses a wrong CRC-32 or a broken block, in .NET's words "compressed using an unsupported compression method";
        // a file this small failed in its first line, which called it "not a gzip file" (qa-s19-a X2).
        using var dir = new TempDirectory();
        string csv = OwnDataFiles.SeparableCsv(dir.File("train.csv"), 40);
        byte[] gz;
        using (var output = new MemoryStream())
        {
            using (var zip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal, true))
                zip.Write(File.ReadAllBytes(csv));
            gz = output.ToArray();
        }
        // The first deflate block's header (after gzip's 10 bytes) set to type 3, which deflate reserves.
        foreach (var (what, at, value) in new[] { ("crc", gz.Length - 8, gz[^8] ^ 0x55), ("block", 10, 0x07) })
        {
            string bad = dir.File(what + ".csv.gz");
            byte[] bytes = [.. gz];
            bytes[at] = (byte)value;
            File.WriteAllBytes(bad, bytes);
            var r = CliRunner.Run("train", "--data", bad, "--epochs", "1", "--out", dir.File("o" + what));
            OneError(r, $"'{bad}' is damaged: its gzip data does not decompress (a compressed block, or the checksum or length");
        }
    }

    [Fact]
    public void ATruncatedGzFileIsRefusedNotReadAsFewerRows()
    {
        // GZipStream ends a cut .gz without an error: a partial download trained on the rows it held, silently.
        using var dir = new TempDirectory();
        string csv = OwnDataFiles.SeparableCsv(dir.File("train.csv"), 400);
        string whole = dir.File("whole.csv.gz"), cut = dir.File("cut.csv.gz");
        using (var output = File.Create(whole))
        using (var gz = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal))
            gz.Write(File.ReadAllBytes(csv));
        byte[] bytes = File.ReadAllBytes(whole);
        File.WriteAllBytes(cut, bytes[..(bytes.Length * 3 / 4)]);
        Assert.Equal(0, CliRunner.Run("train", "--data", whole, "--epochs", "1", "--out", dir.File("o1")).ExitCode);
        var r = CliRunner.Run("train", "--data", cut, "--epochs", "1", "--out", dir.File("o2"));
        OneError(r, $"'{cut}' is cut short or damaged: it decompresses to ");
        Assert.Contains("but its gzip trailer records", r.Stderr, StringComparison.Ordinal);

        // qa-s20-b L1: cut under 18 bytes, the file was called "empty; expected a header row"; zero padding after the trailer,
        // which gzip -d, Python and xent's IDX reader accept, was refused as cut short.
        foreach (int length in new[] { 2, 12, 17 })
        {
            string tiny = dir.File($"cut{length}.csv.gz");
            File.WriteAllBytes(tiny, bytes[..length]);
            OneError(CliRunner.Run("train", "--data", tiny, "--epochs", "1", "--out", dir.File($"o{length}")),
                $"'{tiny}' is cut short or damaged: its {length} bytes are too few for gzip data and the 8-byte trailer that ends it " +
                "(18 bytes at least). A partial download? Fetch it again.");
        }
        string padded = dir.File("padded.csv.gz");
        File.WriteAllBytes(padded, [.. bytes, .. new byte[512]]);
        var read = CliRunner.Run("train", "--data", padded, "--epochs", "1", "--out", dir.File("o3"));
        Assert.True(read.ExitCode == 0, read.Stderr);
        Assert.Contains("Read 400 samples", read.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ACsvHeaderWithARepeatedNameIsOneLineAndExit2()
    {
        // Sep refuses the header while the file is opened; the error names the file and the repeated name (three times here).
        using var dir = new TempDirectory();
        string dup = dir.File("dup.csv");
        File.WriteAllText(dup, "a,a,a,label\n1,2,3,x\n4,5,6,y\n");
        foreach (string[] target in new[] { Array.Empty<string>(), ["--target", "label"] })
        {
            string[] args = ["train", "--data", dup, .. target, "--epochs", "1", "--out", dir.File("o" + target.Length)];
            var r = CliRunner.Run(args);
            OneError(r, "dup.csv' names column 'a' more than once in its header line; column names must be unique.");
            Assert.DoesNotContain("found 3 times", r.Stderr, StringComparison.Ordinal); // Sep's own wording
            Assert.DoesNotContain("two columns", r.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AStepScheduleResumesBitForBit()
    {
        using var dir = new TempDirectory();
        string csv = OwnDataFiles.SeparableCsv(dir.File("d.csv"), 60);
        string[] common = ["train", "--data", csv, "--target", "species", "--lr-schedule", "step", "--lr-gamma", "0.5", "--warmup", "2",
            "--batch-size", "8", "--lr", "0.01"];
        string a = dir.File("a"), b = dir.File("b");
        Ok(CliRunner.Run([.. common, "--epochs", "3", "--out", a]));
        Ok(CliRunner.Run([.. common, "--epochs", "1", "--out", b]));
        Ok(CliRunner.Run([.. common, "--epochs", "3", "--out", b, "--resume", Path.Combine(b, "checkpoint.safetensors")]));
        var wa = Checkpoint.Load(Path.Combine(a, "checkpoint.safetensors")).Tensors;
        var wb = Checkpoint.Load(Path.Combine(b, "checkpoint.safetensors")).Tensors;
        foreach (var k in wa.Keys.Where(k => wa[k].DType == DType.Float32))
            Assert.True(wa[k].Data.SequenceEqual(wb[k].Data), $"{k} differs after resuming");
    }

    [Fact]
    public void ATableForAModelTrainedOnAnArraySaysItsInputsHaveNoNames()
    {
        // Before: "'t.csv' is a table, but the model takes features input of shape (3).", which names no problem: the model does
        // take features; what it lacks is the column names to match a table's columns with (qa-s20-lib, found by lib2).
        using var dir = new TempDirectory();
        var (x, y) = OwnDataFiles.NpyPair(dir.Path, 60);
        string run = dir.File("run");
        Ok(CliRunner.Run("train", "--data", x, "--labels", y, "--model", "linear", "--epochs", "1", "--out", run));
        string table = dir.File("t.csv");
        File.WriteAllText(table, "a,b,c\n1,2,3\n");
        OneError(CliRunner.Run("predict", "--checkpoint", Path.Combine(run, "checkpoint.safetensors"), "--input", table),
            "is a table, but the model records no names for its 3 input features (it was trained on an array, not a table)");
    }
}
