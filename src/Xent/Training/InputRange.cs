using Xent.Data;

namespace Xent.Training;

/// <summary>
/// Held-out inputs far outside the range of the training inputs, as the model sees them (standardised): a value in other
/// units, a missing-value code (-9999) or an overflow in the test data. The model's outputs there extrapolate far from anything
/// it was trained on, so one such sample can dominate the mean test loss (1E+36 from a single 1E+38 cell) or make it NaN, with
/// no other sign; <c>xent train</c> says so before it trains. The bound is <see cref="NonFiniteHeldOut.RangeFactor"/> times the
/// largest training magnitude, the one the NaN-loss diagnosis uses.
/// </summary>
internal static class InputRange
{
    /// <summary>What <see cref="Beyond"/> found.</summary>
    /// <param name="Count">Samples with an input value beyond the bound, or not finite.</param>
    /// <param name="NonFinite">Of those, samples with a value that is NaN or infinite.</param>
    /// <param name="First">The first few such samples' indices in the dataset, in order.</param>
    /// <param name="Largest">The largest finite magnitude among their values (0 when every one is not finite).</param>
    /// <param name="LargestAt">The position in the sample (a feature, or a value of an image) of <paramref name="Largest"/>.</param>
    internal readonly record struct Outliers(int Count, int NonFinite, IReadOnlyList<int> First, double Largest, int LargestAt);

    /// <summary>The largest finite magnitude among the inputs of <paramref name="data"/> (0 for none).</summary>
    public static double LargestMagnitude(IDataset data)
    {
        var sample = new float[DatasetChecks.SampleSize(data.SampleShape)];
        double largest = 0;
        for (int i = 0; i < data.Count; i++)
        {
            data.CopySample(i, sample);
            foreach (float v in sample)
                if (float.IsFinite(v)) largest = Math.Max(largest, Math.Abs(v));
        }
        return largest;
    }

    /// <summary>
    /// The samples of <paramref name="data"/> with an input value whose magnitude passes <paramref name="limit"/> or that is not
    /// finite; <paramref name="keep"/> of their indices are kept.
    /// </summary>
    public static Outliers Beyond(IDataset data, double limit, int keep = 3)
    {
        var sample = new float[DatasetChecks.SampleSize(data.SampleShape)];
        var first = new List<int>();
        int count = 0, nonFinite = 0, at = -1;
        double largest = 0;
        for (int i = 0; i < data.Count; i++)
        {
            data.CopySample(i, sample);
            bool far = false, infinite = false;
            for (int j = 0; j < sample.Length; j++)
            {
                float v = sample[j];
                if (!float.IsFinite(v)) far = infinite = true;
                else if (Math.Abs(v) > limit)
                {
                    far = true;
                    if (Math.Abs(v) > largest) (largest, at) = (Math.Abs(v), j);
                }
            }
            if (!far) continue;
            count++;
            if (infinite) nonFinite++;
            if (first.Count < keep) first.Add(i);
        }
        return new Outliers(count, nonFinite, first, largest, at);
    }
}
