using Xent.Data;

namespace Xent.Cli.Commands;

/// <summary>
/// One split of an MNIST-format dataset (four IDX files, gzipped or not) as normalised float32 images
/// (<c>(x/255 − 0.1307) / 0.3081</c>, the seeds' transform) and int64 labels, served in batches.
/// </summary>
internal sealed class DataSource
{
    /// <summary>Where the CLI looks when no <c>--data</c> is given (Debian package <c>dataset-fashion-mnist</c>).</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    public const float Mean = 0.1307f, Std = 0.3081f;

    private DataSource(float[] images, long[] labels, int count)
    {
        Images = images;
        Labels = labels;
        Count = count;
    }

    public float[] Images { get; }
    public long[] Labels { get; }
    public int Count { get; }
    public const int Pixels = 28 * 28;

    /// <summary>The four file names every split needs.</summary>
    public static readonly string[] Files = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>Null when <paramref name="directory"/> holds all four IDX files; otherwise what is missing.</summary>
    public static string? Missing(string directory)
    {
        if (!Directory.Exists(directory)) return $"directory '{directory}' does not exist";
        var missing = new List<string>();
        foreach (var f in Files)
        {
            try { IdxReader.FindFile(directory, f); }
            catch (FileNotFoundException) { missing.Add(f + "[.gz]"); }
        }
        return missing.Count == 0 ? null : $"'{directory}' lacks {string.Join(", ", missing)}";
    }

    /// <summary>The one message shown when no dataset is found (exit code 2).</summary>
    public static string NotFoundMessage(string directory) =>
        $"No MNIST-format dataset found: {Missing(directory)}. " +
        "Install Fashion-MNIST with `sudo apt-get install dataset-fashion-mnist`, or pass --data DIR with the four IDX files " +
        "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; gzipped or not).";

    /// <summary>Loads the train or test split of <paramref name="directory"/>.</summary>
    public static DataSource Load(string directory, bool train)
    {
        string prefix = train ? "train" : "t10k";
        var images = IdxReader.Read(IdxReader.FindFile(directory, prefix + "-images-idx3-ubyte"));
        var labels = IdxReader.Read(IdxReader.FindFile(directory, prefix + "-labels-idx1-ubyte"));
        if (images.Rank != 3 || images.Dim(1) != 28 || images.Dim(2) != 28)
            throw new InvalidDataException($"'{directory}': {prefix} images have shape ({string.Join(", ", images.Shape)}); expected (N, 28, 28).");
        if (labels.Rank != 1 || labels.Dim(0) != images.Dim(0))
            throw new InvalidDataException($"'{directory}': {labels.Dim(0)} {prefix} labels for {images.Dim(0)} images.");
        int n = images.Dim(0);
        var x = new float[images.Data.Length];
        var src = images.Data;
        for (int i = 0; i < x.Length; i++) x[i] = (src[i] / 255f - Mean) / Std;
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = labels.Data[i];
            if (y[i] > 9) throw new InvalidDataException($"'{directory}': {prefix} label {y[i]} at index {i} is not a class 0-9.");
        }
        return new DataSource(x, y, n);
    }

    public int BatchCount(int batchSize, bool dropLast) => dropLast ? Count / batchSize : (Count + batchSize - 1) / batchSize;

    /// <summary>Batches of (B, 1, 28, 28) images and (B) labels; shuffled with a permutation from <paramref name="seed"/>.</summary>
    public IEnumerable<(Tensor Input, Tensor Target)> Batches(int batchSize, bool shuffle, long seed, bool dropLast = false)
    {
        int[] order = shuffle ? new Generator(seed).Permutation(Count) : Enumerable.Range(0, Count).ToArray();
        int batches = BatchCount(batchSize, dropLast);
        for (int b = 0; b < batches; b++)
        {
            int start = b * batchSize, size = Math.Min(batchSize, Count - start);
            var x = new float[size * Pixels];
            var y = new long[size];
            for (int i = 0; i < size; i++)
            {
                int k = order[start + i];
                Images.AsSpan(k * Pixels, Pixels).CopyTo(x.AsSpan(i * Pixels));
                y[i] = Labels[k];
            }
            yield return (new Tensor(x, [size, 1, 28, 28]), new Tensor(y, [size]));
        }
    }
}
