using System.Xml.Linq;
using Xent.NN;
using Xent.Optim;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>
/// Temperature scaling on the logits of a deliberately over-trained classifier: the fitted T matches a brute-force grid
/// minimiser of an independent float64 NLL, and it lowers both the NLL and the ECE of held-out data.
/// </summary>
public class TemperatureScalingTests
{
    private const int Classes = 4, Features = 8;

    /// <summary>Overlapping Gaussian blobs: class k centred at 1.2·e_k (plus noise), so no classifier is certain.</summary>
    private static (Tensor X, Tensor Y) Blobs(int n, Generator gen)
    {
        var x = Tensor.Randn([n, Features], gen);
        var y = Tensor.RandInt(0, Classes, [n], gen);
        var data = x.Data;
        var labels = y.ToInt64Array();
        for (int i = 0; i < n; i++) data[i * Features + (int)labels[i]] += 1.2f;
        return (x, y);
    }

    /// <summary>
    /// Validation logits of an MLP trained far past the point of over-fitting 120 samples (so over-confident), and their labels.
    /// </summary>
    private static (float[] Logits, long[] Targets) OverTrainedLogits()
    {
        var gen = new Generator(42);
        var (xTrain, yTrain) = Blobs(120, gen);
        var (xVal, yVal) = Blobs(1500, gen);
        var model = new Sequential(new Linear(Features, 64, generator: gen), new ReLU(), new Linear(64, Classes, generator: gen));
        var optimizer = new Adam(model.Parameters(), lr: 0.01);
        for (int step = 0; step < 400; step++)
        {
            optimizer.ZeroGrad();
            F.CrossEntropy(model.Forward(xTrain), yTrain).Backward();
            optimizer.Step();
        }
        using (Tensor.NoGrad()) return (model.Forward(xVal).Data.ToArray(), yVal.ToInt64Array());
    }

    /// <summary>Mean −log softmax(x/T)[t], written out directly in float64.</summary>
    private static double Nll(float[] logits, long[] targets, double t)
    {
        double total = 0;
        for (int r = 0; r < targets.Length; r++)
        {
            double m = double.NegativeInfinity;
            for (int c = 0; c < Classes; c++) m = Math.Max(m, logits[r * Classes + c] / t);
            double s = 0;
            for (int c = 0; c < Classes; c++) s += Math.Exp(logits[r * Classes + c] / t - m);
            total += m + Math.Log(s) - logits[r * Classes + targets[r]] / t;
        }
        return total / targets.Length;
    }

    [Fact]
    public void FittedTemperature_IsTheGridMinimiser_AndLowersNllAndEce()
    {
        var (logits, targets) = OverTrainedLogits();
        var fit = TemperatureScaling.Fit(logits, targets, Classes);

        // Brute force, in two stages: every log T on a 0.01 grid over [ln 0.1, ln 100], then on a 1e-4 grid within ±0.02 of
        // the coarse minimiser (the NLL is unimodal in log T), so the grid minimiser is within 5e-5·T of the true one.
        double coarse = GridMin(logits, targets, Math.Log(0.1), Math.Log(100), 0.01, out _);
        double bestT = Math.Exp(GridMin(logits, targets, coarse - 0.02, coarse + 0.02, 1e-4, out double best));
        Assert.True(Math.Abs(fit.Temperature - bestT) <= 1e-3, $"fitted T {fit.Temperature}, grid minimiser {bestT}");
        Assert.True(fit.Temperature > 1.5, $"an over-trained model is over-confident: T = {fit.Temperature}");
        Close(Nll(logits, targets, 1), fit.NllBefore, "nll before");
        Assert.True(fit.NllAfter <= best + 1e-9, $"NLL at the fit {fit.NllAfter}, grid minimum {best}");
        Assert.True(fit.NllAfter < fit.NllBefore - 0.05, $"NLL {fit.NllBefore} → {fit.NllAfter}");
        Assert.True(fit.EceAfter < fit.EceBefore / 2, $"ECE {fit.EceBefore} → {fit.EceAfter}");
        Assert.Equal(targets.Length, fit.Samples);
        Console.WriteLine($"over-trained MLP: T = {fit.Temperature:F4} (grid {bestT:F4}), NLL {fit.NllBefore:F4} -> {fit.NllAfter:F4}, " +
            $"ECE {fit.EceBefore:F4} -> {fit.EceAfter:F4}, {fit.Evaluations} evaluations");

        // The ECE is the 15-bin ECE of the scaled softmax's top probability.
        var conf = new double[targets.Length];
        var right = new bool[targets.Length];
        for (int r = 0; r < targets.Length; r++)
        {
            var p = Enumerable.Range(0, Classes).Select(c => Math.Exp(logits[r * Classes + c] / fit.Temperature)).ToArray();
            int arg = Array.IndexOf(p, p.Max());
            conf[r] = p[arg] / p.Sum();
            right[r] = arg == targets[r];
        }
        Close(Metrics.ExpectedCalibrationError(conf, right, 15), fit.EceAfter, "ece after");
    }

