namespace Xent.Training;

/// <summary>
/// What <see cref="EvaluationReportWriter"/> renders: one evaluation of a checkpoint on labelled data, with the reliability
/// diagram's bins before and after the checkpoint's temperature (<see cref="WithReliability"/>).
/// </summary>
/// <param name="Title">Heading of the page.</param>
/// <param name="Settings">Name/value pairs shown in a table (checkpoint, model, data, ...), in order.</param>
/// <param name="ClassNames">One name per class (or label), in output order.</param>
/// <param name="Result">The metrics, at the checkpoint's temperature.</param>
public sealed record EvaluationReport(
    string Title,
    IReadOnlyList<KeyValuePair<string, string>> Settings,
    IReadOnlyList<string> ClassNames,
    EvaluationResult Result)
{
    /// <summary>
    /// Warnings the command printed about this evaluation (without "Warning: "), shown above the summary: that the data is the
    /// checkpoint's training data. The writer adds the one about non-finite outputs (<see cref="NonFiniteOutputs"/>) itself.
    /// </summary>
    internal IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The temperature the logits are divided by (<see cref="ModelSpec.Temperature"/>; 1 when uncalibrated).</summary>
    public double Temperature { get; init; } = 1;

    /// <summary>Reliability bins of softmax(logits), T = 1; null when not computed (a multi-label model has none).</summary>
    public IReadOnlyList<ReliabilityBin>? Uncalibrated { get; init; }

    /// <summary>Reliability bins of softmax(logits / T) when T ≠ 1, else null.</summary>
    public IReadOnlyList<ReliabilityBin>? Calibrated { get; init; }

    /// <summary>Mean cross-entropy at T = 1 (NaN when not computed).</summary>
    public double UncalibratedCrossEntropy { get; init; } = double.NaN;

    /// <summary>Mean cross-entropy at T (NaN when not computed or T = 1).</summary>
    public double CalibratedCrossEntropy { get; init; } = double.NaN;

    /// <summary>
    /// This report with the reliability bins and mean cross-entropies of the raw (N, C) <paramref name="logits"/> at T = 1 and,
    /// when <paramref name="temperature"/> ≠ 1, of logits / T divided in float32 as <see cref="TemperatureScaled"/> divides
    /// them, so the calibrated bins give exactly the ECE that evaluating the scaled model reports.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes disagree with <see cref="ClassNames"/> or a target is out of range.</exception>
    public EvaluationReport WithReliability(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, float temperature)
    {
        int classes = ClassNames.Count;
        if (!(temperature > 0f) || !float.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be finite and positive.");
        var report = this with
        {
            Temperature = temperature,
            Uncalibrated = ReliabilityDiagram.Bins(logits, targets, classes),
            UncalibratedCrossEntropy = TemperatureScaling.MeanNll(logits, targets, classes, 1),
            Calibrated = null,
            CalibratedCrossEntropy = double.NaN,
        };
        if (temperature == 1f) return report;
        var scaled = new float[logits.Length];
        for (int i = 0; i < scaled.Length; i++) scaled[i] = logits[i] / temperature;
        return report with
        {
            Calibrated = ReliabilityDiagram.Bins(scaled, targets, classes),
            CalibratedCrossEntropy = TemperatureScaling.MeanNll(scaled, targets, classes, 1),
        };
    }

    /// <summary>The expected calibration error of reliability bins: Σ_m |B_m|/n · |acc(B_m) − conf(B_m)| (NaN when empty).</summary>
    public static double ExpectedCalibrationError(IReadOnlyList<ReliabilityBin> bins)
    {
        ArgumentNullException.ThrowIfNull(bins);
        long n = bins.Sum(b => b.Count);
        if (n == 0) return double.NaN;
        double ece = 0;
        foreach (var b in bins)
            if (b.Count > 0) ece += (double)b.Count / n * Math.Abs(b.Accuracy - b.MeanConfidence);
        return ece;
    }
}
