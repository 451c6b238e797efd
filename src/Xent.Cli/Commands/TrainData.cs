using System.Diagnostics;
using System.Globalization;
using Xent.Data;
using Xent.IO;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent train</c>'s data: the training and held-out sets read from an IDX folder (the PyTorch tutorial's pipeline) or from a
/// user's CSV/TSV file, image class folders or .npy pair, standardised and split, with the model spec they call for; and the
/// checks that refuse data no classifier can learn (one class, a regression target) or warn about it.
/// </summary>
internal static class TrainData
{
    /// <summary>
    /// The training and held-out sets, ready to batch, and what the checkpoint's spec needs to know about them. OtherRows: a resumed
    /// run's training split has other statistics than its checkpoint recorded (the data or the split changed).
    /// </summary>
    public sealed record Prepared(IDataset Train, IDataset Test, ModelSpec Spec, long[] TrainCounts, string Source, bool IsIdx,
        string? SplitNote, int SourceCount, int[]? HeldOut, bool OtherRows = false, string[]? SourceFiles = null,
        (long Bytes, string Sha256)? Fingerprint = null, (long Bytes, string Sha256)? LabelsFingerprint = null);

    /// <summary>An IDX folder: the tutorial's pipeline, its t10k files as the test set (or a stratified split with --val-split).</summary>
    public static Prepared PrepareIdx(TrainSettings s, string dir, ModelSpec? saved)
    {
        RequireApplicable(s, DataSourceKind.Idx, dir);
        var tutorial = ModelCatalog.LegacySpec("cnn", []);
        // IDX images are read with the tutorial's Normalize; a model trained on other statistics would get inputs it never saw.
        // (Another channel count is DataMismatch's, in the data's terms.)
        if (saved is { Mean.Length: 1 } && (saved.Mean[0] != tutorial.Mean[0] || saved.Std[0] != tutorial.Std[0]))
        {
            string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
            throw new InvalidDataException($"cannot resume from '{s.Resume}': its model takes inputs standardised with mean " +
                $"{F(saved.Mean[0])} and std {F(saved.Std[0])}, and the IDX folder '{dir}' is read with the PyTorch tutorial's " +
                $"Normalize({F(tutorial.Mean[0])}, {F(tutorial.Std[0])}); resume on the data it was trained on.");
        }
        var train = DataSource.Load(dir, train: true);
        IDataset trainSet = train, testSet;
        string? note = null;
        int[]? heldOut = null;
        if (s.ValSplit is double f)
        {
            var (tr, te) = DataSplits.Stratified(train, f, s.Seed);
            trainSet = new SubsetDataset(train, tr);
            testSet = new SubsetDataset(train, te);
            heldOut = te;
            note = HeldOutNote.Text("the training images", stratified: true, f, te.Length, train.Count, "", s.Seed) + ".";
        }
        else testSet = DataSource.Load(dir, train: false);
        var counts = new long[MnistDataset.NumClasses];
        for (int i = 0; i < trainSet.Count; i++) counts[trainSet.Target(i)]++;
        string model = s.Model == "auto" ? "cnn" : s.Model;
        var spec = ModelCatalog.LegacySpec(model, ClassNames.ForDataset(Path.GetFullPath(dir))) with
        {
            Hidden = Hidden(s, model),
        };
        return new Prepared(trainSet, testSet, spec, counts, LinkWalk.RealPath(dir), IsIdx: true, note, train.Count, heldOut);
    }

