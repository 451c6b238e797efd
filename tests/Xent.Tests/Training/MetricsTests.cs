using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

public class MetricsTests
{
    // Hand-built example: 7 samples, 3 classes.
    private static readonly int[] Predicted = [0, 1, 2, 2, 1, 0, 2];
    private static readonly long[] Targets = [0, 1, 1, 2, 2, 0, 0];

    [Fact]
    public void ConfusionMatrixAndAccuraciesMatchHandCount()
    {
        var m = Metrics.ConfusionMatrix(Predicted, Targets, 3);
        long[,] expected = { { 2, 0, 1 }, { 0, 1, 1 }, { 0, 1, 1 } };
        Assert.Equal(expected, m);
        Assert.Equal(4.0 / 7.0, Metrics.Accuracy(Predicted, Targets));
        Assert.Equal([2.0 / 3.0, 0.5, 0.5], Metrics.PerClassAccuracy(m));
    }

    [Fact]
    public void PerClassAccuracyIsNaNForAClassWithoutSamples()
    {
        var m = Metrics.ConfusionMatrix([0, 0], [0, 1], 3);
        var pc = Metrics.PerClassAccuracy(m);
        Assert.Equal(1.0, pc[0]);
        Assert.Equal(0.0, pc[1]);
        Assert.True(double.IsNaN(pc[2]));
    }

    [Fact]
    public void ExpectedCalibrationErrorMatchesHandComputedBins()
    {
        // 15 bins of width 1/15: 0.95 and 0.94 fall in (14/15, 1], 0.62 and 0.61 in (9/15, 10/15], 0.35 in (5/15, 6/15].
        double[] conf = [0.95, 0.94, 0.62, 0.61, 0.35];
        bool[] ok = [true, false, true, true, false];
        double expected = 2.0 / 5 * Math.Abs(0.5 - (0.95 + 0.94) / 2)
                        + 2.0 / 5 * Math.Abs(1.0 - (0.62 + 0.61) / 2)
                        + 1.0 / 5 * Math.Abs(0.0 - 0.35);
        Assert.Equal(expected, Metrics.ExpectedCalibrationError(conf, ok), 12);
    }

    [Fact]
    public void CalibrationBinsAreRightClosed()
    {
        Assert.Equal(0, Metrics.CalibrationBin(0.0));
        Assert.Equal(0, Metrics.CalibrationBin(1.0 / 15));
        Assert.Equal(1, Metrics.CalibrationBin(1.0 / 15 + 1e-9));
        Assert.Equal(14, Metrics.CalibrationBin(1.0));
    }

    [Fact]
    public void AccumulatorOverBatchesMatchesIndependentFloat64Computation()
    {
        var rng = new Random(3);
        int n = 50, c = 4;
        var logits = new float[n * c];
        var targets = new long[n];
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)(rng.NextDouble() * 6 - 3);
        for (int i = 0; i < n; i++) targets[i] = rng.Next(c);

        // Independent reference: softmax probabilities straight from the definition.
        double ce = 0; int correct = 0;
        var conf = new double[n]; var ok = new bool[n];
        for (int i = 0; i < n; i++)
        {
            double z = 0;
            for (int j = 0; j < c; j++) z += Math.Exp(logits[i * c + j]);
            ce += -Math.Log(Math.Exp(logits[i * c + (int)targets[i]]) / z);
            int best = 0;
            for (int j = 1; j < c; j++) if (logits[i * c + j] > logits[i * c + best]) best = j;
            conf[i] = Math.Exp(logits[i * c + best]) / z;
            ok[i] = best == targets[i];
            if (ok[i]) correct++;
        }
        double ece = 0;
        for (int b = 0; b < 15; b++)
        {
            double lo = b / 15.0, hi = (b + 1) / 15.0, sc = 0, sa = 0; int cnt = 0;
            for (int i = 0; i < n; i++)
                if (conf[i] > lo && conf[i] <= hi) { cnt++; sc += conf[i]; sa += ok[i] ? 1 : 0; }
            if (cnt > 0) ece += (double)cnt / n * Math.Abs(sa / cnt - sc / cnt);
        }

        var acc = new MetricsAccumulator(c);
        acc.Add(logits.AsSpan(0, 20 * c), targets.AsSpan(0, 20));
        acc.Add(logits.AsSpan(20 * c), targets.AsSpan(20));
        var r = acc.Result();
        Assert.Equal(n, r.Total);
        Assert.Equal(correct, r.Correct);
        Assert.Equal((double)correct / n, r.Accuracy);
        Support.Check.Close(ce / n, r.MeanCrossEntropy, 1e-12, 0, "mean CE");
        Support.Check.Close(ece, r.ExpectedCalibrationError, 1e-12, 1e-15, "ECE");
    }

    [Fact]
    public void CrossEntropyIsStableForLargeLogits()
    {
        // ln(1 + e^-1000) ≈ 0 for the right class, 1000 for the wrong one.
        Assert.Equal(0.0, Metrics.CrossEntropy([1000f, 0f], 0), 12);
        Assert.Equal(1000.0, Metrics.CrossEntropy([1000f, 0f], 1), 9);
    }

    [Fact]
    public void MismatchedBatchSizesAreRejected()
    {
        var acc = new MetricsAccumulator(3);
        var e = Assert.Throws<ArgumentException>(() => acc.Add(new float[12], new long[3]));
        Assert.Contains("batch_size", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => acc.Add(new float[3], new long[] { 3 }));
    }
}
