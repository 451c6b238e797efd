using System.Globalization;
using Xent.IO;

namespace Xent.Cli.Commands;

/// <summary>
/// The warning of <c>eval</c> and <c>calibrate</c> when --data leads to the data the checkpoint was trained on
/// (<c>setting.data</c>, where its --data led): a score on it is not a test result. It says how many of its samples trained
/// the model (all, when the run tested on other data; the rows the run's <c>split.csv</c> marks <c>train</c>, when it held part
/// out) and what to pass instead.
/// </summary>
internal static class TrainingDataWarning
{
    /// <summary>
    /// The warning (with <c>Warning:</c>), or null when <paramref name="dataPath"/> is not the checkpoint's training data or the
    /// checkpoint does not say what that was. <paramref name="consequence"/> ends the first sentence ("so its accuracy is not a test
    /// result").
    /// </summary>
    public static string? For(IReadOnlyDictionary<string, string> metadata, string checkpointPath, string dataPath, int samples,
        string consequence)
    {
        // An IDX folder's t10k files, which eval and calibrate read, train no run (a --val-split holds out training images).
        if (!metadata.TryGetValue("setting.data", out var trained) || DataSource.IsIdx(dataPath)
            || !(OutputPaths.SameFile(dataPath, trained) || HardLinked(dataPath, trained)))
            return null;
        string? test = metadata.GetValueOrDefault("setting.test_data");
        const string SplitMark = " (split.csv)";
        if (test is null || !test.EndsWith(SplitMark, StringComparison.Ordinal))
            return $"Warning: '{dataPath}' is the data '{checkpointPath}' was trained on, all {samples} of its samples, {consequence}." +
                (test is null ? "" : $" Its run tested on '{test}'; pass that as --data.");
        string split = Path.Combine(Path.GetDirectoryName(checkpointPath) ?? ".", "split.csv");
        // Without split.csv only the fraction is known, not the count a stratified split held out ("all but 0.1 of its 150").
        string fraction = test[..test.IndexOf(" of ", StringComparison.Ordinal)];
        string percent = double.TryParse(fraction, NumberStyles.Float, CultureInfo.InvariantCulture, out double f)
            ? (100 * f).ToString("0.##", CultureInfo.InvariantCulture) + "%" : fraction;
        string howMany = TrainRows(split, samples) is int n
            ? $"{n} of its {samples} samples trained it ({split})"
            : $"all of its {samples} samples but the {percent} its run held out (--val-split {fraction}) trained it";
        return $"Warning: '{dataPath}' is the data '{checkpointPath}' was trained on: {howMany}, {consequence}. Pass --held-out " +
            $"{(File.Exists(split) ? split : "RUN/split.csv")} to use only the rows its run held out.";
    }

    /// <summary>
    /// Whether two files are one file under two names (a hard link, <c>ln d.csv d2.csv</c>): the same mount and inode, as Linux's
    /// /proc/self/fdinfo gives them for an open file (.NET has no stat). A copy is another file and is not told (qa-s20-b L5).
    /// Files of other lengths, or empty ones (a pipe), are not opened.
    /// </summary>
    private static bool HardLinked(string a, string b)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            var (fa, fb) = (new FileInfo(a), new FileInfo(b));
            if (!fa.Exists || !fb.Exists || fa.Length == 0 || fa.Length != fb.Length) return false;
            return Identity(a) is { } ia && Identity(b) is { } ib && ia == ib;
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
