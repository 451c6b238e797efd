using Xent.Data;

namespace Xent.Cli.Commands;

/// <summary>
/// Where the CLI finds its data and how it loads it: an MNIST-format folder (four IDX files, gzipped or
/// not) read by <see cref="MnistDataset"/> with the seeds' transform <c>ToTensor, Normalize(0.1307, 0.3081)</c>,
/// batched by <see cref="DataLoader"/>.
/// </summary>
internal static class DataSource
{
    /// <summary>Where the CLI looks when no <c>--data</c> is given (Debian package <c>dataset-fashion-mnist</c>).</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    private static readonly string[] TrainFiles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"];
    private static readonly string[] TestFiles = ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>Null when <paramref name="directory"/> holds the IDX files needed; otherwise what is missing.</summary>
    public static string? Missing(string directory, bool needTrain = true)
    {
        if (!Directory.Exists(directory)) return $"directory '{directory}' does not exist";
        var missing = new List<string>();
        foreach (var f in needTrain ? [.. TrainFiles, .. TestFiles] : TestFiles)
        {
            try { IdxReader.FindFile(directory, f); }
            catch (FileNotFoundException) { missing.Add(f + "[.gz]"); }
        }
        return missing.Count == 0 ? null : $"'{directory}' lacks {string.Join(", ", missing)}";
    }

    /// <summary>The one message shown when no dataset is found (exit code 2).</summary>
    public static string NotFoundMessage(string directory, bool needTrain = true) =>
        $"No MNIST-format dataset found: {Missing(directory, needTrain)}. " +
        "Install Fashion-MNIST with `sudo apt-get install dataset-fashion-mnist`, or pass --data DIR with the four IDX files " +
        "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; gzipped or not).";

    /// <summary>The train or test split with the seeds' normalisation.</summary>
    public static MnistDataset Load(string directory, bool train) =>
        new(directory, train, new Compose(new ToTensor(), new Normalize(0.1307, 0.3081)));

    /// <summary>Batches of (B, 1, 28, 28) inputs and (B) targets; shuffled with a generator seeded by <paramref name="seed"/>.</summary>
    public static DataLoader Batches(MnistDataset dataset, int batchSize, bool shuffle, long seed = 0) =>
        // Batch tensors are refilled in place: the trainer and evaluator drop each batch before taking the next.
        new(dataset, batchSize, shuffle, new Generator(seed), dropLast: false, reuseBuffers: true);
}
