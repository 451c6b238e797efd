namespace Xent.Training;

/// <summary>
/// Classification metrics over logits and class-index targets: accuracy, confusion matrix,
/// per-class accuracy, mean cross-entropy and expected calibration error. Everything is computed
/// in float64 from float32 logits, so the numbers do not depend on batch boundaries.
/// </summary>
public static class Metrics
{
    /// <summary>The number of equal-width confidence bins of the standard ECE definition (Guo et al., 2017).</summary>
    public const int DefaultCalibrationBins = 15;

    /// <summary>
    /// Index of the largest value of <paramref name="row"/>; the first one on ties (like <c>torch.max</c> on CPU). NaN counts as largest.
    /// </summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        if (row.IsEmpty) throw new ArgumentException("ArgMax of an empty row.", nameof(row));
        int best = 0;
        float max = row[0];
        if (float.IsNaN(max)) return 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (float.IsNaN(row[i])) return i;
            if (row[i] > max) { max = row[i]; best = i; }
        }
        return best;
    }

    /// <summary>Fraction of <paramref name="predicted"/> equal to <paramref name="targets"/> (NaN when empty).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static double Accuracy(ReadOnlySpan<int> predicted, ReadOnlySpan<long> targets)
    {
        CheckSameLength(predicted.Length, targets.Length);
        if (predicted.IsEmpty) return double.NaN;
        int correct = 0;
        for (int i = 0; i < predicted.Length; i++) if (predicted[i] == targets[i]) correct++;
        return (double)correct / predicted.Length;
    }

    /// <summary>
    /// Confusion matrix with rows = true class and columns = predicted class:
    /// <c>m[t, p]</c> counts the samples of class <c>t</c> predicted as <c>p</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target or prediction is outside [0, <paramref name="numClasses"/>).</exception>
    public static long[,] ConfusionMatrix(ReadOnlySpan<int> predicted, ReadOnlySpan<long> targets, int numClasses)
    {
        CheckSameLength(predicted.Length, targets.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        var m = new long[numClasses, numClasses];
        for (int i = 0; i < predicted.Length; i++)
        {
            long t = targets[i];
            int p = predicted[i];
            if (t < 0 || t >= numClasses) throw new ArgumentOutOfRangeException(nameof(targets), $"Target {t} is out of bounds.");
            if (p < 0 || p >= numClasses) throw new ArgumentOutOfRangeException(nameof(predicted), $"Prediction {p} is out of bounds.");
            m[t, p]++;
        }
        return m;
    }

    /// <summary>Per-class accuracy (recall): the diagonal over each row's sum; NaN for a class with no samples.</summary>
    public static double[] PerClassAccuracy(long[,] confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        int c = confusion.GetLength(0);
        if (confusion.GetLength(1) != c) throw new ArgumentException("The confusion matrix must be square.", nameof(confusion));
        var result = new double[c];
        for (int t = 0; t < c; t++)
        {
            long row = 0;
            for (int p = 0; p < c; p++) row += confusion[t, p];
            result[t] = row == 0 ? double.NaN : (double)confusion[t, t] / row;
        }
        return result;
    }

    /// <summary>
    /// Cross-entropy of one row of logits against class <paramref name="target"/>, in float64:
    /// <c>logsumexp(x) − x[target]</c> with the row max subtracted first.
    /// </summary>
    public static double CrossEntropy(ReadOnlySpan<float> logits, long target)
    {
        if (target < 0 || target >= logits.Length)
            throw new ArgumentOutOfRangeException(nameof(target), $"Target {target} is out of bounds.");
        double max = double.NegativeInfinity;
        foreach (float v in logits) if (v > max || float.IsNaN(v)) max = v;
        if (double.IsNaN(max)) return double.NaN;
        if (double.IsNegativeInfinity(max)) return double.PositiveInfinity;
        double sum = 0;
        foreach (float v in logits) sum += Math.Exp(v - max);
        return Math.Log(sum) + max - logits[(int)target];
    }

    /// <summary>Mean cross-entropy over the rows of an (N, C) row-major logits matrix.</summary>
    public static double MeanCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int numClasses)
    {
        CheckRows(logits.Length, targets.Length, numClasses);
        if (targets.IsEmpty) return double.NaN;
        double sum = 0;
        for (int i = 0; i < targets.Length; i++) sum += CrossEntropy(logits.Slice(i * numClasses, numClasses), targets[i]);
        return sum / targets.Length;
    }

    /// <summary>
    /// Softmax probability of the arg-max class, the "confidence" of the calibration literature, in float64.
    /// </summary>
    public static double Confidence(ReadOnlySpan<float> logits)
    {
        int p = ArgMax(logits);
        double max = logits[p];
        if (double.IsNaN(max)) return double.NaN;
        double sum = 0;
        foreach (float v in logits) sum += Math.Exp(v - max);
        return 1.0 / sum;
    }

    /// <summary>
    /// Calibration bin of a confidence for <paramref name="bins"/> equal-width bins over [0, 1]:
    /// bin m holds (m/M, (m+1)/M], and a confidence of exactly 0 goes to bin 0.
    /// </summary>
    public static int CalibrationBin(double confidence, int bins = DefaultCalibrationBins)
    {
        int b = (int)Math.Ceiling(confidence * bins) - 1;
        return Math.Clamp(b, 0, bins - 1);
    }

    /// <summary>
    /// Expected calibration error: Σ_m |B_m|/n · |acc(B_m) − conf(B_m)| over <paramref name="bins"/> equal-width
    /// confidence bins (see <see cref="CalibrationBin"/>). NaN when empty.
    /// </summary>
    public static double ExpectedCalibrationError(ReadOnlySpan<double> confidences, ReadOnlySpan<bool> correct,
        int bins = DefaultCalibrationBins)
    {
        CheckSameLength(confidences.Length, correct.Length);
        var acc = new CalibrationAccumulator(bins);
        for (int i = 0; i < confidences.Length; i++) acc.Add(confidences[i], correct[i]);
        return acc.Error;
    }

    /// <summary>Evaluates a whole (N, C) logits matrix at once; see <see cref="MetricsAccumulator"/> for batches.</summary>
    public static EvaluationResult Evaluate(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int numClasses)
    {
        var acc = new MetricsAccumulator(numClasses);
        acc.Add(logits, targets);
        return acc.Result();
    }

    private static void CheckSameLength(int a, int b)
    {
        if (a != b) throw new ArgumentException($"Expected the same number of predictions ({a}) and targets ({b}).");
    }

    internal static void CheckRows(int logitsLength, int targets, int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        if (logitsLength != targets * numClasses)
            throw new ArgumentException($"Expected input batch_size ({logitsLength / numClasses}) to match target batch_size ({targets}).");
    }

    /// <summary>
    /// Per-class (true positives, false positives, false negatives) from a confusion matrix (rows true, columns predicted).
    /// </summary>
    public static (long Tp, long Fp, long Fn)[] ClassCounts(long[,] confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        int k = confusion.GetLength(0);
        var counts = new (long, long, long)[k];
        for (int c = 0; c < k; c++)
        {
            long row = 0, col = 0;
            for (int j = 0; j < k; j++) { row += confusion[c, j]; col += confusion[j, c]; }
            long tp = confusion[c, c];
            counts[c] = (tp, col - tp, row - tp);
        }
        return counts;
    }

    /// <summary>Binary cross-entropy of one logit against a 0/1 target, in float64: <c>max(x, 0) − x·y + log(1 + e^−|x|)</c>.</summary>
    public static double BinaryCrossEntropyWithLogits(float logit, float target)
    {
        double x = logit;
        return Math.Max(x, 0) - x * target + Math.Log(1 + Math.Exp(-Math.Abs(x)));
    }
}
