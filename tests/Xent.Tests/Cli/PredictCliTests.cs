using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xent.Data;
using Xent.IO;
using Xent.Tests.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// <c>xent predict</c> on PyTorch's linear classifier (a plain state dict, tools/golden/gen_train.py) and its 200 Fashion-MNIST
/// test images written as .npy and PNG: the checkpoint without a spec is read with the IDX recipe, and the probabilities
/// give PyTorch's accuracy and mean cross-entropy; <c>--top-k C</c> lists every class at full float64 precision.
/// </summary>
public class PredictCliTests
{
    private static string GoldenDir => Path.Combine(AppContext.BaseDirectory, "golden", "train");
    private static string TorchLinear => Path.Combine(GoldenDir, "torch_linear.safetensors");

    private static JsonElement[] JsonLines(CliResult r)
    {
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
    }

    /// <summary>Writes the golden IDX test images as an (N, 28, 28) uint8 .npy and returns it with the labels.</summary>
    private static (string Path, long[] Labels) GoldenImagesNpy(TempDirectory dir)
    {
        var raw = new MnistDataset(GoldenDir, train: false);
        string path = dir.File("images.npy");
        Npy.Write(path, raw.Images, [raw.Count, 28, 28]);
        return (path, Enumerable.Range(0, raw.Count).Select(i => raw.Target(i)).ToArray());
    }

