namespace Xent.Training;

/// <summary>The metrics of one evaluation pass.</summary>
/// <param name="Correct">Samples whose arg-max matches the target (multi-label: whose every label is right).</param>
/// <param name="Total">Samples evaluated.</param>
/// <param name="MeanCrossEntropy">Mean cross-entropy (natural log), float64; for multi-label, the mean binary cross-entropy per
/// label.</param>
/// <param name="ExpectedCalibrationError">ECE with 15 equal-width bins (NaN for multi-label).</param>
/// <param name="PerClassAccuracy">Recall of each class (NaN for a class without samples); for multi-label, each label's accuracy.</param>
/// <param name="ConfusionMatrix">Rows = true class, columns = predicted class (empty for multi-label).</param>
public sealed record EvaluationResult(
    long Correct,
    long Total,
    double MeanCrossEntropy,
    double ExpectedCalibrationError,
    double[] PerClassAccuracy,
    long[,] ConfusionMatrix)
{
    /// <summary>Correct / Total as a fraction (NaN when empty); for multi-label, the subset accuracy.</summary>
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;

    /// <summary>True when the outputs were independent labels (sigmoid) rather than exclusive classes.</summary>
    public bool MultiLabel { get; init; }

    /// <summary>Per-class (or per-label) true positives, false positives and false negatives.</summary>
    public (long Tp, long Fp, long Fn)[] Counts { get; init; } = Metrics.ClassCounts(ConfusionMatrix);

    /// <summary>Per-class precision tp / (tp + fp); 0 where nothing was predicted as the class (scikit-learn's zero_division=0).</summary>
    public double[] Precision => Counts.Select(c => c.Tp + c.Fp == 0 ? 0 : (double)c.Tp / (c.Tp + c.Fp)).ToArray();

    /// <summary>
    /// Per-class recall tp / (tp + fn); NaN for a class without samples, where it is undefined (scikit-learn warns and writes 0), as
    /// <see cref="PerClassAccuracy"/>, the same quantity, is: terminal, report and JSON wrote 0.0000, "–" and 0 for one class.
    /// </summary>
    public double[] Recall => Counts.Select(c => c.Tp + c.Fn == 0 ? double.NaN : (double)c.Tp / (c.Tp + c.Fn)).ToArray();

    /// <summary>Per-class F1, 2tp / (2tp + fp + fn) (the harmonic mean of precision and recall); 0 when undefined.</summary>
    public double[] F1 => Counts.Select(c => 2 * c.Tp + c.Fp + c.Fn == 0 ? 0 : 2.0 * c.Tp / (2 * c.Tp + c.Fp + c.Fn)).ToArray();

    /// <summary>
    /// Unweighted mean F1 over the classes that occur as a target or a prediction (scikit-learn's <c>f1_score(average='macro')</c>
    /// with its default labels); NaN when there are none.
    /// </summary>
    public double MacroF1
    {
        get
        {
            var f1 = F1;
            double sum = 0;
            int n = 0;
            for (int k = 0; k < Counts.Length; k++)
            {
                var c = Counts[k];
                if (c.Tp + c.Fp + c.Fn == 0) continue;
                sum += f1[k];
                n++;
            }
            return n == 0 ? double.NaN : sum / n;
        }
    }
}