    private static double GridMin(float[] logits, long[] targets, double from, double to, double step, out double min)
    {
        double arg = double.NaN;
        min = double.PositiveInfinity;
        for (int k = 0; from + k * step <= to; k++)
        {
            double v = Nll(logits, targets, Math.Exp(from + k * step));
            if (v < min) { min = v; arg = from + k * step; }
        }
        return arg;
    }

    private static void Close(double expected, double actual, string what, double rtol = 1e-9) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-9 + rtol * Math.Abs(expected), $"{what}: {actual}, expected {expected}");

    [Fact]
    public void UnderConfidentLogits_GetATemperatureBelowOne()
    {
        var (logits, targets) = OverTrainedLogits();
        // Logits shrunk 10× are under-confident; the fitted T undoes most of it (T·10 ≈ the original fit).
        var shrunk = logits.Select(v => v / 10).ToArray();
        var original = TemperatureScaling.Fit(logits, targets, Classes).Temperature;
        var fit = TemperatureScaling.Fit(shrunk, targets, Classes);
        Assert.True(Math.Abs(fit.Temperature * 10 - original) <= 2e-3 * original, $"{fit.Temperature * 10} vs {original}");
    }

    [Fact]
    public void TemperatureScaledModule_DividesTheLogits_AndItsEvaluationIsTheFittedOne()
    {
        var gen = new Generator(9);
        var model = new Sequential(new Linear(Features, 16, generator: gen), new Dropout(0.5), new Linear(16, Classes, generator: gen));
        var (x, y) = Blobs(200, gen);
        var scaled = new TemperatureScaled(model, 2.5f);
        var (raw, targets, classes) = TemperatureScaling.CollectLogits(model, [(x, y)]);
        var (div, _, _) = TemperatureScaling.CollectLogits(scaled, [(x, y)]); // eval mode reaches the wrapped dropout
        for (int i = 0; i < raw.Length; i++) Assert.Equal(raw[i] / 2.5f, div[i]);
        Assert.True(model.Training);
        var result = Metrics.Evaluate(div, targets, classes);
        Close(TemperatureScaling.MeanNll(raw, targets, classes, 2.5), result.MeanCrossEntropy, "mean cross-entropy at T", 1e-6);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TemperatureScaled(model, 0f));
    }

    [Fact]
    public void BadInputs_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit([], [], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => TemperatureScaling.Fit([1f, 2f, 3f], [3L], 3));
        Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit([1f, float.NaN, 3f], [0L], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => TemperatureScaling.MeanNll([1f, 2f, 3f], [0L], 3, 0));
    }

    [Fact]
    public void ReliabilityDiagram_DrawsEachNonEmptyBinAtItsAccuracy_BeforeAndAfter()
    {
        var (logits, targets) = OverTrainedLogits();
        var fit = TemperatureScaling.Fit(logits, targets, Classes);
        var before = ReliabilityDiagram.Bins(logits, targets, Classes);
        var after = ReliabilityDiagram.Bins(logits, targets, Classes, fit.Temperature);
        Assert.Equal(15, before.Length);
        Assert.Equal(targets.Length, before.Sum(b => b.Count));

        // Bin accuracies computed here, from the definition: bin m holds confidences in (m/15, (m+1)/15].
        var count = new long[15];
        var right = new long[15];
        for (int r = 0; r < targets.Length; r++)
        {
            var row = logits.AsSpan(r * Classes, Classes);
            double max = row.ToArray().Max(), s = 0;
            foreach (float v in row) s += Math.Exp(v - max);
            int bin = Math.Clamp((int)Math.Ceiling(15 / s) - 1, 0, 14);
            count[bin]++;
            if (row.IndexOf((float)max) == targets[r]) right[bin]++;
        }
        for (int b = 0; b < 15; b++)
        {
            Assert.Equal(count[b], before[b].Count);
            if (count[b] > 0) Assert.Equal((double)right[b] / count[b], before[b].Accuracy, 12);
        }

        string svg = ReliabilityDiagram.Svg(before, after, "T = 1", $"T = {fit.Temperature:0.00}");
        var doc = XDocument.Parse(svg); // well-formed
        XNamespace ns = "http://www.w3.org/2000/svg";
        var bars = doc.Descendants(ns + "rect").Where(e =>
            ((string?)e.Attribute("class"))?.StartsWith("bin", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(before.Count(b => b.Count > 0) + after.Count(b => b.Count > 0), bars.Count);
        var beforeBars = bars.Where(e => (string?)e.Attribute("class") == "bin s0")
            .Select(e => double.Parse((string)e.Attribute("data-accuracy")!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(before.Where(b => b.Count > 0).Select(b => b.Accuracy).ToArray(), beforeBars);
        Assert.Contains("T = 1", svg);
        Assert.Throws<ArgumentException>(() => ReliabilityDiagram.Svg(before, after.Take(3).ToList()));
    }
}