    [Fact]
    public void AStateDictWithoutSpecPredictsWithTheIdxRecipe_AndGivesPyTorchsAccuracyAndCrossEntropy()
    {
        using var dir = new TempDirectory();
        var (npy, labels) = GoldenImagesNpy(dir);
        var r = CliRunner.Run("predict", "--checkpoint", TorchLinear, "--input", npy, "--json", "--top-k", "10");
        var rows = JsonLines(r);
        var stderr = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(stderr);
        Assert.StartsWith("note: ", stderr[0]);
        Assert.Contains("no model spec", stderr[0]);
        Assert.Contains("; predicting with it as linear on 1x28x28 images standardised with (0.1307, 0.3081), classes 0, 1,", stderr[0]);
        Assert.Equal(labels.Length, rows.Length);

        long correct = 0;
        double nll = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(i, rows[i].GetProperty("input").GetInt32());
            var top = rows[i].GetProperty("top").EnumerateArray().ToArray();
            Assert.Equal(10, top.Length);
            var p = top.ToDictionary(t => t.GetProperty("class").GetString()!, t => t.GetProperty("probability").GetDouble());
            Assert.Equal(ClassNames.Digits.Order(), p.Keys.Order()); // every class once (no "fashion" in the path: digit names)
            if (rows[i].GetProperty("class").GetString() == labels[i].ToString(CultureInfo.InvariantCulture)) correct++;
            nll -= Math.Log(p[labels[i].ToString(CultureInfo.InvariantCulture)]);
        }
        using var torch = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenDir, "torch_linear_eval.json")));
        Assert.Equal(torch.RootElement.GetProperty("correct").GetInt64(), correct);
        Check.Close(torch.RootElement.GetProperty("mean_ce").GetDouble(), nll / rows.Length, 1e-6, 0, "mean -log p[label] vs PyTorch");
    }

    [Fact]
    public void TopKOfEveryClassRoundTripsTheFloat64Probabilities_AndALargerKIsClamped()
    {
        using var dir = new TempDirectory();
        var (npy, _) = GoldenImagesNpy(dir);
        var rows = JsonLines(CliRunner.Run("predict", "--checkpoint", TorchLinear, "--input", npy, "--json", "--top-k", "10"));
        var clamped = JsonLines(CliRunner.Run("predict", "--checkpoint", TorchLinear, "--input", npy, "--json", "--top-k", "25"));

        // Independently: the linear layer in float64 on the standardised pixels, then softmax in float64.
        var (state, _, _) = TrainingCheckpoint.Load(TorchLinear);
        float[] w = state["linear.weight"].ToArray(), b = state["linear.bias"].ToArray();
        var raw = new MnistDataset(GoldenDir, train: false);
        for (int i = 0; i < raw.Count; i++)
        {
            var logits = new double[10];
            for (int k = 0; k < 10; k++)
            {
                double s = b[k];
                for (int j = 0; j < 784; j++) s += w[k * 784 + j] * ((raw.Images[i * 784 + j] / 255.0 - 0.1307) / 0.3081);
                logits[k] = s;
            }
            double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
            var top = rows[i].GetProperty("top").EnumerateArray().ToArray();
            double previous = double.PositiveInfinity, total = 0;
            foreach (var t in top)
            {
                int k = int.Parse(t.GetProperty("class").GetString()!, CultureInfo.InvariantCulture);
                double p = t.GetProperty("probability").GetDouble();
                Check.Close(Math.Exp(logits[k] - max) / sum, p, 1e-4, 1e-7, $"row {i} class {k}");
                Assert.True(p <= previous, "top is sorted by decreasing probability");
                previous = p;
                total += p;
            }
            Assert.Equal(1.0, total, 12);
            Assert.Equal(rows[i].GetRawText(), clamped[i].GetRawText());
        }

        // Full precision: the JSON numbers parse back to the very doubles the library computes, bit for bit.
        var predictor = LoadWithIdxRecipe();
        var expected = predictor.PredictPath(npy);
        for (int i = 0; i < rows.Length; i++)
            foreach (var t in rows[i].GetProperty("top").EnumerateArray())
            {
                int k = int.Parse(t.GetProperty("class").GetString()!, CultureInfo.InvariantCulture);
                double parsed = t.GetProperty("probability").GetDouble();
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected[i].Probabilities[k]), BitConverter.DoubleToInt64Bits(parsed));
            }
    }

    [Fact]
    public void PngAnd4dFloatNpyGiveTheUint8NpysProbabilities()
    {
        using var dir = new TempDirectory();
        var (npy, _) = GoldenImagesNpy(dir);
        var raw = new MnistDataset(GoldenDir, train: false);
        const int n = 3;
        var scaled = new float[n * 784];
        for (int i = 0; i < scaled.Length; i++) scaled[i] = raw.Images[i] / 255f;
        string npy4 = dir.File("images4.npy");
        Npy.Write(npy4, scaled, [n, 1, 28, 28]);
        for (int i = 0; i < n; i++) OwnDataFiles.Gray(dir.File($"png/{i}.png"), 28, 28, (x, y) => raw.Images[i * 784 + y * 28 + x]);

        string[] args = ["predict", "--checkpoint", TorchLinear, "--json", "--top-k", "10", "--input"];
        var fromUint8 = JsonLines(CliRunner.Run([.. args, npy]));
        var fromFloat = JsonLines(CliRunner.Run([.. args, npy4]));
        var fromPng = JsonLines(CliRunner.Run([.. args, dir.File("png")]));
        Assert.Equal(n, fromFloat.Length);
        Assert.Equal(n, fromPng.Length);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(fromUint8[i].GetProperty("top").GetRawText(), fromFloat[i].GetProperty("top").GetRawText());
            Assert.Equal(fromUint8[i].GetProperty("top").GetRawText(), fromPng[i].GetProperty("top").GetRawText());
            Assert.EndsWith($"{i}.png", fromPng[i].GetProperty("input").GetString());
        }
    }

    /// <summary>
    /// A linear model trained on a CSV (x1, x2, color; big/small), then rewritten with every weight <paramref name="weight"/> and
    /// every bias <paramref name="bias"/>: equal rows of weights give equal logits, so every finite input's probabilities are 1/2.
    /// </summary>
    private static (string Checkpoint, string Input) RewrittenLinear(TempDirectory dir, float weight, float bias)
    {
        string train = OwnDataFiles.SeparableCsv(dir.File("train.csv"), 40);
        var t = CliRunner.Run("train", "--data", train, "--model", "linear", "--epochs", "1", "--out", dir.File("run"));
        Assert.True(t.ExitCode == 0, t.Stderr);
        var (tensors, metadata) = Checkpoint.Load(dir.File("run/checkpoint.safetensors"));
        foreach (var (name, tensor) in tensors)
        {
            if (name.EndsWith(".weight", StringComparison.Ordinal)) tensor.Data.Fill(weight);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) tensor.Data.Fill(bias);
        }
        string checkpoint = dir.File("rewritten.safetensors");
        Checkpoint.Save(checkpoint, tensors, metadata);
        string input = dir.File("input.csv");
        // Row 1's x1 is a finite float32 whose logit, x1 (standardised) times 1e30, overflows: softmax(+inf, +inf) is NaN.
        File.WriteAllLines(input, ["x1,x2,color", "0.5,-1,red", "3e38,0,blue", "-1,1.5,blue"]);
        return (checkpoint, input);
    }

    [Fact]
    public void NaNProbabilitiesAreNullInJson_AndEveryModeWarnsOnce()
    {
        // --json printed rows 0 and 1, then stopped with .NET's "… cannot be written as valid JSON" message.
        using var dir = new TempDirectory();
        var (checkpoint, input) = RewrittenLinear(dir, weight: 1e30f, bias: 0f);
        const string Warning = "Warning: 1 of 3 input(s) gave probabilities that are not finite (input 1): input values too large for " +
            "the model, or a checkpoint whose weights are not finite. They show as NaN (null in --json).";
        var json = CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", input, "--json", "--top-k", "2");
        var rows = JsonLines(json);
        Assert.Equal(Warning, json.Stderr.TrimEnd('\n'));
        Assert.Equal(3, rows.Length);
        foreach (int i in new[] { 0, 2 })
        {
            Assert.Equal(i, rows[i].GetProperty("input").GetInt32());
            Assert.Equal(0.5, rows[i].GetProperty("probability").GetDouble());
            Assert.All(rows[i].GetProperty("top").EnumerateArray(), e => Assert.Equal(0.5, e.GetProperty("probability").GetDouble()));
        }
        Assert.Equal(1, rows[1].GetProperty("input").GetInt32());
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("probability").ValueKind);
        var top = rows[1].GetProperty("top").EnumerateArray().ToArray();
        Assert.Equal(2, top.Length);
        Assert.All(top, e => Assert.Equal(JsonValueKind.Null, e.GetProperty("probability").ValueKind));

        var table = CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", input);
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Equal(Warning, table.Stderr.TrimEnd('\n'));
        string csv = dir.File("p.csv");
        var file = CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", input, "--out", csv);
        Assert.True(file.ExitCode == 0, file.Stderr);
        Assert.Equal(Warning, file.Stderr.TrimEnd('\n'));
        Assert.EndsWith(",NaN,NaN,NaN", File.ReadAllLines(csv)[2]);
    }

    [Fact]
    public void TheOutCsvWritesProbabilitiesAsPlainDecimals_AsMetricsCsvDoes()
    {
        // It wrote 4.5397868702434395E-05 (qa-s20-journey L5). Zero weights and biases 0 and 10: p = 1 / (1 + e^10) for every row.
        using var dir = new TempDirectory();
        var (checkpoint, input) = RewrittenLinear(dir, weight: 0f, bias: 0f);
        var (tensors, metadata) = Checkpoint.Load(checkpoint);
        var bias = tensors.Single(kv => kv.Key.EndsWith(".bias", StringComparison.Ordinal)).Value;
        bias.Data[1] = 10f;
        Checkpoint.Save(checkpoint, tensors, metadata);
        string csv = dir.File("p.csv");
        var r = CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", input, "--out", csv);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string[] lines = File.ReadAllLines(csv);
        Assert.Equal("input,class,probability,p(big),p(small)", lines[0]);
        double small = 1 / (1 + Math.Exp(10));
        foreach (string line in lines.Skip(1))
        {
            string[] cells = line.Split(',');
            Assert.StartsWith("0.0000453978687", cells[3], StringComparison.Ordinal);
            Check.Close(small, double.Parse(cells[3], CultureInfo.InvariantCulture), 1e-15, 0, line);
            Check.Close(1 - small, double.Parse(cells[4], CultureInfo.InvariantCulture), 1e-15, 0, line);
            Assert.DoesNotContain("E", line, StringComparison.OrdinalIgnoreCase);
        }

        // qa-s20-b L3: a probability far below 1e-15 keeps its exponent (1.8E-35), where written out it took 38 characters here and
        // up to 326 (DATA.md: "below 1e-15 … with an exponent").
        bias.Data[1] = 80f;
        Checkpoint.Save(checkpoint, tensors, metadata);
        Assert.Equal(0, CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", input, "--out", csv).ExitCode);
        double tiny = 1 / (1 + Math.Exp(80));
        foreach (string line in File.ReadAllLines(csv).Skip(1))
        {
            string cell = line.Split(',')[3];
            Assert.EndsWith("E-35", cell, StringComparison.Ordinal);
            Check.Close(tiny, double.Parse(cell, CultureInfo.InvariantCulture), 1e-5, 0, line);
        }
    }

    [Fact]
    public void TheOutNameSaysTheFormat_TsvIsTabSeparatedGzIsGzipped_AndAnotherFormatsNameIsRefused()
    {
        // It wrote comma-separated text under .tsv and plain text under .csv.gz, which xent then read wrongly or refused
        // (qa-s21-crash M9).
        using var dir = new TempDirectory();
        var (checkpoint, _) = RewrittenLinear(dir, weight: 0f, bias: 0f);
        string input = dir.File("ids.csv");
        File.WriteAllText(input, "x1,x2,color,id\n0.5,-1,red,\"a,b\"\n1,2,blue,\"c\td\"\n");
        string Predict(string name)
        {
            string path = dir.File(name);
            var r = CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", input, "--id", "id", "--out", path);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return path;
        }
        string csv = File.ReadAllText(Predict("p.csv"));
        Assert.StartsWith("input,class,probability,p(big),p(small)\n\"a,b\",", csv, StringComparison.Ordinal);
        string tsv = File.ReadAllText(Predict("p.tsv"));
        string[] lines = tsv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("input\tclass\tprobability\tp(big)\tp(small)", lines[0]);
        Assert.StartsWith("a,b\t", lines[1], StringComparison.Ordinal); // a comma needs no quotes between tabs
        Assert.StartsWith("\"c\td\"\t", lines[2], StringComparison.Ordinal); // a tab does
        string[] csvLines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 1; i < 3; i++) // the same class and probabilities, only separated by tabs
            Assert.Equal(csvLines[i].Split(',')[^4..], lines[i].Split('\t')[^4..]);

        static string Gunzip(string path)
        {
            using var gz = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
            using var reader = new StreamReader(gz);
            return reader.ReadToEnd();
        }
        Assert.Equal(csv, Gunzip(Predict("p.csv.gz")));
        Assert.Equal(tsv, Gunzip(Predict("p.TSV.GZ")));

        foreach (string name in new[] { "p.json", "p.npy.gz" })
        {
            var refused = CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", input, "--id", "id", "--out", dir.File(name));
            Assert.Equal(2, refused.ExitCode);
            Assert.Equal($"error: --out '{dir.File(name)}' ends in '{Path.GetExtension(name.Replace(".gz", ""))}', but predict " +
                "writes a CSV table: name it .csv (or .tsv for tabs, either with .gz to compress it), or pass --json instead of --out " +
                "for JSON lines.", refused.Stderr.Trim());
            Assert.False(File.Exists(dir.File(name)));
        }
    }

    [Fact]
    public void ACheckpointWithNaNWeightsPredictsNullForEveryInput_AndCalibrateEvalAndItsReportSayItsOutputsAreNotFinite()
    {
        using var dir = new TempDirectory();
        var (checkpoint, input) = RewrittenLinear(dir, weight: 1f, bias: float.NaN);
        var json = CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", input, "--json");
        var rows = JsonLines(json);
        Assert.Equal(3, rows.Length);
        Assert.All(rows, r => Assert.Equal(JsonValueKind.Null, r.GetProperty("probability").ValueKind));
        Assert.Equal("Warning: 3 of 3 input(s) gave probabilities that are not finite (inputs 0, 1, 2): input values too large for " +
            "the model, or a checkpoint whose weights are not finite. They show as NaN (null in --json).", json.Stderr.TrimEnd('\n'));

        // "Temperature scaling needs finite logits (found NaN or infinity). (Parameter 'logits')": a C# parameter, no culprit.
        string heldOut = OwnDataFiles.SeparableCsv(dir.File("held-out.csv"), 7, seed: 5);
        CliAssert.OneLineError(CliRunner.Run("calibrate", "--checkpoint", checkpoint, "--data", heldOut), 2,
            "error: the checkpoint's outputs (logits) are not finite (NaN or infinity) for 7 of 7 held-out sample(s): its weights are " +
            "not finite, or the inputs are too large for the model; there is no temperature to fit.");

        // eval counted NaN's argmax (class 0) as predictions without a word: 1 of the 7 rows "right" looked like a weak model.
        string report = dir.File("eval.html");
        var eval = CliRunner.Run("eval", "--checkpoint", checkpoint, "--data", heldOut, "--report", report);
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        const string Warning = "the model's outputs (logits) are not finite (NaN or infinity) for some samples: its weights are not " +
            "finite, or the inputs are too large for the model. Accuracy and the confusion matrix count those samples as predictions " +
            "of the first class.";
        Assert.Equal("Warning: " + Warning, eval.Stderr.TrimEnd('\n'));
        var terminal = Regex.Match(eval.Stdout, @"Test accuracy: ([0-9.]+%) \((\d+)/7\), mean cross-entropy NaN, ECE NaN\n(?s:.*)" +
            @"Macro-F1: ([0-9.]+)\n");
        Assert.True(terminal.Success, eval.Stdout);
        // qa-s21-seen M4: the report said none of it, and wrote "–" for the terminal's NaN.
        string html = File.ReadAllText(report);
        Assert.Contains("<p class=\"warning\"><b>Warning:</b> " + WebUtility.HtmlEncode(Warning) + "</p>", html, StringComparison.Ordinal);
        Assert.Contains($"Accuracy <b>{terminal.Groups[1].Value}</b> ({terminal.Groups[2].Value} of 7) · macro-F1 " +
            $"{terminal.Groups[3].Value} · mean cross-entropy NaN · expected calibration error NaN", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>1 (raw logits)</td><td class=\"num\">NaN</td><td class=\"num\">NaN</td></tr>", html,
            StringComparison.Ordinal);
        Assert.Contains("T = 1 (ECE NaN)", html, StringComparison.Ordinal);
    }

    [Fact]
    public void AMultiLabelCheckpointWithNaNWeightsIsWarnedAboutInItsOwnTerms()
    {
        // The warning said "predictions of the first class", which a multi-label model does not make: a NaN output is > 0 for no
        // label, so each label counts as predicted absent.
        using var dir = new TempDirectory();
        string data = OwnDataFiles.MultiLabelCsv(dir.File("multi.csv"), 40);
        Assert.Equal(0, CliRunner.Run("train", "--data", data, "--multi-label", "pos_a,pos_b", "--model", "linear", "--epochs", "1",
            "--out", dir.File("run")).ExitCode);
        var (tensors, metadata) = Checkpoint.Load(dir.File("run/checkpoint.safetensors"));
        foreach (var (name, tensor) in tensors)
            if (name.EndsWith(".bias", StringComparison.Ordinal)) tensor.Data.Fill(float.NaN);
        string checkpoint = dir.File("nan.safetensors");
        Checkpoint.Save(checkpoint, tensors, metadata);
        string report = dir.File("eval.html");
        var eval = CliRunner.Run("eval", "--checkpoint", checkpoint, "--data", data, "--report", report);
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        const string Warning = "the model's outputs (logits) are not finite (NaN or infinity) for some samples: its weights are not " +
            "finite, or the inputs are too large for the model. Subset accuracy and the per-label metrics count a NaN output as its " +
            "label predicted absent.";
        Assert.Contains("Warning: " + Warning + "\n", eval.Stderr, StringComparison.Ordinal);
        Assert.Contains("<p class=\"warning\"><b>Warning:</b> " + WebUtility.HtmlEncode(Warning) + "</p>",
            File.ReadAllText(report), StringComparison.Ordinal);
    }

    /// <summary>The spec eval, calibrate and export give a checkpoint without one: the tutorial's IDX recipe.</summary>
    private static Predictor LoadWithIdxRecipe()
    {
        var (state, _, _) = TrainingCheckpoint.Load(TorchLinear);
        var spec = ModelCatalog.LegacySpec("linear", ClassNames.Digits);
        var model = ModelCatalog.Create(spec, new Generator(0));
        model.LoadStateDict(state);
        return new Predictor(model, spec);
    }
}
