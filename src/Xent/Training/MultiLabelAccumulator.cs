namespace Xent.Training;

/// <summary>
/// Accumulates multi-label metrics batch by batch: a label is predicted when its logit is positive (probability above 0.5).
/// The result's <see cref="EvaluationResult.Correct"/> counts samples with every label right (subset accuracy),
/// <see cref="EvaluationResult.MeanCrossEntropy"/> is the mean binary cross-entropy per label (<c>mean_bce</c>),
/// <see cref="EvaluationResult.PerClassAccuracy"/> holds each label's accuracy and <see cref="EvaluationResult.Counts"/> its tp/fp/fn.
/// </summary>
public sealed class MultiLabelAccumulator
{
    private readonly long[] _tp, _fp, _fn, _right;
    private double _bceSum;
    private long _total, _exact;

    /// <summary>Creates an empty accumulator for <paramref name="numLabels"/> labels.</summary>
    public MultiLabelAccumulator(int numLabels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numLabels, 1);
        NumLabels = numLabels;
        _tp = new long[numLabels];
        _fp = new long[numLabels];
        _fn = new long[numLabels];
        _right = new long[numLabels];
    }

    /// <summary>Number of labels.</summary>
    public int NumLabels { get; }

    /// <summary>Adds a batch: (N, L) logits and (N, L) 0/1 targets, row-major.</summary>
    public void Add(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets)
    {
        int l = NumLabels;
        if (logits.Length != targets.Length || logits.Length % l != 0)
            throw new ArgumentException($"{logits.Length} logits and {targets.Length} targets are not N rows of {l} labels.");
        for (int i = 0; i < logits.Length / l; i++)
        {
            bool all = true;
            for (int k = 0; k < l; k++)
            {
                float x = logits[i * l + k], y = targets[i * l + k];
                bool p = x > 0, t = y > 0.5f;
                if (p && t) _tp[k]++;
                else if (p) _fp[k]++;
                else if (t) _fn[k]++;
                if (p == t) _right[k]++;
                else all = false;
                _bceSum += Metrics.BinaryCrossEntropyWithLogits(x, y);
            }
            if (all) _exact++;
            _total++;
        }
    }

    /// <summary>Adds a batch from tensors: (N, L) float32 logits and (N, L) float32 0/1 targets.</summary>
    public void Add(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        Add(logits.Data, targets.Data);
    }

    /// <summary>The metrics of everything added so far.</summary>
    public EvaluationResult Result() => new(
        Correct: _exact,
        Total: _total,
        MeanCrossEntropy: _total == 0 ? double.NaN : _bceSum / (_total * NumLabels),
        ExpectedCalibrationError: double.NaN,
        PerClassAccuracy: _right.Select(r => _total == 0 ? double.NaN : (double)r / _total).ToArray(),
        ConfusionMatrix: new long[0, 0])
    {
        MultiLabel = true,
        Counts = Enumerable.Range(0, NumLabels).Select(k => (_tp[k], _fp[k], _fn[k])).ToArray(),
    };
}
