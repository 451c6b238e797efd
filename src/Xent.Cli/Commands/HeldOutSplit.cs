using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Xent.Data;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>--held-out RUN/split.csv</c> of <c>eval</c> and <c>calibrate</c>: keeps the samples of --data that a run's
/// <c>split.csv</c> (<see cref="DataSource.WriteSplit"/>) marks <c>test</c>, the part of its --data the run held out, so that a
/// checkpoint trained on one file can be scored on what it did not train on. A split.csv that does not fit the data (another
/// row count, for image class folders another file at a row) is refused, rather than scoring the wrong rows.
/// </summary>
internal static class HeldOutSplit
{
    /// <summary>The <c>--held-out</c> option.</summary>
    public static Option<string?> Option() => PathOptions.Input(new Option<string?>("--held-out")
    {
        Description = "A run's split.csv (RUN/split.csv, or the run folder RUN): use only the rows of --data it marks 'test', the " +
            "part its run held out (--val-split, or the default 10%)",
    });

    /// <summary>The samples of <paramref name="data"/> (read from <paramref name="dataPath"/>) that <paramref name="splitPath"/>
    /// marks <c>test</c>, in order.</summary>
    /// <exception cref="InvalidDataException">The split.csv is not one xent wrote, not one of this data, or not the one that
    /// trained <paramref name="checkpointPath"/> (<see cref="RequireTrainedBy"/>).</exception>
    public static IDataset Keep(IDataset data, string dataPath, string splitPath, string checkpointPath, ModelSpec spec,
        IReadOnlyDictionary<string, string> metadata)
    {
        splitPath = SplitFile(splitPath);
        if (DataSource.IsIdx(dataPath))
            throw new InvalidDataException($"--held-out applies to a CSV/TSV file, image class folders or a .npy file; '{dataPath}' " +
                "is an IDX folder, whose t10k files (read here) no run trains on: leave --held-out out.");
        var (header, columns) = CsvSource.ReadTable(splitPath);
        string headerText = string.Join(',', header);
        if (headerText is not (DataSource.SplitHeader or DataSource.SplitHeaderWithPaths))
            throw new InvalidDataException($"'{splitPath}' is not a split.csv that xent train wrote: its header is '{headerText}', not " +
                $"'{DataSource.SplitHeader}' or '{DataSource.SplitHeaderWithPaths}'.");
        string[] index = columns[0], set = columns[1];
        if (index.Length != data.Count)
            throw new InvalidDataException($"'{splitPath}' has {index.Length} rows, but '{dataPath}' holds {data.Count} samples: it is " +
                "the split of other data (or the data changed since).");
        bool images = DatasetFactory.Detect(dataPath, commandLine: true) == DataSourceKind.ImageFolder;
        if (images != (columns.Length == 3))
            throw new InvalidDataException(images
                ? $"'{splitPath}' names no image files (no path column), and '{dataPath}' is a folder of class folders: it is the " +
                    "split of a table or .npy file."
                : $"'{splitPath}' names image files (a path column), and '{dataPath}' is not image class folders.");
        string[]? files = images ? ImageFolderSource.SampleFiles(dataPath) : null;
        var kept = new List<int>();
        var trained = new List<int>();
        for (int i = 0; i < index.Length; i++)
        {
            if (index[i] != i.ToString(CultureInfo.InvariantCulture) || set[i] is not ("train" or "test"))
                throw new InvalidDataException($"'{splitPath}' line {i + 2} is '{index[i]},{set[i]}'; xent writes '{i},train' or " +
                    $"'{i},test' there.");
            if (files is not null && Path.GetRelativePath(dataPath, files[i]) is var file && file != columns[2][i])
                throw new InvalidDataException($"'{splitPath}' names '{columns[2][i]}' for sample {i} (line {i + 2}), but sample {i} of " +
                    $"'{dataPath}' is '{file}': the folder changed since the split was written, or it is the split of other images.");
            (set[i] == "test" ? kept : trained).Add(i);
        }
        if (kept.Count == 0) throw new InvalidDataException($"'{splitPath}' marks no row 'test': there is nothing held out to use.");
        if (data is ArrayDataset table) RequireTrainedBy(table, dataPath, splitPath, checkpointPath, spec, metadata, kept, trained);
        return new SubsetDataset(data, kept);
    }

