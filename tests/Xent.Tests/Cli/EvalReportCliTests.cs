using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xent.Data;
using Xent.Tests.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// <c>xent eval --report</c> on PyTorch's linear classifier and 200 Fashion-MNIST test images (tools/golden/gen_train.py),
/// raw and calibrated: the reliability diagram's bars are the bins of confidences computed here in float64, its legend
/// has eval's ECE, and the calibration table has PyTorch's mean cross-entropy at T = 1.
/// </summary>
public class EvalReportCliTests
{
    private static string GoldenDir => Path.Combine(AppContext.BaseDirectory, "golden", "train");
    private static string TorchLinear => Path.Combine(GoldenDir, "torch_linear.safetensors");
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private static void Ok(CliResult r) => Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);

    /// <summary>The model's float32 logits on the golden images, as PyTorch's transform feeds them.</summary>
    private static (float[] Logits, long[] Targets) Logits()
    {
        var (state, _, _) = TrainingCheckpoint.Load(TorchLinear);
        var model = ModelCatalog.Create("linear", new Generator(0));
        model.LoadStateDict(state);
        var data = new MnistDataset(GoldenDir, train: false, new Compose(new ToTensor(), new Normalize(0.1307, 0.3081)));
        var (logits, targets, _) = TemperatureScaling.CollectLogits(model, new DataLoader(data, 64));
        return (logits, targets);
    }

    /// <summary>
    /// Per bin of 15: (count, accuracy) of softmax(logits / T)'s confidences, in float64, bins (m/15, (m+1)/15]; and the
    /// ECE those bins give, Σ count·|accuracy − mean confidence| / N.
    /// </summary>
    private static (long Count, double Accuracy)[] ExpectedBins(float[] logits, long[] targets, float temperature, out double ece)
    {
        var count = new long[15];
        var right = new long[15];
        var confidenceSum = new double[15];
        for (int i = 0; i < targets.Length; i++)
        {
            var row = logits.AsSpan(i * 10, 10).ToArray().Select(v => (double)(temperature == 1f ? v : v / temperature)).ToArray();
            int arg = Array.IndexOf(row, row.Max());
            double confidence = 1 / row.Sum(v => Math.Exp(v - row[arg]));
            int b = Math.Clamp((int)Math.Ceiling(confidence * 15) - 1, 0, 14);
            count[b]++;
            confidenceSum[b] += confidence;
            if (arg == targets[i]) right[b]++;
        }
        ece = Enumerable.Range(0, 15).Sum(b => Math.Abs(right[b] - confidenceSum[b])) / targets.Length;
        return Enumerable.Range(0, 15).Where(b => count[b] > 0).Select(b => (count[b], (double)right[b] / count[b])).ToArray();
    }

    private static (long Count, double Accuracy)[] ExpectedBins(float[] logits, long[] targets, float temperature) =>
        ExpectedBins(logits, targets, temperature, out _);

    /// <summary>The bars of one series of the reliability diagram: (data-count, data-accuracy) in bin order.</summary>
    private static (long Count, double Accuracy)[] Bars(string html, int series) =>
        Regex.Matches(html, $"<rect class=\"bin s{series}\"[^>]*data-accuracy=\"([^\"]+)\" data-count=\"([^\"]+)\"")
            .Select(m => (long.Parse(m.Groups[2].Value, C), double.Parse(m.Groups[1].Value, C))).ToArray();

    [Fact]
    public void ACalibratedCheckpointsReportDrawsTheBinsBeforeAndAfterItsTemperature()
    {
        using var dir = new TempDirectory();
        string calibrated = dir.File("calibrated.safetensors");
        Ok(CliRunner.Run("calibrate", "--checkpoint", TorchLinear, "--data", GoldenDir, "--out", calibrated));
        float t = ModelSpec.FromMetadata(Xent.IO.Checkpoint.Load(calibrated).Metadata)!.Temperature;
        Assert.NotEqual(1f, t);
        string report = dir.File("reports/eval.html");
        var eval = CliRunner.Run("eval", "--checkpoint", calibrated, "--data", GoldenDir, "--json", "--report", report);
        Ok(eval);
        using var json = JsonDocument.Parse(eval.Stdout); // stdout stays one JSON object
        var raw = CliRunner.Run("eval", "--checkpoint", TorchLinear, "--data", GoldenDir, "--json");
        Ok(raw);
        double eceAfter = json.RootElement.GetProperty("ece").GetDouble();
        double eceBefore = JsonDocument.Parse(raw.Stdout).RootElement.GetProperty("ece").GetDouble();

        string html = File.ReadAllText(report);
        var (logits, targets) = Logits();
        Assert.Equal(ExpectedBins(logits, targets, 1, out double expectedEceBefore), Bars(html, 0));
        Assert.Equal(ExpectedBins(logits, targets, t, out double expectedEceAfter), Bars(html, 1));
        // eval's ECE, printed in the legend, is the ECE of the bins computed here.
        Check.Close(expectedEceBefore, eceBefore, 1e-9, 1e-12, "ece at T = 1");
        Check.Close(expectedEceAfter, eceAfter, 1e-9, 1e-12, "ece at T");
        Assert.Contains(string.Create(C, $"T = 1 (ECE {eceBefore:F4})"), html);
        Assert.Contains(string.Create(C, $"T = {t.ToString("0.####", C)} (ECE {eceAfter:F4})"), html);
        using var torch = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenDir, "torch_linear_eval.json")));
        double torchNll = torch.RootElement.GetProperty("mean_ce").GetDouble();
        Assert.Contains(string.Create(C, $"<td>1 (raw logits)</td><td class=\"num\">{torchNll:F4}</td>"), html);
        Assert.Contains("Accuracy <b>82.00%</b> (164 of 200)", html); // PyTorch's 164 correct
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("NaN", html);
    }

    [Fact]
    public void AnUncalibratedCheckpointsReportHasOneSeries_AndAFolderIsRefused()
    {
        using var dir = new TempDirectory();
        string report = dir.File("eval.html");
        var eval = CliRunner.Run("eval", "--checkpoint", TorchLinear, "--data", GoldenDir, "--report", report);
        Ok(eval);
        Assert.Contains("Wrote " + report, eval.Stdout);
        string html = File.ReadAllText(report);
        var (logits, targets) = Logits();
        Assert.Equal(ExpectedBins(logits, targets, 1), Bars(html, 0));
        Assert.Empty(Bars(html, 1));
        Assert.Contains("xent calibrate", html);

        var bad = CliRunner.Run("eval", "--checkpoint", TorchLinear, "--data", GoldenDir, "--report", dir.Path);
        CliAssert.OneLineError(bad, 2);
        Assert.StartsWith("error: --report", bad.Stderr, StringComparison.Ordinal);

        // The checkpoint is never overwritten by its own report.
        string copy = dir.File("model.safetensors");
        File.Copy(TorchLinear, copy);
        var self = CliRunner.Run("eval", "--checkpoint", copy, "--data", GoldenDir, "--report", copy);
        CliAssert.OneLineError(self, 2, "is the --checkpoint file");
        Assert.Equal(File.ReadAllBytes(TorchLinear), File.ReadAllBytes(copy));
    }

    [Fact]
    public void TheReportSaysWhenItsDataTrainedTheCheckpointAndWhichRowsHeldOutChose()
    {
        // qa-s21-seen M2: only the terminal warned that the data had trained the model, and a --held-out page said "on train.csv"
        // with no word of which of its rows it scored.
        using var dir = new TempDirectory();
        string csv = OwnDataFiles.SeparableCsv(dir.File("train.csv"), 120);
        string run = dir.File("run");
        Ok(CliRunner.Run("train", "--data", csv, "--target", "species", "--model", "linear", "--epochs", "1", "--out", run));
        string checkpoint = Path.Combine(run, "checkpoint.safetensors");

        string trained = dir.File("trained.html");
        var eval = CliRunner.Run("eval", "--checkpoint", checkpoint, "--data", csv, "--report", trained);
        Ok(eval);
        string warning = eval.Stderr.TrimEnd('\n');
        Assert.StartsWith($"Warning: '{csv}' is the data '{checkpoint}' was trained on: 108 of its 120 samples trained it", warning,
            StringComparison.Ordinal);
        string html = File.ReadAllText(trained);
        Assert.Contains("<h1>" + Html("xent eval: checkpoint.safetensors on train.csv") + "</h1>\n<p class=\"warning\"><b>Warning:</b> " +
            Html(warning["Warning: ".Length..]) + "</p>\n<p class=\"summary\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<th>held-out</th>", html, StringComparison.Ordinal);

        string heldOut = dir.File("held-out.html");
        var held = CliRunner.Run("eval", "--checkpoint", checkpoint, "--data", csv, "--held-out", run, "--report", heldOut);
        Ok(held);
        Assert.Equal("", held.Stderr);
        html = File.ReadAllText(heldOut);
        Assert.Contains("<h1>" + Html("xent eval: checkpoint.safetensors on the held-out rows of train.csv") + "</h1>\n" +
            "<p class=\"summary\">", html, StringComparison.Ordinal);
        Assert.Contains("<tr><th>held-out</th><td>" + Html($"the 12 of its 120 samples that {Path.Combine(run, "split.csv")} marks " +
            "'test', the part the checkpoint's run held out") + "</td></tr>\n<tr><th>samples</th><td>12</td></tr>", html,
            StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"warning\"", html, StringComparison.Ordinal);
    }

    private static string Html(string text) => System.Net.WebUtility.HtmlEncode(text);

    [Fact]
    public void AClassTheDataHasNoSampleOfHasNoRecallInAnyOutput()
    {
        // qa-s21-seen L5: the recall of a class without samples is 0 / 0. The terminal wrote 0.0000, the report "–", --json 0.
        using var dir = new TempDirectory();
        string csv = OwnDataFiles.SeparableCsv(dir.File("train.csv"), 120);
        string run = dir.File("run");
        Ok(CliRunner.Run("train", "--data", csv, "--target", "species", "--model", "linear", "--epochs", "1", "--out", run));
        string checkpoint = Path.Combine(run, "checkpoint.safetensors");
        string bigOnly = dir.File("big.csv");
        File.WriteAllLines(bigOnly, File.ReadAllLines(csv).Where((l, i) => i == 0 || l.EndsWith(",big", StringComparison.Ordinal)));
        string report = dir.File("eval.html");
        var text = CliRunner.Run("eval", "--checkpoint", checkpoint, "--data", bigOnly, "--report", report);
        Ok(text);
        // Columns: class, precision, recall, F1, support; the classes are in label order (big, small).
        var small = Regex.Match(text.Stdout, @"^  small\s+(\S+)\s+(\S+)\s+(\S+)\s+0$", RegexOptions.Multiline);
        Assert.True(small.Success, text.Stdout);
        Assert.Equal("-", small.Groups[2].Value);
        var big = Regex.Match(text.Stdout, @"^  big\s+\d\.\d{4}\s+(\d\.\d{4})\s+\d\.\d{4}\s+\d+$", RegexOptions.Multiline);
        Assert.True(big.Success, text.Stdout);
        Assert.Matches("<tr><td class=\"name\">small</td><td class=\"num\">0</td><td class=\"num\">[0-9.]+</td><td class=\"num\">–</td>",
            File.ReadAllText(report));
        var json = CliRunner.Run("eval", "--checkpoint", checkpoint, "--data", bigOnly, "--json");
        Ok(json);
        var recall = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("per_class_recall");
        Assert.Equal(big.Groups[1].Value, recall[0].GetDouble().ToString("F4", C));
        Assert.Equal(JsonValueKind.Null, recall[1].ValueKind);
    }

    [Fact]
    public void TheBinsEceIsTheEceOfTheScaledLogits()
    {
        var (logits, targets) = Logits();
        var result = Metrics.Evaluate(logits, targets, 10);
        var report = new EvaluationReport("r", [], ClassNames.Digits, result).WithReliability(logits, targets, 1.7f);
        var scaled = logits.Select(v => v / 1.7f).ToArray();
        double eceScaled = Metrics.Evaluate(scaled, targets, 10).ExpectedCalibrationError;
        Assert.Equal(eceScaled, EvaluationReport.ExpectedCalibrationError(report.Calibrated!), 12);
        Assert.Equal(result.ExpectedCalibrationError, EvaluationReport.ExpectedCalibrationError(report.Uncalibrated!), 12);
        Assert.Equal(TemperatureScaling.MeanNll(logits, targets, 10, 1.7), report.CalibratedCrossEntropy, 6);
        Assert.Equal(200, report.Calibrated!.Sum(b => b.Count));
    }
}