    /// <summary>
    /// A note when the training split's largest class has at least <see cref="ImbalanceRatio"/> times the samples of its smallest
    /// (classes with none are left out), pointing at class weights; null otherwise.
    /// </summary>
    public static string? ImbalanceNote(string[] classNames, long[] counts)
    {
        int big = -1, small = -1;
        for (int c = 0; c < counts.Length; c++)
        {
            if (counts[c] == 0) continue;
            if (big < 0 || counts[c] > counts[big]) big = c;
            if (small < 0 || counts[c] < counts[small]) small = c;
        }
        if (small < 0 || counts[big] < ImbalanceRatio * counts[small]) return null;
        var ci = CultureInfo.InvariantCulture;
        return $"note: the classes are imbalanced: '{classNames[big]}' has {counts[big].ToString(ci)} training samples and " +
            $"'{classNames[small]}' {counts[small].ToString(ci)} ({((double)counts[big] / counts[small]).ToString("0.#", ci)}:1). " +
            "Accuracy can stay high while the small classes are missed (see the per-class accuracy); --class-weights " +
            "inverse-frequency weighs each class by 1/count (scaled to sum to the class count), as the PyTorch tutorial does for " +
            "imbalanced data.";
    }

    /// <summary>Largest-to-smallest class ratio from which <see cref="ImbalanceNote"/> speaks.</summary>
    private const int ImbalanceRatio = 10;

    /// <summary>
    /// A warning when class names are negative integers (-1, -100): the markers scikit-learn and PyTorch use for samples without a
    /// label, which training would take as classes of their own; null otherwise.
    /// </summary>
    private static string? NegativeLabelsWarning(IReadOnlyList<string> classNames, long[] counts)
    {
        var ci = CultureInfo.InvariantCulture;
        var negative = classNames.Select((name, c) => (name, c))
            .Where(x => long.TryParse(x.name, NumberStyles.AllowLeadingSign, ci, out long v) && v < 0)
            .Select(x => $"{x.name} ({counts[x.c].ToString(ci)} sample{(counts[x.c] == 1 ? "" : "s")})").ToArray();
        if (negative.Length == 0) return null;
        return $"Warning: label{(negative.Length == 1 ? "" : "s")} {string.Join(", ", negative)} " +
            $"{(negative.Length == 1 ? "is" : "are")} trained as {(negative.Length == 1 ? "a class" : "classes")} of " +
            $"{(negative.Length == 1 ? "its" : "their")} own. scikit-learn marks unlabelled samples with -1, and PyTorch's " +
            "CrossEntropyLoss skips targets of -100 (ignore_index): leave such samples out of --data if they are not a class.";
    }

