using Xent.Data;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// train's warning, before it trains, when held-out inputs lie far outside the range of the training inputs
/// (<see cref="InputRange"/>): which samples, how far, and what such a value usually is. Without it a single cell of 1E+38 in
/// a test file gave a test loss of 1E+36, or NaN, and nothing said where to look.
/// </summary>
internal static class TestRangeWarning
{
    /// <summary>How many of the samples found are named.</summary>
    private const int Named = 3;

    /// <summary>
    /// The warning (with <c>Warning:</c>), or null when every test input is within range. <paramref name="train"/> and
    /// <paramref name="test"/> are standardised as the model sees them; <paramref name="heldOut"/>, when the test samples were held
    /// out of <paramref name="path"/>, gives each one's index there (else they are <paramref name="path"/>'s own, in order), and
    /// <paramref name="files"/> each sample's file of an image folder (null otherwise).
    /// </summary>
    public static string? For(IDataset train, IDataset test, ModelSpec spec, string path, DataSourceKind kind,
        IReadOnlyList<int>? heldOut, IReadOnlyList<string>? files)
    {
        double trainMax = InputRange.LargestMagnitude(train);
        if (trainMax == 0) return null; // no range to hold them against
        var found = InputRange.Beyond(test, NonFiniteHeldOut.RangeFactor * trainMax, Named);
        if (found.Count == 0) return null;
        int k = found.Count;
        bool one = k == 1;
        string feature = spec.InputKind == ModelSpec.FeatureInput && spec.FeatureNames is { } names && found.LargestAt >= 0
            && found.LargestAt < names.Length ? $" in feature '{names[found.LargestAt]}'" : "";
        string these = one ? "this sample" : "these samples";
        var reach = new List<string>();
        if (found.Largest > 0)
            reach.Add($"{these} {(one ? "reaches" : "reach up to")} {NonFiniteHeldOut.Magnitude(found.Largest)}{feature}");
        if (found.NonFinite > 0)
            reach.Add($"{(one ? "this sample has" : $"{found.NonFinite} of them have")} a value that is not finite once standardised " +
                "(NaN, or beyond float32's range)");
        var indices = found.First.Select(i => heldOut is null ? i : heldOut[i]).ToList();
        string where = files is not null && heldOut is not null
            ? $"{(one ? "It is" : "They are")} {string.Join(", ", indices.Select(i => $"'{files[i]}'"))}{(k > Named ? ", …" : "")}"
            : $"{(one ? "It is sample" : "They are samples")} {string.Join(", ", indices)}{(k > Named ? ", …" : "")} of '{path}' " +
                $"(counted from 0{(kind == DataSourceKind.Csv ? ", the header not counted" : "")})";
        return CliHost.Clean($"Warning: {k} of the {test.Count} test samples {(one ? "has" : "have")} inputs beyond " +
            $"{NonFiniteHeldOut.Magnitude(NonFiniteHeldOut.RangeFactor)} times the range of the training inputs, as the model sees " +
            $"them (standardised): the training inputs reach {NonFiniteHeldOut.Magnitude(trainMax)}, {string.Join("; ", reach)}. " +
            $"{where}. A value in other units, a missing-value code (-9999) or an overflow? The model's outputs there extrapolate far " +
            "from its training, so such a sample can dominate the test loss or make it NaN.");
    }
}
