using System.Globalization;
using Xent.Data;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary><c>xent eval --report PATH</c>: the HTML page of one evaluation (<see cref="EvaluationReportWriter"/>).</summary>
internal static class EvalReport
{
    /// <summary>
    /// Which rows of the data were scored: <paramref name="HeldOut"/> (--held-out, or null) of the <paramref name="DataSamples"/>
    /// of --data, and the warning that they are the checkpoint's training data (<see cref="TrainingDataWarning"/>, or null). The
    /// report said neither: only the terminal warned, and a --held-out page did not say which rows it scored (qa-s21-seen M2).
    /// </summary>
    public sealed record Rows(string? HeldOut, int DataSamples, string? TrainedOn);

    /// <summary>Writes the report; returns 0, or 2 after one <c>error:</c> line when it cannot be written.</summary>
    public static int Write(string path, string checkpointPath, IReadOnlyDictionary<string, string> metadata, ModelSpec spec,
        string dataPath, IDataset test, EvaluationResult result, LogitsRecorder? recorder, bool json, Rows rows)
    {
        var ci = CultureInfo.InvariantCulture;
        var settings = new List<KeyValuePair<string, string>>
        {
            new("checkpoint", Path.GetFullPath(checkpointPath)),
            new("model", spec.Model + (spec.Hidden.Length > 0 ? $" (hidden {string.Join(", ", spec.Hidden)})" : "")),
            new("epoch", metadata.TryGetValue("epoch", out var epoch) ? epoch : "–"),
            new("data", Path.GetFullPath(dataPath)),
        };
        if (rows.HeldOut is { } heldOut)
            settings.Add(new("held-out", $"the {test.Count} of its {rows.DataSamples} samples that " +
                $"{Path.GetFullPath(HeldOutSplit.SplitFile(heldOut))} marks 'test', the part the checkpoint's run held out"));
        settings.AddRange(
        [
            new("samples", test.Count.ToString(ci)),
            new("input", $"{spec.InputKind} ({string.Join(", ", spec.InputShape)})"),
            new("temperature", spec.Temperature.ToString("R", ci)),
        ]);
        string title = $"xent eval: {Path.GetFileName(checkpointPath)} on {(rows.HeldOut is null ? "" : "the held-out rows of ")}" +
            Path.GetFileName(Path.TrimEndingDirectorySeparator(dataPath));
        const string Prefix = "Warning: ";
        var report = new EvaluationReport(title, settings, spec.ClassNames, result)
        {
            Warnings = rows.TrainedOn is { } w ? [w.StartsWith(Prefix, StringComparison.Ordinal) ? w[Prefix.Length..] : w] : [],
        };
        try
        {
            if (recorder is not null)
            {
                var targets = new long[test.Count];
                for (int i = 0; i < targets.Length; i++) targets[i] = test.Target(i);
                report = report.WithReliability(recorder.Logits, targets, spec.Temperature);
            }
            OutputPaths.Write(path, () => EvaluationReportWriter.Write(path, report));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("error: " + CliHost.Clean($"cannot write the report '{path}': {OutputPaths.Reason(path, e)}"));
            return ExitCodes.BadInput;
        }
        if (!json) Console.WriteLine($"Wrote {path}");
        return 0;
    }
}
