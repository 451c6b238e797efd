using System.Numerics.Tensors;
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
    /// <summary>What <see cref="Beyond(IDataset, double, int)"/> found.</summary>
    /// <param name="Count">Samples with an input value beyond the bound, or not finite.</param>
    /// <param name="NonFinite">Of those, samples with a value that is NaN or infinite.</param>
    /// <param name="First">The first few such samples' indices in the dataset, in order.</param>
    /// <param name="Largest">The largest magnitude among those whose values are all finite (0 when there is none).</param>
    /// <param name="LargestAt">The position in the sample (a feature, or a value of an image) of <paramref name="Largest"/>.</param>
    internal readonly record struct Outliers(int Count, int NonFinite, IReadOnlyList<int> First, double Largest, int LargestAt);

    /// <summary>
    /// The largest magnitude among <paramref name="sample"/>'s values and its position: NaN or infinity when the sample holds one,
    /// (0, -1) when it is empty. One vectorised pass.
    /// </summary>
    public static (float Magnitude, int At) Largest(ReadOnlySpan<float> sample)
    {
        if (sample.IsEmpty) return (0f, -1);
        int at = TensorPrimitives.IndexOfMaxMagnitude(sample); // the first NaN, when there is one
        return (Math.Abs(sample[at]), at);
    }

    /// <summary>
    /// Whether a sample whose <see cref="Largest"/> magnitude is <paramref name="magnitude"/> lies beyond <paramref name="limit"/>:
    /// past it, or not finite.
    /// </summary>
    public static bool Beyond(float magnitude, double limit) => !float.IsFinite(magnitude) || magnitude > limit;

    /// <summary>The largest finite magnitude among the inputs of <paramref name="data"/> (0 for none).</summary>
    public static double LargestMagnitude(IDataset data)
    {
        var sample = new float[DatasetChecks.SampleSize(data.SampleShape)];
        double largest = 0;
        for (int i = 0; i < data.Count; i++)
        {
            data.CopySample(i, sample);
            var (magnitude, _) = Largest(sample);
            if (float.IsFinite(magnitude)) largest = Math.Max(largest, magnitude);
            else
                foreach (float v in sample) // a NaN or infinity in training data: its finite values still count
                    if (float.IsFinite(v)) largest = Math.Max(largest, Math.Abs(v));
        }
        return largest;
    }

    /// <summary>
    /// The samples of <paramref name="data"/> that lie <see cref="Beyond(float, double)"/> <paramref name="limit"/>;
    /// <paramref name="keep"/> of their indices are kept.
    /// </summary>
    public static Outliers Beyond(IDataset data, double limit, int keep = 3)
    {
        var sample = new float[DatasetChecks.SampleSize(data.SampleShape)];
        var first = new List<int>();
        int count = 0, nonFinite = 0, largestAt = -1;
        double largest = 0;
        for (int i = 0; i < data.Count; i++)
        {
            data.CopySample(i, sample);
            var (magnitude, at) = Largest(sample);
            if (!Beyond(magnitude, limit)) continue;
            count++;
            if (!float.IsFinite(magnitude)) nonFinite++;
            else if (magnitude > largest) (largest, largestAt) = (magnitude, at);
            if (first.Count < keep) first.Add(i);
        }
        return new Outliers(count, nonFinite, first, largest, largestAt);
    }
}
