using System.Globalization;
using Xent.Data;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary><c>xent eval --report PATH</c>: the HTML page of one evaluation (<see cref="EvaluationReportWriter"/>).</summary>
internal static class EvalReport
{
    /// <summary>Writes the report; returns 0, or 2 after one <c>error:</c> line when it cannot be written.</summary>
    public static int Write(string path, string checkpointPath, IReadOnlyDictionary<string, string> metadata, ModelSpec spec,
        string dataPath, IDataset test, EvaluationResult result, LogitsRecorder? recorder, bool json)
    {
        var ci = CultureInfo.InvariantCulture;
        var settings = new List<KeyValuePair<string, string>>
        {
            new("checkpoint", Path.GetFullPath(checkpointPath)),
            new("model", spec.Model + (spec.Hidden.Length > 0 ? $" (hidden {string.Join(", ", spec.Hidden)})" : "")),
            new("epoch", metadata.TryGetValue("epoch", out var epoch) ? epoch : "–"),
            new("data", Path.GetFullPath(dataPath)),
            new("samples", test.Count.ToString(ci)),
            new("input", $"{spec.InputKind} ({string.Join(", ", spec.InputShape)})"),
            new("temperature", spec.Temperature.ToString("R", ci)),
        };
        string title = $"xent eval: {Path.GetFileName(checkpointPath)} on {Path.GetFileName(Path.TrimEndingDirectorySeparator(dataPath))}";
        var report = new EvaluationReport(title, settings, spec.ClassNames, result);
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
            return TrainCommand.ExitNoData;
        }
        if (!json) Console.WriteLine($"Wrote {path}");
        return 0;
    }
}