    /// <summary>
    /// Why a single-label data set's labels look like a quantity or an ID rather than classes, or null: over 20 classes (so a
    /// small example file always passes) and either more classes than half the samples (most classes would have one sample),
    /// numbers with a fractional part (a price: a regression target), or whole numbers most of whose classes have one or two
    /// samples, so at most one to train on once a split holds one out (a score or count: scikit-learn's diabetes target, 214
    /// values for 442 samples, qa-s21-seen M6). Text classes are not held to that last rule: a long tail of rare named classes
    /// is a classification problem, if a hard one.
    /// </summary>
    private static string? NotClassesReason(IReadOnlyList<string> classNames, IReadOnlyList<long> counts, int samples)
    {
        if (classNames.Count <= MaxClassesAlways) return null;
        if (classNames.Count > samples / 2) return "more classes than half the samples, so most classes have one sample";
        string? fraction = null;
        foreach (string name in classNames)
        {
            if (!double.TryParse(name, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                return null; // text classes, however many
            fraction ??= v % 1 != 0 ? name : null;
        }
        if (fraction is not null) return $"numbers with a fractional part, such as '{fraction}'";
        int present = counts.Count(n => n > 0), small = counts.Count(n => n is > 0 and <= 2);
        return 2 * small > present
            ? $"whole numbers, {small} of whose {present} values have only one or two samples (at most one to train on once one is " +
                "held out), as a score or count gives"
            : null;
    }

    /// <summary>Classes that <see cref="NotClassesReason"/> accepts whatever they are.</summary>
    private const int MaxClassesAlways = 20;

    /// <summary>
    /// A CSV/TSV file, image class folders or a .npy pair: training-split statistics (a resumed run's checkpoint's, in
    /// <paramref name="saved"/>), a split unless --test-data.
    /// </summary>
    public static Prepared PrepareFiles(TrainSettings s, string path, ModelSpec? saved)
    {
        var options = DataOptionsFor(s, saved);
        var kind = CheckedKind(s, path);
        options = WithCnnImageSizeCheck(s, kind, options);
        var (all, files, fingerprint, labelsFingerprint) = ReadData(path, kind, options);
        WarnNumericHeader(path, kind);
        CheckClasses(s, path, kind, all);
        var provisional = ProvisionalSpec(s, path, kind, all);
        var sets = s.TestData is not null && s.ValSplit is null
            ? ReadTestData(s, path, options, all, provisional, ref fingerprint, labelsFingerprint)
            : SplitData(s, path, all);
        var counts = TrainingCounts(sets.Train, all.IsMultiLabel);
        var (mean, std, otherRows) = Standardisation(sets.Train, provisional, saved, path);
        var spec = provisional with { Mean = mean, Std = std };
        return new Prepared(sets.Train.Standardized(mean, std), sets.Test.Standardized(mean, std), spec, counts, sets.Source,
            IsIdx: false, sets.Note, all.Count, sets.HeldOut, otherRows, files, fingerprint, labelsFingerprint);
    }

    /// <summary>The readers' options from train's: --target, --features, --labels and the like.</summary>
    private static DataOptions DataOptionsFor(TrainSettings s, ModelSpec? saved) => new()
    {
        Target = s.Target,
        Features = DataSource.Columns(s.Features, "--features"),
        MultiLabel = DataSource.Columns(s.MultiLabel, "--multi-label"),
        ImputeMissing = s.Missing == "mean",
        Labels = s.Labels,
        ImageSize = DataSource.ParseImageSize(s.ImageSize),
        // A resumed model keeps its classes in its order and spelling (a checkpoint from before numeric labels sorted by value).
        ClassOrder = saved is { MultiLabel: false } ? saved.ClassNames : null,
        CommandLine = true, // the readers' advice names --missing, --features, --image-size
        // A single-label checkpoint refuses an (N, L) --labels matrix in the file's terms, before the data's kind is compared.
        SingleLabelOwner = saved is { MultiLabel: false } ? $"the checkpoint '{s.Resume}'" : null,
    };

    /// <summary>The kind of --data, refusing options and a --test-data that do not go with it, and a .npy file without --labels.</summary>
    private static DataSourceKind CheckedKind(TrainSettings s, string path)
    {
        var kind = DatasetFactory.Detect(path, commandLine: true);
        RequireSameKind(s, kind, path); // first: each kind's own hints (--test-labels for a .npy) would contradict the other's
        RequireApplicable(s, kind, path);
        if (kind == DataSourceKind.Npy && s.Labels is null)
            throw new InvalidDataException($"'{path}' is a .npy features file: pass its labels with --labels labels.npy.");
        return kind;
    }

    /// <summary><paramref name="options"/>, checking each image's size for the cnn when image folders train one.</summary>
    private static DataOptions WithCnnImageSizeCheck(TrainSettings s, DataSourceKind kind, DataOptions options)
    {
        // A size the cnn cannot take is refused before every image is decoded and resized to it; without --image-size, once the
        // first image's header has told its size.
        if (kind == DataSourceKind.ImageFolder && (s.Model == "auto" ? ModelCatalog.Auto(ModelSpec.ImageInput) : s.Model) == "cnn")
        {
            if (options.ImageSize is { } size) ModelCatalog.CheckCnnImageSize(size.Height, size.Width, commandLine: true);
            options = options with { CheckImageSize = (h, w) => ModelCatalog.CheckCnnImageSize(h, w, commandLine: true) };
        }
        return options;
    }

    /// <summary>
    /// --data, read once, saying so on stdout; with image class folders' files (for split.csv) and a .npy pair's fingerprints.
    /// </summary>
    private static (ArrayDataset All, string[]? Files, (long, string)? Fingerprint, (long, string)? LabelsFingerprint) ReadData(
        string path, DataSourceKind kind, DataOptions options)
    {
        // A large file or folder takes seconds to read: say so first, and how long it took after.
        Console.WriteLine($"Reading '{path}' …"); // a whole line: warnings while reading go to stderr between the two
        var clock = Stopwatch.StartNew();
        (long, string)? fingerprint = null; // a .npy file's, hashed as it is read once (TrainingDataWarning.Fingerprint)
        (long, string)? labelsFingerprint = null; // and its --labels file's
        var readOptions = options with
        {
            Progress = DataSource.ReadProgressTo(Console.Out, path),
            Fingerprinted = kind == DataSourceKind.Npy ? (bytes, sha256) => fingerprint = (bytes, sha256) : null,
            LabelsFingerprinted = kind == DataSourceKind.Npy ? (bytes, sha256) => labelsFingerprint = (bytes, sha256) : null,
        };
        string[]? files = null; // image class folders: each sample's file, for split.csv
        var all = kind == DataSourceKind.ImageFolder ? ImageFolderSource.Load(path, readOptions, out files)
            : DatasetFactory.Load(path, readOptions);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Read {all.Count} {(all.IsImage ? "image" : "sample")}{(all.Count == 1 ? "" : "s")} in {clock.Elapsed.TotalSeconds:F1} s."));
        return (all, files, fingerprint, labelsFingerprint);
    }

    /// <summary>A warning when a CSV's column names are numbers: its first line may be data, not a header.</summary>
    private static void WarnNumericHeader(string path, DataSourceKind kind)
    {
        if (kind == DataSourceKind.Csv && CsvSource.NumericNames(CsvSource.ReadHeader(path)) is { Length: > 0 } numeric)
            // scikit-learn's raw iris.csv parses (its first line of counts has as many cells as the rows) and trains on nonsense names.
            Console.Error.WriteLine(CliHost.Clean(
                $"Warning: column names {string.Join(", ", numeric.Take(5))} of '{path}' are numbers: xent reads the first line as the " +
                "header, so if it is a data row, or scikit-learn's line of counts, give the file a header line (see docs/DATA.md)."));
    }

    /// <summary>
    /// Refuses single-label data with one class, or with labels that are a quantity or an ID rather than classes; warns of
    /// negative labels.
    /// </summary>
    private static void CheckClasses(TrainSettings s, string path, DataSourceKind kind, ArrayDataset all)
    {
        if (!all.IsMultiLabel && all.ClassNames.Count < 2)
            throw new InvalidDataException($"'{path}' holds a single class ('{all.ClassNames[0]}'); a classifier needs at least two.");
        if (!all.IsMultiLabel && NotClassesReason(all.ClassNames, all.ClassCounts(), all.Count) is { } reason)
        {
            // A price or an ID as the label column trains, at a loss near ln(classes), a model that can learn nothing.
            string what = kind == DataSourceKind.Csv ? $"its label column '{CsvSource.TargetColumn(path, s.Target)}'" : "its labels";
            throw new InvalidDataException(
                $"'{path}' has {all.ClassNames.Count} distinct values in {what} for {all.Count} samples: {reason}. xent trains " +
                "classifiers; a continuous target (a regression) or an ID cannot be learned as classes." +
                (kind == DataSourceKind.Csv ? " Name the label column with --target NAME." : ""));
        }
        if (!all.IsMultiLabel && NegativeLabelsWarning(all.ClassNames, all.ClassCounts()) is { } negative)
            Console.Error.WriteLine(CliHost.Clean(negative));
    }

    /// <summary>The model spec the data calls for, before its standardisation statistics (mean 0, std 1 until then).</summary>
    private static ModelSpec ProvisionalSpec(TrainSettings s, string path, DataSourceKind kind, ArrayDataset all)
    {
        string kindName = all.IsImage ? ModelSpec.ImageInput : ModelSpec.FeatureInput;
        string model = s.Model == "auto" ? ModelCatalog.Auto(kindName) : s.Model;
        return new ModelSpec
        {
            Model = model,
            InputKind = kindName,
            InputShape = [.. all.SampleShape],
            ClassNames = [.. all.ClassNames],
            Mean = new float[all.StatisticsCount],
            Std = Enumerable.Repeat(1f, all.StatisticsCount).ToArray(),
            Hidden = Hidden(s, model),
            MultiLabel = all.IsMultiLabel,
            FeatureNames = all.FeatureNames?.ToArray(),
            TargetColumn = kind == DataSourceKind.Csv && !all.IsMultiLabel ? CsvSource.TargetColumn(path, s.Target) : null,
            ImputeMissing = s.Missing == "mean",
        };
    }

    /// <summary>
    /// The training and held-out sets, what the held-out set is (<see cref="Prepared.Source"/>), the note on it, and the held-out
    /// rows of a split (null for --test-data).
    /// </summary>
    private sealed record TrainAndTest(ArrayDataset Train, ArrayDataset Test, string Source, string? Note, int[]? HeldOut);

    /// <summary>
    /// --data for training and --test-data, read in <paramref name="provisional"/>'s classes, for testing; warns when they are the
    /// same data.
    /// </summary>
    private static TrainAndTest ReadTestData(TrainSettings s, string path, DataOptions options, ArrayDataset all, ModelSpec provisional,
        ref (long, string)? fingerprint, (long, string)? labelsFingerprint)
    {
        if (s.TestLabels is null && DatasetFactory.Detect(s.TestData!, commandLine: true) == DataSourceKind.Npy)
            throw new InvalidDataException($"'{s.TestData}' is a .npy features file: pass its labels with --test-labels labels.npy.");
        var test = DatasetFactory.Load(s.TestData!, options with
        {
            Labels = s.TestLabels, Spec = provisional, MultiLabel = null, ClassesOwner = $"the classes of '{path}'",
            // Refused here, before training: an (N, L) --test-labels for (N) --labels failed in the metrics after an epoch.
            SingleLabelOwner = all.IsMultiLabel ? null : $"--labels '{s.Labels}'",
        });
        var train = all;
        string source = LinkWalk.RealPath(s.TestData!);
        // Testing on the training file (its path, a link or a copy) scores the samples the model trains on: said once, before
        // training. A hash taken here is the checkpoint's fingerprint too (the file is not read a third time).
        if (TrainingDataWarning.ForTestData(path, s.TestData!, all.IsMultiLabel, ref fingerprint,
                s.Labels is null ? null : (s.Labels, labelsFingerprint), s.TestLabels) is { } sameData)
            Console.Error.WriteLine(CliHost.Clean(sameData));
        return new TrainAndTest(train, test, source, Note: null, HeldOut: null);
    }

    /// <summary>--data split, stratified unless multi-label: --val-split of it (0.1 by default) held out.</summary>
    private static TrainAndTest SplitData(TrainSettings s, string path, ArrayDataset all)
    {
        double f = s.ValSplit ?? 0.1;
        var (tr, te) = DataSplits.Stratified(all, f, s.Seed);
        var (train, test) = (all.Subset(tr), all.Subset(te));
        int[] heldOut = te;
        string source = $"{f.ToString("R", CultureInfo.InvariantCulture)} of {LinkWalk.RealPath(path)} (split.csv)";
        string note = HeldOutNote.Text($"'{path}'", !all.IsMultiLabel, f, te.Length, all.Count, " samples", s.Seed)
            + (s.ValSplit is null ? "; choose with --val-split F or --test-data PATH." : ".");
        return new TrainAndTest(train, test, source, note, heldOut);
    }

    /// <summary>The training split's class counts, refusing a single-label split with one class.</summary>
    private static long[] TrainingCounts(ArrayDataset train, bool multiLabel)
    {
        var counts = train.ClassCounts();
        if (!multiLabel && counts.Count(n => n > 0) < 2)
            throw new InvalidDataException("the training split holds a single class; a classifier needs at least two.");
        return counts;
    }

    /// <summary>
    /// The training split's mean and std per input (a resumed run's checkpoint's, in <paramref name="saved"/>), warning of inputs
    /// with no value in it; OtherRows: the checkpoint's differ from this split's.
    /// </summary>
    private static (float[] Mean, float[] Std, bool OtherRows) Standardisation(ArrayDataset train, ModelSpec provisional,
        ModelSpec? saved, string path)
    {
        var (mean, std) = train.ComputeStandardization(out int[] unobserved);
        if (unobserved.Length > 0)
        {
            // A column that is missing in every training row (all NaN, or all empty with --missing mean) is a constant.
            bool one = unobserved.Length == 1;
            string names = string.Join(", ", unobserved.Take(5).Select(j => provisional.FeatureNames is { } f ? $"'{f[j]}'" : $"#{j}"))
                + (unobserved.Length > 5 ? ", …" : "");
            Console.Error.WriteLine(CliHost.Clean($"Warning: {(one ? "feature" : "features")} {names} of '{path}' " +
                $"{(one ? "has" : "have")} no value in the training split (every one missing), so the model cannot learn from " +
                $"{(one ? "it" : "them")}."));
        }
        // Statistics of this training split that differ from those the checkpoint's run computed mean other training rows: the
        // data or the split changed. Either way the resumed model takes its inputs as it was trained to.
        bool otherRows = false;
        if (saved is not null && saved.Mean.Length == mean.Length)
        {
            otherRows = !mean.AsSpan().SequenceEqual(saved.Mean) || !std.AsSpan().SequenceEqual(saved.Std);
            (mean, std) = (saved.Mean, saved.Std);
        }
        return (mean, std, otherRows);
    }

    /// <summary>Refuses a --test-data of another kind than --data (a .npy file beside a CSV, say), naming both kinds.</summary>
    private static void RequireSameKind(TrainSettings s, DataSourceKind kind, string path)
    {
        if (s.TestData is null) return;
        var testKind = DatasetFactory.Detect(s.TestData, commandLine: true);
        if (testKind != kind)
            throw new InvalidDataException($"--test-data must be the same kind of data as --data: '{s.TestData}' is " +
                $"{DataSource.KindText(testKind)}, and '{path}' is {DataSource.KindText(kind)}.");
    }

    /// <summary>Train's data options that only some kinds of <c>--data</c> read (see <see cref="DataSource.RequireApplicable"/>).</summary>
    private static void RequireApplicable(TrainSettings s, DataSourceKind kind, string path) =>
        DataSource.RequireApplicable(path, kind,
            ("--labels", s.Labels is not null, DataSourceKind.Npy),
            ("--test-labels", s.TestLabels is not null, DataSourceKind.Npy),
            ("--target", s.Target is not null, DataSourceKind.Csv),
            ("--features", s.Features is not null, DataSourceKind.Csv),
            ("--multi-label", s.MultiLabel is not null, DataSourceKind.Csv),
            ("--missing mean", s.Missing == "mean", DataSourceKind.Csv),
            ("--image-size", s.ImageSize is not null, DataSourceKind.ImageFolder));

    /// <summary>The hidden layer sizes of an mlp (none for other models, which refuse <c>--hidden</c> rather than ignore it).</summary>
    private static int[] Hidden(TrainSettings s, string model)
    {
        if (model != "mlp")
            return s.Hidden is null ? [] : throw new ArgumentException($"--hidden sizes an mlp's hidden layers; --model {model} has none " +
                "(pass --model mlp, or leave out --hidden).");
        if (s.Hidden is null) return [.. ModelCatalog.DefaultHidden];
        if (s.Hidden.Trim().Length == 0)
            throw new InvalidDataException("--hidden is empty; give layer sizes such as 128,64 (or --model linear for no hidden layer).");
        // Not DataSource.List, which drops empty items: "4,,4" is a typo, not two layers.
        var parts = s.Hidden.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0))
            throw new InvalidDataException($"--hidden '{s.Hidden}' has an empty layer size; separate the sizes with single commas, such " +
                "as 128,64.");
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] < 1)
                throw new InvalidDataException($"--hidden takes positive layer sizes such as 128,64, got '{s.Hidden}'.");
        return sizes;
    }
}