    /// <summary>
    /// Refuses a split.csv whose rows are not those that trained the checkpoint, which the row count and file names cannot tell
    /// (qa-s20-b M4): another run's split.csv of the same data, or the data reordered or edited since. Two checks, each exact:
    /// the split the checkpoint's run drew (its seed and fraction, through <see cref="DataSplits.Stratified"/> as train draws it)
    /// must be the split.csv's, and the per-feature (per-channel) mean and standard deviation of the rows it marks <c>train</c>,
    /// computed as train computed them, must be those the checkpoint standardises with.
    /// </summary>
    private static void RequireTrainedBy(ArrayDataset data, string dataPath, string splitPath, string checkpointPath, ModelSpec spec,
        IReadOnlyDictionary<string, string> metadata, List<int> test, List<int> train)
    {
        const string Either = "it is another run's split.csv, or '{0}' was reordered or edited since the run; pass the split.csv " +
            "beside the checkpoint, with the data as it was trained on";
        var ci = CultureInfo.InvariantCulture;
        // train records the split as "0.1 of /real/path (split.csv)" and its seed as the checkpoint's "seed".
        string? drawn = metadata.GetValueOrDefault("setting.test_data");
        int of = drawn?.IndexOf(" of ", StringComparison.Ordinal) ?? -1;
        if (drawn is not null && of > 0 && drawn.EndsWith(" (split.csv)", StringComparison.Ordinal)
            && double.TryParse(drawn[..of], NumberStyles.Float, ci, out double fraction) && fraction is > 0 and < 1
            && metadata.TryGetValue("seed", out var seedText)
            && long.TryParse(seedText, NumberStyles.Integer, ci, out long seed))
        {
            var (_, held) = DataSplits.Stratified(data, fraction, seed);
            int missing = held.Except(test).Count();
            // Every held-out row marked, and more: "0 of its 15 … are not among" said nothing was wrong (qa-s21-crash L3).
            string why = missing == 0
                ? $"the run held out {held.Length} rows, and the split marks those and {test.Count - held.Length} more, rows that " +
                    "trained the model"
                : $"{missing} of its {held.Length} held-out rows are not among the split's {test.Count}";
            if (!held.AsSpan().SequenceEqual(CollectionsMarshal.AsSpan(test)))
                throw new InvalidDataException($"'{splitPath}' marks other rows 'test' than the run of '{checkpointPath}' held out " +
                    $"of '{dataPath}' (--val-split {fraction.ToString("R", ci)}, seed {seed}: {why}): " +
                    string.Format(ci, Either, dataPath) + ".");
        }
        if (spec.Mean.Length != data.StatisticsCount) return;
        var (mean, std) = data.Subset(train).ComputeStandardization();
        for (int j = 0; j < mean.Length; j++)
        {
            if (mean[j] == spec.Mean[j] && std[j] == spec.Std[j]) continue;
            string what = spec.InputKind == ModelSpec.ImageInput ? $"channel {j}"
                : spec.FeatureNames is { } names && j < names.Length ? $"feature '{names[j]}'" : $"feature #{j}";
            throw new InvalidDataException($"the rows '{splitPath}' marks 'train' are not those that trained '{checkpointPath}': " +
                $"{what} has mean {mean[j].ToString("R", ci)} and standard deviation {std[j].ToString("R", ci)} over them, but the " +
                $"checkpoint was trained with {spec.Mean[j].ToString("R", ci)} and {spec.Std[j].ToString("R", ci)}: " +
                string.Format(ci, Either, dataPath) + ".");
        }
    }

    /// <summary>
    /// The file <c>--held-out <paramref name="path"/></c> reads: RUN/split.csv for a run folder, the path itself otherwise. An
    /// output must not be that file, but may go beside it in the run folder (qa-s21-seen M1), as <c>--held-out RUN/split.csv</c>
    /// allows.
    /// </summary>
    public static string ReadFile(string path) => Directory.Exists(path) ? Path.Combine(path, "split.csv") : path;

    /// <summary>
    /// <paramref name="path"/>, or the split.csv in it when it is a folder: the run folder is a natural thing to pass, and was said
    /// not to exist.
    /// </summary>
    internal static string SplitFile(string path)
    {
        if (!Directory.Exists(path)) return path;
        string inside = Path.Combine(path, "split.csv");
        if (File.Exists(inside)) return inside;
        throw new InvalidDataException($"--held-out '{path}' is a folder with no split.csv in it: pass a run folder, or its split.csv " +
            "(RUN/split.csv), of a run that held out part of its --data (--val-split, or the default 10%).");
    }
}
