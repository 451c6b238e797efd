using System.Globalization;
using Xent.Data;

namespace Xent.Training;

/// <summary>
/// Tells when an image model is given inputs on another scale than it was trained on. Image files, IDX files and uint8 arrays are
/// read as pixels in [0, 1]; a float array is taken as it is. A model trained on a float array of 0–255 values (the usual
/// <c>x.astype(np.float32)</c>) then sees PNGs 255 times too dark, and a model trained on pixels sees such an array 255 times too
/// bright: both predict one class for everything, without an error. The checkpoint's <c>setting.input_scale</c> only names the
/// scale ("values on the training data's scale"), it holds no factor to apply; the spec's per-channel mean and std tell the
/// scale itself, and that is what is compared.
/// </summary>
internal static class InputScale
{
    /// <summary>
    /// How many times larger or smaller the inputs' magnitude must be to be called another scale (0–255 against [0, 1] is 255).
    /// </summary>
    private const double Ratio = 30;

    /// <summary>
    /// Why <paramref name="raw"/> (read from <paramref name="path"/>) looks like another scale than <paramref name="spec"/>'s training
    /// data, or null (also for a feature model, whose columns have scales of their own).
    /// </summary>
    internal static string? Mismatch(ModelSpec spec, ArrayDataset raw, string path)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(raw);
        if (spec.InputKind != ModelSpec.ImageInput || raw.Count == 0) return null;
        if (raw.HoldsPixels) return PixelMismatch(spec, path);
        // E[x²] = mean² + std² per channel (population std, as the spec's), averaged over the channels.
        double trained = Math.Sqrt(spec.Mean.Zip(spec.Std, (m, s) => (double)m * m + (double)s * s).Average());
        double given = raw.RootMeanSquare();
        bool larger = given > 1 && given > Ratio * trained, smaller = trained > 1 && given > 0 && trained > Ratio * given;
        if (!larger && !smaller) return null;
        var ci = CultureInfo.InvariantCulture;
        return $"'{path}' holds values of root mean square {given.ToString("G3", ci)}, but the model was trained on values of " +
            $"{trained.ToString("G3", ci)}: another scale ({(larger ? "0-255 against [0, 1]?" : "[0, 1] against 0-255?")}), so its " +
            $"predictions are likely wrong. Give the values on the training data's scale ({(larger ? "divide" : "multiply")} them by 255).";
    }

    /// <summary>
    /// For inputs read as pixels in [0, 1] (image files, IDX, a uint8 array): why <paramref name="spec"/>'s training data was not, or
    /// null. A channel mean above 1 cannot come from pixels in [0, 1].
    /// </summary>
    internal static string? PixelMismatch(ModelSpec spec, string path)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.InputKind != ModelSpec.ImageInput || spec.Mean.Max() <= 1) return null;
        return $"'{path}' is read as pixels in [0, 1], but the model was trained on values of mean " +
            $"{spec.Mean.Max().ToString("G3", CultureInfo.InvariantCulture)}, not pixels in [0, 1] (a float array of 0-255, say), so " +
            "its predictions on these inputs are likely wrong. Train it on a uint8 array, or on the float array divided by 255.";
    }

    /// <summary>Warns (once per path) when <see cref="Mismatch"/> finds one.</summary>
    internal static void Warn(ModelSpec spec, ArrayDataset raw, string path)
    {
        if (Mismatch(spec, raw, path) is { } why) Diagnostics.Warnings.Warn($"input-scale:{path}", why);
    }
}
