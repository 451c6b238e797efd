using System.Globalization;
using Xent.IO;

namespace Xent.Cli.Commands;

/// <summary>
/// The warning of <c>eval</c> and <c>calibrate</c> when --data leads to the data the checkpoint was trained on
/// (<c>setting.data</c>, where its --data led), or is a copy of that file (<c>setting.data_bytes</c> and
/// <c>setting.data_sha256</c>, which <c>train</c> records for a data file): a score on it is not a test result. It says how many
/// of its samples trained the model (all, when the run tested on other data; the rows the run's <c>split.csv</c> marks
/// <c>train</c>, when it held part out) and what to pass instead.
/// </summary>
internal static class TrainingDataWarning
{
    /// <summary>The metadata keys of the training data file's length in bytes and the SHA-256 of those bytes (lower-case hex).</summary>
    public const string BytesKey = "setting.data_bytes", Sha256Key = "setting.data_sha256";

    /// <summary>
    /// The same for a .npy pair's <c>--labels</c> file: the same features with other labels are other data (a resumed run's labels
    /// edited, a relabelled copy given to eval).
    /// </summary>
    public const string LabelsBytesKey = "setting.labels_bytes", LabelsSha256Key = "setting.labels_sha256";

    /// <summary>
    /// The metadata that lets <see cref="For"/> tell a copy of training data file <paramref name="dataPath"/> (<c>cp train.csv
    /// test.csv</c>, a download of the same file again): its length and the SHA-256 of its bytes. <paramref name="read"/> gives
    /// them when the loader hashed the file as it read it once (a .npy file, which may be a pipe); otherwise (a CSV/TSV file, which
    /// the loader reads more than once anyway) the file is read again for them, from the page cache: about 0.16 s for a 185 MB
    /// CSV that took 3 s to load. Empty for a folder (image class folders; an IDX folder, whose t10k files eval reads, trains no
    /// run) and for anything else that is not a regular file of at least one byte (a pipe's length is 0), or that can no longer
    /// be read. <paramref name="labels"/>, a .npy pair's labels file's as the loader hashed it, adds its keys when there is a data
    /// fingerprint.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Fingerprint(string dataPath, (long Bytes, string Sha256)? read,
        (long Bytes, string Sha256)? labels = null)
    {
        try
        {
            var file = new FileInfo(LinkWalk.RealPath(dataPath)); // a link's own length is not its target's
            var (bytes, sha256) = read ?? (file.Exists && file.Length > 0 ? FileFingerprint.OfFile(file.FullName) : (0, ""));
            if (bytes == 0) return [];
            var keys = new List<KeyValuePair<string, string>>
                { new(BytesKey, bytes.ToString(CultureInfo.InvariantCulture)), new(Sha256Key, sha256) };
            if (labels is var (labelBytes, labelsSha256))
                keys.AddRange([new(LabelsBytesKey, labelBytes.ToString(CultureInfo.InvariantCulture)), new(LabelsSha256Key, labelsSha256)]);
            return keys;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // the fingerprint is a courtesy: a run is not refused for it
        }
    }

    /// <summary>
    /// The warning (with <c>Warning:</c>), or null when <paramref name="dataPath"/> is not the checkpoint's training data or the
    /// checkpoint does not say what that was. <paramref name="consequence"/> ends the first sentence ("so its accuracy is not a test
    /// result"). When the checkpoint records its run's .npy labels file (<c>setting.labels_sha256</c>), the data is the training
    /// data only if <paramref name="labelsPath"/> holds those bytes too: the same features with other labels are other data.
    /// </summary>
    public static string? For(IReadOnlyDictionary<string, string> metadata, string checkpointPath, string dataPath, string? labelsPath,
        int samples, string consequence)
    {
        // An IDX folder's t10k files, which eval and calibrate read, train no run (a --val-split holds out training images).
        if (!metadata.TryGetValue("setting.data", out var trained) || DataSource.IsIdx(dataPath)) return null;
        bool same = OutputPaths.SameFile(dataPath, trained) || HardLinked(dataPath, trained);
        if (!same && !SameBytes(metadata, BytesKey, Sha256Key, dataPath)) return null;
        // The labels are not recorded by path (train keeps no setting.labels), so only their bytes tell them.
        bool otherLabels = metadata.ContainsKey(LabelsSha256Key)
            && (labelsPath is null || !SameBytes(metadata, LabelsBytesKey, LabelsSha256Key, labelsPath));
        if (otherLabels) return null;
        string trainedOn = same ? $"the data '{checkpointPath}' was trained on"
            : $"a copy of '{trained}', the data '{checkpointPath}' was trained on (the same bytes)";
        string? test = metadata.GetValueOrDefault("setting.test_data");
        const string SplitMark = " (split.csv)";
        if (test is null || !test.EndsWith(SplitMark, StringComparison.Ordinal))
            return $"Warning: '{dataPath}' is {trainedOn}, all {samples} of its samples, {consequence}." +
                (test is null ? "" : $" Its run tested on '{test}'; pass that as --data.");
        string split = Path.Combine(Path.GetDirectoryName(checkpointPath) ?? ".", "split.csv");
        // Without split.csv only the fraction is known, not the count a stratified split held out ("all but 0.1 of its 150").
        string fraction = test[..test.IndexOf(" of ", StringComparison.Ordinal)];
        string percent = double.TryParse(fraction, NumberStyles.Float, CultureInfo.InvariantCulture, out double f)
            ? (100 * f).ToString("0.##", CultureInfo.InvariantCulture) + "%" : fraction;
        string howMany = TrainRows(split, samples) is int n
            ? $"{n} of its {samples} samples trained it ({split})"
            : $"all of its {samples} samples but the {percent} its run held out (--val-split {fraction}) trained it";
        return $"Warning: '{dataPath}' is {trainedOn}: {howMany}, {consequence}. Pass --held-out " +
            $"{(File.Exists(split) ? split : "RUN/split.csv")} to use only the rows its run held out.";
    }

    /// <summary>
    /// Whether <paramref name="path"/> holds the bytes of the file that <see cref="Fingerprint"/> recorded under
    /// <paramref name="bytesKey"/> and <paramref name="sha256Key"/>: read only when its length is the recorded one, so that other
    /// data costs nothing. False for a checkpoint without the fingerprint (an older xent, or data that was a folder), and when the
    /// file cannot be read.
    /// </summary>
    private static bool SameBytes(IReadOnlyDictionary<string, string> metadata, string bytesKey, string sha256Key, string path) =>
        metadata.TryGetValue(bytesKey, out var recorded) && metadata.TryGetValue(sha256Key, out var sha256)
        && long.TryParse(recorded, NumberStyles.None, CultureInfo.InvariantCulture, out long bytes) && bytes > 0
        && Holds(path, bytes, () => sha256);

    /// <summary>
    /// Whether <paramref name="path"/> is a file of <paramref name="bytes"/> bytes whose SHA-256 is <paramref name="sha256"/>'s
    /// (lower-case hex): hashed only when its length is that, so that other data costs nothing, and <paramref name="sha256"/> is
    /// asked for only then. False when it cannot be read.
    /// </summary>
    private static bool Holds(string path, long bytes, Func<string?> sha256)
    {
        try
        {
            var file = new FileInfo(LinkWalk.RealPath(path));
            return file.Exists && file.Length == bytes && sha256() is { } expected
                && FileFingerprint.OfFile(file.FullName) is var (read, hash) && read == bytes
                && string.Equals(hash, expected, StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the warning is a courtesy
        }
    }

    /// <summary>
    /// <c>train</c>'s warning (with <c>Warning:</c>) when its <c>--test-data</c> <paramref name="testPath"/> is its <c>--data</c>
    /// <paramref name="dataPath"/>: the same path, a symbolic or hard link to it, or a copy of the file (the same bytes), so that the
    /// held-out figures it reports are scores on the samples it trains on; null otherwise. The two files are hashed only when they
    /// have the same length; <paramref name="fingerprint"/> is the training file's when the loader hashed it as it read it, and is
    /// set to it when it is hashed here, so that <see cref="Fingerprint"/> does not read the file again. A copy of image class
    /// folders is not told (their path and links are). For a .npy pair, <paramref name="labels"/> (the training labels file and its
    /// fingerprint as the loader hashed it) must be <paramref name="testLabels"/> too, by path, link or bytes: the same features with
    /// other labels are other data.
    /// </summary>
    public static string? ForTestData(string dataPath, string testPath, bool multiLabel, ref (long Bytes, string Sha256)? fingerprint,
        (string Path, (long Bytes, string Sha256)? Read)? labels = null, string? testLabels = null)
    {
        bool same = OutputPaths.SameFile(testPath, dataPath) || HardLinked(testPath, dataPath);
        if (!same)
        {
            var known = fingerprint;
            string Sha256() => (known ??= FileFingerprint.OfFile(LinkWalk.RealPath(dataPath))).Sha256;
            long bytes = known?.Bytes ?? RegularLength(dataPath);
            // The training file is hashed (once) only when the test file has its length: other test data costs nothing.
            bool copy = bytes > 0 && Holds(testPath, bytes, Sha256);
            fingerprint = known; // the loader's, or the one hashed here
            if (!copy) return null;
        }
        if (labels is var (labelsPath, read) && testLabels is not null)
        {
            bool sameLabels = OutputPaths.SameFile(testLabels, labelsPath) || HardLinked(testLabels, labelsPath)
                || read is var (labelBytes, labelsSha256) && Holds(testLabels, labelBytes, () => labelsSha256);
            if (!sameLabels) return null;
        }
        return $"Warning: --test-data '{testPath}' is {(same ? "" : "a copy of ")}the training data (--data '{dataPath}'" +
            $"{(same ? "" : ", the same bytes")}), so the test loss and accuracy this run reports are scores on the samples it " +
            $"trains on, not a test result. Leave out --test-data to hold out {(multiLabel ? "a random" : "a stratified")} " +
            "--val-split of the data (10% by default), or pass other data as --test-data.";
    }

    /// <summary>The length of <paramref name="path"/> (links followed) when it is a regular file; 0 otherwise.</summary>
    private static long RegularLength(string path)
    {
        string real = LinkWalk.RealPath(path);
        // Only a regular file is opened: a pipe's open would wait for a writer, or drain what another program meant for train.
        return FileKinds.Of(real) == FileKind.Regular || !OperatingSystem.IsLinux() && File.Exists(real) ? new FileInfo(real).Length : 0;
    }

    /// <summary>
    /// Whether two files are one file under two names (a hard link, <c>ln d.csv d2.csv</c>): the same mount and inode, as Linux's
    /// /proc/self/fdinfo gives them for an open file (.NET has no stat). A copy is another file, told by its bytes
    /// (<see cref="SameBytes"/>). Symbolic links are followed first (<see cref="LinkWalk.RealPath"/>): a link's own
    /// <see cref="FileInfo.Length"/> is the length of the name it holds, so a link to a hard link of the training data failed the
    /// length check, and a link whose name happened to be as long opened what it led to, a pipe included. Only regular files of
    /// one length, not empty, are opened.
    /// </summary>
    internal static bool HardLinked(string a, string b)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            var (ra, rb) = (LinkWalk.RealPath(a), LinkWalk.RealPath(b));
            // A pipe's open would wait for a writer, or drain what another program meant for the command.
            if (FileKinds.Of(ra) != FileKind.Regular || FileKinds.Of(rb) != FileKind.Regular) return false;
            var (fa, fb) = (new FileInfo(ra), new FileInfo(rb));
            if (fa.Length == 0 || fa.Length != fb.Length) return false;
            return Identity(ra) is { } ia && Identity(rb) is { } ib && ia == ib;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the warning is a courtesy
        }
    }

    /// <summary>The <c>mnt_id</c> and <c>ino</c> lines of an open <paramref name="path"/>'s /proc/self/fdinfo; null without them.</summary>
    private static string? Identity(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var lines = File.ReadLines($"/proc/self/fdinfo/{handle.DangerousGetHandle()}")
            .Where(l => l.StartsWith("mnt_id:", StringComparison.Ordinal) || l.StartsWith("ino:", StringComparison.Ordinal)).ToList();
        return lines.Count == 2 ? string.Join(' ', lines) : null;
    }

    /// <summary>The rows <paramref name="split"/> marks <c>train</c>; null without such a file, or with another row count.</summary>
    private static int? TrainRows(string split, int samples)
    {
        try
        {
            if (!File.Exists(split)) return null;
            var lines = FileReading.ReadLines(split).Skip(1).ToList();
            return lines.Count != samples ? null
                : lines.Count(l => l.Split(',') is [_, "train", ..]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // the count is a courtesy: the warning stands without it
        }
    }
}
