using Xent.Training;

namespace Xent.Data;

/// <summary>
/// One entry point to a user's data: recognises the kind of a path (<see cref="Detect(string)"/>) and reads it with the
/// matching source (<see cref="CsvSource"/>, <see cref="ImageFolderSource"/>, <see cref="NpySource"/>, or
/// <see cref="MnistDataset"/> for IDX folders).
/// <code>
/// var data = DatasetFactory.Load("iris.csv", new DataOptions { Target = "species" });
/// var (train, test) = DatasetFactory.Split(data, 0.2, seed: 1);   // stratified
/// var (mean, std) = train.ComputeStandardization();                 // on the training part only
/// var loader = new DataLoader(train.Standardized(mean, std), 64, shuffle: true);
/// </code>
/// </summary>
public static class DatasetFactory
{
    private static readonly string[] IdxNames = ["train-images-idx3-ubyte", "t10k-images-idx3-ubyte"];

    /// <summary>What <paramref name="path"/> is.</summary>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">It exists but is none of the known kinds (the message lists them).</exception>
    public static DataSourceKind Detect(string path) => Detect(path, commandLine: false);

    /// <summary>
    /// <see cref="Detect(string)"/>, with the advice naming the CLI's flags when <paramref name="commandLine"/>
    /// (<see cref="DataOptions.CommandLine"/>).
    /// </summary>
    internal static DataSourceKind Detect(string path, bool commandLine)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            if (CsvSource.Handles(path)) return DataSourceKind.Csv;
            if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) return DataSourceKind.Npy;
            if (ImageFolderSource.IsImageFile(path)) return DataSourceKind.Image;
            if (path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"'{path}' is a NumPy .npz archive, which xent does not read: save each array with " +
                    "np.save (np.save('x.npy', x); np.save('y.npy', y)) and pass the features' .npy file, with the labels' as " +
                    (commandLine ? "--labels." : "DataOptions.Labels."));
            throw new InvalidDataException(
                $"'{path}' is not a known kind of data: expected a .csv/.tsv file (optionally .gz), a .npy file, an image, or a folder " +
                    "of class folders of images or of IDX files.");
        }
        if (!Directory.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist.", path);
        if (IsIdx(path)) return DataSourceKind.Idx;
        if (ImageFolderSource.ClassFolders(path).Length > 0) return DataSourceKind.ImageFolder;
        if (Directory.EnumerateFiles(path).Any(ImageFolderSource.IsImageFile)) return DataSourceKind.ImageFiles;
        throw new InvalidDataException(
            $"'{path}' holds neither class folders of images (DIR/<class>/*{string.Join("|", ImageFolderSource.Extensions)}) nor " +
                "MNIST-format IDX files.");
    }

    /// <summary>
    /// True when <paramref name="directory"/> (or torchvision's <c>MNIST/raw</c>, <c>FashionMNIST/raw</c> below it) holds IDX image files.
    /// </summary>
    public static bool IsIdx(string directory)
    {
        foreach (var dir in MnistDataset.SearchFolders(directory))
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var name in IdxNames)
            {
                try
                {
                    IdxReader.FindFile(dir, name);
                    return true;
                }
                catch (FileNotFoundException) { }
            }
        }
        return false;
    }

    /// <summary>Reads a CSV/TSV file, an image class folder or a .npy pair (<see cref="DataOptions.Labels"/>) into raw samples.</summary>
    /// <exception cref="FileNotFoundException">Nothing at <paramref name="path"/>.</exception>
    /// <exception cref="DirectoryNotFoundException">A folder is missing.</exception>
    /// <exception cref="InvalidDataException">The data is malformed or does not fit the options or spec; the message says how.</exception>
    /// <exception cref="NotSupportedException">An IDX folder (read it with <see cref="LoadIdx"/>) or a kind only <c>predict</c>
    /// reads.</exception>
    /// <exception cref="ArgumentException">A CSV file's <see cref="DataOptions.MultiLabel"/> that does not name
    /// <see cref="DataOptions.Spec"/>'s labels in their order.</exception>
    public static ArrayDataset Load(string path, DataOptions? options = null)
    {
        options ??= new DataOptions();
        return Detect(path, options.CommandLine) switch
        {
            DataSourceKind.Csv => CsvSource.Load(path, options),
            DataSourceKind.ImageFolder => ImageFolderSource.Load(path, options),
            DataSourceKind.Npy => NpySource.Load(path, options),
            DataSourceKind.Idx => throw new NotSupportedException($"'{path}' is an IDX folder; read it with DatasetFactory.LoadIdx."),
            var k =>
                throw new InvalidDataException($"'{path}' is " +
                $"{(k == DataSourceKind.Image ? "a single image" : "a folder of images without class folders")}; training and evaluation " +
                "need labelled data (DIR/<class>/*.png)."),
        };
    }

    /// <summary>
    /// An IDX folder's training or test split, standardised with <paramref name="mean"/> and <paramref name="std"/> per channel
    /// (the tutorial's 0.1307 and 0.3081 when null), through the same fused byte pipeline as <see cref="MnistDataset"/>.
    /// </summary>
    public static MnistDataset LoadIdx(string directory, bool train, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null) =>
        new(directory, train, new Compose(new ToTensor(),
            mean is null || std is null ? new Normalize(0.1307, 0.3081)
                : new Normalize(mean.Select(v => (double)v).ToArray(), std.Select(v => (double)v).ToArray())));

    /// <summary>
    /// A stratified, seeded split of <paramref name="data"/> into a training part and a held-out part of about <paramref name="fraction"/>
    /// (see <see cref="DataSplits.Stratified"/>).
    /// </summary>
    public static (ArrayDataset Train, ArrayDataset HeldOut) Split(ArrayDataset data, double fraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (train, held) = DataSplits.Stratified(data, fraction, seed);
        return (data.Subset(train), data.Subset(held));
    }

    /// <summary>The <see cref="ModelSpec.InputKind"/> of a dataset's samples.</summary>
    public static string InputKind(IDataset dataset) => dataset.SampleShape.Count == 3 ? ModelSpec.ImageInput : ModelSpec.FeatureInput;
}
