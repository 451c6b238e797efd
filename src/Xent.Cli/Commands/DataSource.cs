using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xent.Data;
using Xent.IO;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// Where the CLI finds its data and how it loads it: an MNIST-format folder (four IDX files, gzipped or
/// not) read by <see cref="MnistDataset"/> with the PyTorch tutorial's transform <c>ToTensor, Normalize(0.1307, 0.3081)</c>,
/// or a user's CSV/TSV file, image class folder or .npy pair read through <see cref="DatasetFactory"/>; batched by
/// <see cref="DataLoader"/>.
/// </summary>
internal static class DataSource
{
    /// <summary>Where the CLI looks when no <c>--data</c> is given (Debian package <c>dataset-fashion-mnist</c>).</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>
    /// Null when <paramref name="directory"/> holds the IDX files needed, where <see cref="MnistDataset"/> looks for them (the
    /// folder, or torchvision's <c>MNIST/raw</c> or <c>FashionMNIST/raw</c> below it); otherwise what is missing.
    /// </summary>
    public static string? Missing(string directory, bool needTrain = true)
    {
        if (!Directory.Exists(directory)) return $"directory '{directory}' does not exist";
        var missing = new List<string>();
        foreach (bool train in needTrain ? [true, false] : new[] { false })
            missing.AddRange((MnistDataset.MissingFiles(directory, train) ?? []).Select(f => f + "[.gz]"));
        return missing.Count == 0 ? null
            : $"'{directory}' lacks {string.Join(", ", missing)} (nor are they under its MNIST/raw or FashionMNIST/raw)";
    }

    /// <summary>The one message shown when no dataset is found (exit code 2).</summary>
    /// <remarks>
    /// A <c>--data</c> path that does not exist says so first, with what the nearest folder that does exist holds: a path one
    /// level off (<c>png/train</c> for <c>png/png/train</c>) was told only "No MNIST-format dataset found" and how to install
    /// Fashion-MNIST, which read as if the folder had been found and was of the wrong kind.
    /// </remarks>
    public static string NotFoundMessage(string directory, bool needTrain = true) =>
        (directory != DefaultDirectory && !Directory.Exists(directory) && !File.Exists(directory)
            ? $"'{directory}' does not exist{NearestFolderHint(directory)}. "
            : $"No MNIST-format dataset found: {Missing(directory, needTrain)}. ") +
        "Install Fashion-MNIST with `sudo apt-get install dataset-fashion-mnist`, or pass --data DIR with the four IDX files " +
        "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; gzipped or not), " +
        "a .csv/.tsv file, a folder of class folders of images, or a .npy file with --labels.";

    /// <summary>Entries of the nearest folder that holds a path, named in <see cref="NearestFolderHint"/> at the most.</summary>
    private const int HintEntries = 8;

