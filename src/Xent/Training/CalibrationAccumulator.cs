namespace Xent.Training;

/// <summary>Streaming per-bin sums for the expected calibration error.</summary>
public sealed class CalibrationAccumulator
{
    private readonly long[] _count;
    private readonly double[] _confidence;
    private readonly long[] _correct;

    /// <summary>Creates an accumulator with <paramref name="bins"/> equal-width bins.</summary>
    public CalibrationAccumulator(int bins = Metrics.DefaultCalibrationBins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        _count = new long[bins];
        _confidence = new double[bins];
        _correct = new long[bins];
    }

    /// <summary>Adds one sample.</summary>
    public void Add(double confidence, bool correct)
    {
        int b = Metrics.CalibrationBin(confidence, _count.Length);
        _count[b]++;
        _confidence[b] += confidence;
        if (correct) _correct[b]++;
    }

    /// <summary>The expected calibration error of the samples so far (NaN when none).</summary>
    public double Error
    {
        get
        {
            long n = 0;
            foreach (long c in _count) n += c;
            if (n == 0) return double.NaN;
            double ece = 0;
            for (int b = 0; b < _count.Length; b++)
            {
                if (_count[b] == 0) continue;
                double gap = Math.Abs((double)_correct[b] / _count[b] - _confidence[b] / _count[b]);
                ece += (double)_count[b] / n * gap;
            }
            return ece;
        }
    }
}
