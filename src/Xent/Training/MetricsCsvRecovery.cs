using Xent.IO;

namespace Xent.Training;

/// <summary>
/// Reads a <c>metrics.csv</c> that a killed run may have left with a torn last row: rows are appended and flushed one
/// at a time, so only the final line can be incomplete, and then it lacks its newline. Such a line is dropped when it
/// does not parse; any other malformed line is still an error, because it means the file was damaged, not interrupted.
/// </summary>
internal static class MetricsCsvRecovery
{
    /// <summary>The complete rows of <paramref name="path"/>, without a torn (unterminated and malformed) last line.</summary>
    /// <exception cref="InvalidDataException">The header or a complete row is malformed.</exception>
    public static List<MetricsRow> ReadWholeRows(string path)
    {
        string text;
        using (var reader = FileReading.OpenText(path)) text = reader.ReadToEnd();
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        bool unterminated = lines[^1].Length > 0;
        lines.RemoveAt(lines.Count - 1); // the text after the last newline: empty, or the torn row
        if (unterminated)
        {
            try { return MetricsCsvWriter.Parse([.. lines, text[(text.LastIndexOf('\n') + 1)..]], path); }
            catch (InvalidDataException) when (lines.Count > 0) { } // torn: keep what precedes it
        }
        return MetricsCsvWriter.Parse(lines, path);
    }
}
