using Xent.Data;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>
/// <see cref="InputScale"/>: an image model given inputs on another scale than its training data (0–255 floats against pixels in
/// [0, 1], either way round) is told about; inputs on its own scale are not.
/// </summary>
public class InputScaleTests
{
    private static ModelSpec Spec(float mean, float std, string kind = ModelSpec.ImageInput) => new()
    {
        Model = "mlp", InputKind = kind, InputShape = kind == ModelSpec.ImageInput ? [1, 2, 2] : [4], ClassNames = ["a", "b"],
        Mean = [mean], Std = [std], Hidden = [4],
    };

    private static ArrayDataset Floats(params float[] values) => new(values, [1, 2, 2], new long[values.Length / 4], ["a", "b"]);

    private static ArrayDataset Pixels(params byte[] values) =>
        ArrayDataset.FromPixels(values, [1, 2, 2], new long[values.Length / 4], ["a", "b"]);

    [Fact]
    public void PixelsGivenToAModelOfZeroTo255ValuesAreTold()
    {
        // QA: trained on x.astype(np.float32) (mean 126), the PNGs predicted one class at 0.995 without a word.
        string? why = InputScale.Mismatch(Spec(126f, 90f), Pixels(0, 80, 160, 255), "pngs");
        Assert.Equal("'pngs' is read as pixels in [0, 1], but the model was trained on values of mean 126, not pixels in [0, 1] (a " +
            "float array of 0-255, say), so its predictions on these inputs are likely wrong. Train it on a uint8 array, or on the " +
            "float array divided by 255.", why);
        // A model of pixels takes pixels, however dark or bright they are.
        Assert.Null(InputScale.Mismatch(Spec(0.45f, 0.3f), Pixels(0, 0, 0, 0), "black.png"));
        Assert.Null(InputScale.Mismatch(Spec(0.99f, 0.02f), Pixels(255, 255, 255, 255), "white.png"));
    }

    [Fact]
    public void FloatsOnAnotherScaleThanTheTrainingDataAreTold()
    {
        // Root mean squares: trained sqrt(0.4^2 + 0.3^2) = 0.5; given sqrt((100^2 + 200^2 + 0 + 100^2) / 4) = sqrt(15000).
        string? larger = InputScale.Mismatch(Spec(0.4f, 0.3f), Floats(100, 200, 0, 100), "x.npy");
        Assert.Equal("'x.npy' holds values of root mean square 122, but the model was trained on values of 0.5: another scale " +
            "(0-255 against [0, 1]?), so its predictions are likely wrong. Give the values on the training data's scale (divide " +
            "them by 255).", larger);
        // Trained sqrt(120^2 + 50^2) = 130; given sqrt((0.25 + 0.25 + 0.25 + 0.25) / 4) = 0.5.
        string? smaller = InputScale.Mismatch(Spec(120f, 50f), Floats(0.5f, -0.5f, 0.5f, 0.5f), "x.npy");
        Assert.Equal("'x.npy' holds values of root mean square 0.5, but the model was trained on values of 130: another scale " +
            "([0, 1] against 0-255?), so its predictions are likely wrong. Give the values on the training data's scale (multiply " +
            "them by 255).", smaller);
        // The same scale, 30 times off at most, an all-zero input (no scale to tell) and NaN (missing) values: nothing to say.
        Assert.Null(InputScale.Mismatch(Spec(120f, 50f), Floats(10, 200, 255, float.NaN), "x.npy"));
        Assert.Null(InputScale.Mismatch(Spec(0.4f, 0.3f), Floats(0.9f, 1, 14, 0), "x.npy"));
        Assert.Null(InputScale.Mismatch(Spec(120f, 50f), Floats(0, 0, 0, 0), "x.npy"));
        // Feature columns have scales of their own.
        var features = new ArrayDataset([1000f, 2000f, 3000f, 4000f], [4], [0L], ["a", "b"]);
        Assert.Null(InputScale.Mismatch(Spec(0.4f, 0.3f, ModelSpec.FeatureInput) with { Mean = new float[4], Std = [1f, 1f, 1f, 1f] },
            features, "x.csv"));
    }
}