    /// <summary>
    /// " (the nearest folder that exists, 'png', holds idx/, png/)" for a missing <paramref name="path"/>: the first of its
    /// parent folders that exists and what it holds (folders with a slash, sorted, the first <see cref="HintEntries"/>);
    /// empty for a path in the current folder or the root, or when the folder cannot be listed.
    /// </summary>
    private static string NearestFolderHint(string path)
    {
        string? folder = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(path));
        while (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder)) folder = Path.GetDirectoryName(folder);
        // A name in the current folder (a typo there): `ls` is at hand, and the hint would list the user's whole folder. Nor is
        // the root listed: a path that is wrong from its first folder on is not one level off.
        if (string.IsNullOrEmpty(folder) || folder == Path.GetPathRoot(folder)) return "";
        string shown = folder;
        try
        {
            var entries = new DirectoryInfo(shown).EnumerateFileSystemInfos()
                .Select(e => e is DirectoryInfo ? e.Name + "/" : e.Name).Order(StringComparer.Ordinal).Take(HintEntries + 1).ToList();
            string listed = entries.Count == 0 ? "nothing"
                : string.Join(", ", entries.Take(HintEntries)) + (entries.Count > HintEntries ? ", …" : "");
            return $" (the nearest folder that exists, '{shown}', holds {listed})";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            return "";
        }
    }

    /// <summary>
    /// True when <paramref name="path"/> should be read as an IDX folder: one that holds IDX files, the default folder, or a
    /// missing path without a file extension (so the error says how to get a dataset).
    /// </summary>
    public static bool IsIdx(string path) =>
        path == DefaultDirectory || (Directory.Exists(path) ? DatasetFactory.IsIdx(path) : !File.Exists(path)
            && Path.GetExtension(path).Length == 0);

    /// <summary>What <paramref name="kind"/> is, for a message ("a CSV/TSV file").</summary>
    public static string KindText(DataSourceKind kind) => kind switch
    {
        DataSourceKind.Csv => "a CSV/TSV file",
        DataSourceKind.Npy => "a .npy file",
        DataSourceKind.ImageFolder => "a folder of class folders of images",
        DataSourceKind.Idx => "an MNIST-format IDX folder",
        _ => "a single image or a folder of unlabelled images",
    };

    /// <summary>
    /// Refuses, rather than silently ignores, each given option that --data of <paramref name="kind"/> does not read
    /// (<c>--labels</c> belongs to a .npy pair, <c>--target</c> to a table, <c>--image-size</c> to image class folders, …).
    /// </summary>
    /// <exception cref="InvalidDataException">An option was given that applies to another kind of data.</exception>
    public static void RequireApplicable(string path, DataSourceKind kind,
        params ReadOnlySpan<(string Option, bool Given, DataSourceKind AppliesTo)> options)
    {
        foreach (var (option, given, appliesTo) in options)
            if (given && kind != appliesTo)
                throw new InvalidDataException(
                    $"{option} applies to {Reads(appliesTo)} only, and '{path}' is {KindText(kind)}; leave it out.");
    }

    /// <summary>The --data an option of <paramref name="kind"/> belongs to, for <see cref="RequireApplicable"/>'s message.</summary>
    private static string Reads(DataSourceKind kind) => kind switch
    {
        DataSourceKind.Csv => "a CSV/TSV --data",
        DataSourceKind.Npy => "a .npy --data",
        DataSourceKind.ImageFolder => "image class folders",
        _ => KindText(kind),
    };

    /// <summary>
    /// Progress of work that may take minutes (reading a folder of many images, predicting it): a line to
    /// <paramref name="writer"/> every 10 s once it has taken that long (<see cref="ProgressLines"/>), timed from now.
    /// </summary>
    public static Action<int, int> ProgressTo(TextWriter writer, string verb, string noun)
    {
        var clock = Stopwatch.StartNew();
        return new ProgressLines(writer.WriteLine, verb, noun, 10, () => clock.Elapsed.TotalSeconds).Report;
    }

    /// <summary><see cref="ProgressTo"/> for reading <paramref name="path"/>: megabytes of a CSV/TSV file, else images.</summary>
    public static Action<int, int> ReadProgressTo(TextWriter writer, string path) =>
        ProgressTo(writer, "read", File.Exists(path) && CsvSource.Handles(path) ? "MB" : "images");

    /// <summary>The train or test split with the tutorial's normalisation.</summary>
    public static MnistDataset Load(string directory, bool train) => DatasetFactory.LoadIdx(directory, train);

    /// <summary>
    /// The labelled data <c>eval</c> and <c>calibrate</c> run a checkpoint on, standardised with its <paramref name="spec"/>:
    /// an IDX folder's t10k split (only for a model that takes 1×28×28), or a CSV/TSV file, image class folders or a .npy pair.
    /// </summary>
    /// <exception cref="InvalidDataException">IDX images for a model of another input shape, unreadable data, no samples, or samples
    /// of another shape than the model takes.</exception>
    public static IDataset LoadLabelled(string path, ModelSpec spec, string? labels, string? target)
    {
        IDataset data;
        RequireApplicable(path, IsIdx(path) ? DataSourceKind.Idx : DatasetFactory.Detect(path, commandLine: true),
            ("--labels", labels is not null, DataSourceKind.Npy), ("--target", target is not null, DataSourceKind.Csv));
        // Refused rather than ignored, as options of another kind of data are: a multi-label model reads all its label columns.
        if (target is not null && spec.MultiLabel)
            throw new InvalidDataException($"--target names a single label column, and the model is multi-label (label columns " +
                $"{string.Join(", ", spec.ClassNames.Select(n => $"'{n}'"))}, read by name); leave it out.");
        if (!IsIdx(path))
        {
            // stderr: stdout may be --json.
            var raw = DatasetFactory.Load(path,
                new DataOptions
                {
                    Spec = spec, Labels = labels, Target = target, Progress = ReadProgressTo(Console.Error, path), CommandLine = true,
                });
            InputScale.Warn(spec, raw, path);
            data = raw.Standardized(spec.Mean, spec.Std);
        }
        else
        {
            if (!spec.InputShape.SequenceEqual([1, 28, 28]))
                throw new InvalidDataException(
                    $"'{path}' holds 1x28x28 IDX images, but the model takes ({string.Join(", ", spec.InputShape)}).");
            if (spec.MultiLabel)
                throw new InvalidDataException($"'{path}' is an IDX folder, one class per image, and the model is multi-label " +
                    $"({spec.NumClasses} labels); evaluate it on data with its {spec.NumClasses} label columns.");
            if (InputScale.PixelMismatch(spec, path) is { } why) Xent.Diagnostics.Warnings.Warn($"input-scale:{path}", why);
            data = IdxClasses.Match(DatasetFactory.LoadIdx(path, train: false, spec.Mean, spec.Std), path, spec.ClassNames);
        }
        // A clear message instead of an accuracy (NaN) of zero samples (issue 13), a fit on nothing, or a shape error from deep
        // in a layer.
        DataChecks.RequireSamples(data, path);
        DataChecks.RequireSampleShape(data, spec.InputShape, path, "the model");
        return data;
    }

    /// <summary>
    /// Why a checkpoint whose model does not take the default folder's 1×28×28 images needs --data (<paramref name="verb"/>:
    /// "evaluate", "calibrate"); null for one that does, or a legacy checkpoint (read as the tutorial's model).
    /// </summary>
    public static string? NeedsData(string checkpointPath, ModelSpec spec, bool legacy, string verb) =>
        legacy || (spec.InputKind == ModelSpec.ImageInput && spec.InputShape.SequenceEqual([1, 28, 28])) ? null
            : $"'{checkpointPath}' was trained on {(spec.InputKind == ModelSpec.ImageInput ? "images" : spec.InputKind)} of shape " +
                $"({string.Join(", ", spec.InputShape)}); pass the " +
                $"labelled data to {verb} with --data.";

    /// <summary>
    /// Batches of (B, ...) inputs and (B) targets ((B, L) for multi-label); shuffled with a generator seeded by <paramref name="seed"/>.
    /// </summary>
    public static DataLoader Batches(IDataset dataset, int batchSize, bool shuffle, long seed = 0) =>
        // Batch tensors are refilled in place: the trainer and evaluator drop each batch before taking the next.
        new(dataset, batchSize, shuffle, new Generator(seed), dropLast: false, reuseBuffers: true);

    /// <summary>
    /// <paramref name="batches"/> of <paramref name="dataset"/>, telling <see cref="ProgressTo"/>'s lines on stderr how many
    /// samples the caller has taken: a long evaluation (tens of thousands of images) shows that it moves.
    /// </summary>
    public static IEnumerable<(Tensor Input, Tensor Target)> WithProgress(IDataset dataset,
        IEnumerable<(Tensor Input, Tensor Target)> batches, string verb) =>
        ProgressLines.Counting(batches, dataset.Count,
            ProgressTo(Console.Error, verb, SampleNoun(images: dataset.SampleShape.Count == 3)));

    /// <summary>What the log calls one input of <paramref name="spec"/>'s model: "images" or "samples" (feature rows).</summary>
    public static string SampleNoun(ModelSpec spec) => SampleNoun(spec.InputKind == ModelSpec.ImageInput);

    private static string SampleNoun(bool images) => images ? "images" : "samples";

    /// <summary>Parses <c>--image-size</c>: <c>N</c> (square) or <c>HxW</c>.</summary>
    public static (int Height, int Width)? ParseImageSize(string? text)
    {
        if (text is null) return null;
        var parts = text.Split('x', 'X');
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= 1))
        {
            int h = int.Parse(parts[0], CultureInfo.InvariantCulture);
            return (h, parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : h);
        }
        throw new InvalidDataException($"--image-size must be N or HxW with positive integers, got '{text}'.");
    }

    /// <summary>Splits a comma-separated option value; null for null.</summary>
    public static string[]? List(string? text) =>
        text?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// The column names of a comma-separated option (<c>--features</c>, <c>--multi-label</c>), or null when it is not given. Stricter
    /// than <see cref="List"/>: an empty list, an empty name (<c>a,,b</c>) or a name given twice is a typo, refused rather than dropped.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty, has an empty name or names a column twice.</exception>
    public static string[]? Columns(string? text, string option)
    {
        if (text is null) return null;
        var names = text.Split(',', StringSplitOptions.TrimEntries);
        if (names.All(n => n.Length == 0))
            throw new ArgumentException($"{option} is empty; name columns such as a,b, or leave it out.");
        if (names.Any(n => n.Length == 0))
            throw new ArgumentException($"{option} '{text}' has an empty column name; separate the names with single commas.");
        if (names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"{option} names column '{twice.Key}' {twice.Count()} times; name each column once.");
        return names;
    }

    /// <summary>The header line of <c>split.csv</c>.</summary>
    public const string SplitHeader = "index,set";

    /// <summary>The header line of <c>split.csv</c> for image class folders, whose rows also name their image.</summary>
    public const string SplitHeaderWithPaths = SplitHeader + ",path";

    /// <summary>
    /// Writes <c>split.csv</c> (<c>index,set</c>: each source row and whether it trained or was held out), so other tools can use the same
    /// split. With <paramref name="files"/> (image class folders, whose sample order is xent's own) a third column, <c>path</c>, names
    /// each sample's image relative to <paramref name="root"/>, the --data folder.
    /// </summary>
    /// <param name="open">Opens the temporary file (tests: a disk that fills up); null for a plain file.</param>
    public static void WriteSplit(string path, int count, IReadOnlyList<int> heldOut, IReadOnlyList<string>? files = null,
        string? root = null, Func<string, Stream>? open = null)
    {
        if (files is not null && files.Count != count)
            throw new ArgumentException($"{files.Count} file names for {count} samples.", nameof(files));
        var held = heldOut.ToHashSet();
        // Atomically: a full disk must not leave a cut file, nor cut a resumed run's split.csv.
        using var atomic = open is null ? AtomicFileWriter.Begin(path) : AtomicFileWriter.Begin(path, open);
        using (var w = new StreamWriter(atomic.Stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" })
        {
            w.WriteLine(files is null ? SplitHeader : SplitHeaderWithPaths);
            for (int i = 0; i < count; i++)
            {
                string row = string.Create(CultureInfo.InvariantCulture, $"{i},{(held.Contains(i) ? "test" : "train")}");
                w.WriteLine(files is null ? row : row + "," + PredictCommand.Field(Path.GetRelativePath(root ?? ".", files[i])));
            }
        }
        atomic.Commit();
    }

    /// <summary>A data error from a source as the CLI's one line.</summary>
    public static bool IsDataError(Exception e) =>
        e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException
            or NotSupportedException;
}
