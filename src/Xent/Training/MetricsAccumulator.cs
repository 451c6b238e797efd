namespace Xent.Training;

/// <summary>
/// Accumulates classification metrics batch by batch (an evaluation pass over a test loader)
/// and produces an <see cref="EvaluationResult"/>.
/// </summary>
public sealed class MetricsAccumulator
{
    private readonly long[,] _confusion;
    private readonly CalibrationAccumulator _calibration = new();
    private double _ceSum;
    private long _total;

    /// <summary>Creates an empty accumulator for <paramref name="numClasses"/> classes.</summary>
    public MetricsAccumulator(int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        NumClasses = numClasses;
        _confusion = new long[numClasses, numClasses];
    }

    /// <summary>Number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>Adds a batch: <paramref name="logits"/> is (N, C) row-major, <paramref name="targets"/> holds N class indices.</summary>
    public void Add(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets)
    {
        int c = NumClasses;
        Metrics.CheckRows(logits.Length, targets.Length, c);
        for (int i = 0; i < targets.Length; i++)
        {
            var row = logits.Slice(i * c, c);
            long t = targets[i];
            if (t < 0 || t >= c) throw new ArgumentOutOfRangeException(nameof(targets), $"Target {t} is out of bounds.");
            int p = Metrics.ArgMax(row);
            _confusion[t, p]++;
            _ceSum += Metrics.CrossEntropy(row, t);
            _calibration.Add(Metrics.Confidence(row), p == t);
            _total++;
        }
    }

    /// <summary>Adds a batch from tensors: (N, C) float32 logits and (N,) int64 targets.</summary>
    public void Add(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        Add(logits.Data, targets.Int64Data);
    }

    /// <summary>The metrics of everything added so far.</summary>
    public EvaluationResult Result()
    {
        long correct = 0;
        for (int k = 0; k < NumClasses; k++) correct += _confusion[k, k];
        return new EvaluationResult(
            Correct: correct,
            Total: _total,
            MeanCrossEntropy: _total == 0 ? double.NaN : _ceSum / _total,
            ExpectedCalibrationError: _calibration.Error,
            PerClassAccuracy: Metrics.PerClassAccuracy(_confusion),
            ConfusionMatrix: (long[,])_confusion.Clone());
    }
}
