using Xent.Data;

namespace Xent.Cli.Commands;

/// <summary>
/// Checks that a dataset the CLI loaded can be used at all, before training or evaluating: samples exist, and the
/// images are the size the models take. Each failure is an <see cref="InvalidDataException"/> naming the file (exit code 2).
/// </summary>
internal static class DataChecks
{
    /// <summary>The image size of the catalog's models (MNIST's 28 × 28).</summary>
    public const int ModelImageSize = 28;

    /// <summary>Throws when <paramref name="dataset"/> holds no samples (an evaluation of nothing has no accuracy).</summary>
    /// <param name="dataset">The loaded set.</param>
    /// <param name="source">Names it in the message (a file or folder).</param>
    public static void RequireSamples(IDataset dataset, string source)
    {
        if (dataset.Count == 0)
            throw new InvalidDataException($"'{source}' holds 0 samples; there is nothing to train on or evaluate.");
    }

    /// <summary>
    /// Throws when <paramref name="dataset"/>'s samples do not have <paramref name="expected"/>'s shape (e.g. 27 × 27 test images
    /// for a model trained on 28 × 28), which would otherwise fail deep in a layer with a shape error after a whole epoch.
    /// </summary>
    /// <param name="dataset">The loaded set.</param>
    /// <param name="expected">The shape of one sample the model takes.</param>
    /// <param name="source">Names the set in the message (a file or folder).</param>
    /// <param name="expectedFrom">Where <paramref name="expected"/> comes from ("the training set", "the model").</param>
    public static void RequireSampleShape(IDataset dataset, IReadOnlyList<int> expected, string source, string expectedFrom)
    {
        if (!dataset.SampleShape.SequenceEqual(expected))
            throw new InvalidDataException(
                $"'{source}' holds samples of shape {string.Join(" x ", dataset.SampleShape)}, but {expectedFrom} takes " +
                    $"{string.Join(" x ", expected)}.");
    }

    /// <summary>Throws when <paramref name="dataset"/>'s images are not the <paramref name="model"/>'s input size.</summary>
    public static void RequireModelImageSize(MnistDataset dataset, string model)
    {
        if (dataset.Height != ModelImageSize || dataset.Width != ModelImageSize)
            throw new InvalidDataException(
                $"'{dataset.ImagesPath}' holds {dataset.Height} x {dataset.Width} images; the {model} model takes {ModelImageSize} x " +
                    $"{ModelImageSize} (MNIST's size).");
    }
}
