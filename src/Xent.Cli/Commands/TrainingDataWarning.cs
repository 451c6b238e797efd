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
            || !OutputPaths.SameFile(dataPath, trained))
            return null;
        string? test = metadata.GetValueOrDefault("setting.test_data");
        const string SplitMark = " (split.csv)";
        if (test is null || !test.EndsWith(SplitMark, StringComparison.Ordinal))
            return $"Warning: '{dataPath}' is the data '{checkpointPath}' was trained on, all {samples} of its samples, {consequence}." +
                (test is null ? "" : $" Its run tested on '{test}'; pass that as --data.");
        string split = Path.Combine(Path.GetDirectoryName(checkpointPath) ?? ".", "split.csv");
        string howMany = TrainRows(split, samples) is int n
            ? $"{n} of its {samples} samples trained it ({split})"
            : $"all but {test[..test.IndexOf(" of ", StringComparison.Ordinal)]} of its {samples} samples trained it";
        return $"Warning: '{dataPath}' is the data '{checkpointPath}' was trained on: {howMany}, {consequence}. Pass --held-out " +
            $"{(File.Exists(split) ? split : "RUN/split.csv")} to use only the rows its run held out.";
    }

    /// <summary>The rows <paramref name="split"/> marks <c>train</c>; null without such a file, or with another row count.</summary>
    private static int? TrainRows(string split, int samples)
    {
        try
        {
            if (!File.Exists(split)) return null;
            var lines = File.ReadLines(split).Skip(1).ToList();
            return lines.Count != samples ? null
                : lines.Count(l => l.Split(',') is [_, "train", ..]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // the count is a courtesy: the warning stands without it
        }
    }
}
