using System.CommandLine;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Xent.Data;
using Xent.Kernels;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent predict</c>: class probabilities from a checkpoint for raw inputs — one image, a folder of images (recursively),
/// a CSV/TSV file (one input per row; the label column may be absent) or a .npy file — through <see cref="Predictor"/>.
/// <c>--top-k</c> above the class count is clamped to it, so <c>--top-k C</c> (or more) lists every class; JSON probabilities
/// are the float64 values, written to round-trip, and NaN (an input too large for the model, weights that are not finite)
/// as null, as <c>eval --json</c> writes it; every output mode warns on stderr when some inputs gave such probabilities.
/// A checkpoint without a model spec is read as <see cref="CheckpointModel"/> says.
/// </summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var checkpoint = PathOptions.Input(new Option<string>("--checkpoint")
            { Description =
            "Checkpoint (.safetensors) written by xent train, or a PyTorch state dict of the tutorial's models (read as 1x28x28 images)",
            Required = true });
        // --data too, the name train, eval and calibrate give their data: a user moving from eval to predict types it.
        var input = PathOptions.Input(new Option<string>("--input", "--data")
            { Description = "An image, a folder of images, a .csv/.tsv file or a .npy file", Required = true });
        var topK = new Option<int?>("--top-k")
        {
            Description =
                $"How many of the most probable classes the table or --json lists per input [default: {DefaultTopK}]; a K of at least " +
                "the class count lists every class (multi-label models always list every label; --out always writes every class)",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per input (JSON lines) instead of a table" };
        var id = new Option<string?>("--id")
        {
            HelpName = "COLUMN",
            Description = "CSV/TSV --input: name each row by this column's value (an ID column) instead of its row index, in the " +
                "table, --json and --out",
        };
        var output = PathOptions.OutputFile(new Option<string?>("--out")
        {
            Description =
                "Write the predictions to this CSV file (.tsv: tab-separated; .gz: gzipped) instead of printing a table: input, " +
                "class, probability, then every class's " +
                "probability (multi-label: every label's, then the predicted labels); replaced if it exists (never the checkpoint or the " +
                "input file), folders are created",
        }, "predictions.csv");
        var threads = CommonOptions.Threads();
        var command = new Command("predict", "Predict the classes (or labels) of raw inputs with a trained checkpoint.")
        {
            checkpoint, input, topK, json, output, id, threads,
        };
        command.SetAction(parse => Run(parse.GetValue(checkpoint)!, parse.GetValue(input)!, parse.GetValue(topK), parse.GetValue(json),
            parse.GetValue(output), parse.GetValue(id), parse.GetValue(threads)));
        return command;
    }

    /// <summary>Classes listed per input when --top-k is not given.</summary>
    private const int DefaultTopK = 3;

    private static int Run(string checkpointPath, string inputPath, int? topKGiven, bool json, string? outPath, string? idColumn,
        int? threads)
    {
        using var interrupted = InterruptedWrites.Handle(); // Ctrl-C or SIGTERM mid-write leaves no temporary file
        using var stdoutOutput = OutputPaths.KeepStdoutFor(outPath); // --out /dev/stdout: messages go to stderr
        var err = Console.Error;
        int topK = topKGiven ?? DefaultTopK;
        if (topK < 1) return CliHost.Fail($"--top-k must be at least 1, got {topK}.");
        if (topKGiven is not null && outPath is not null)
            return CliHost.Fail("--top-k chooses what the table or --json lists; --out writes every class's probability, so leave it out.");
        if (CommonOptions.ThreadsError(threads) is { } threadsError) return CliHost.Fail(threadsError);
        if (idColumn is not null && !CsvSource.Handles(inputPath))
            return CliHost.Fail($"--id names a column of a CSV/TSV --input, and '{inputPath}' is not one.");
        if (json && outPath is not null) return CliHost.Fail("--json prints to stdout and --out writes a CSV file; pass one of them.");
        if (outPath is not null && OutputPaths.Check(outPath, "--out", "predictions.csv", (checkpointPath, "--checkpoint"),
                (inputPath, "--input")) is { } outError)
            return CliHost.Fail(outError);
        // After the path checks: an --out that would replace the checkpoint or the input is the first thing to say.
        if (outPath is not null && OutFormatError(outPath) is { } formatError) return CliHost.Fail(formatError);
        CommonOptions.UseThreads(threads);
        Predictor predictor;
        string? note;
        IReadOnlyList<(string Input, double[] Probabilities)> results;
        try
        {
            var (model, spec, legacy, _) = CheckpointModel.Load(checkpointPath);
            predictor = new Predictor(model, spec) { Predicted = DataSource.ProgressTo(err, "predicted", "inputs"), CommandLine = true };
            note = legacy ? CheckpointModel.LegacyNote(checkpointPath, spec, "predicting with it as") : null;
            results = predictor.PredictPath(inputPath, DataSource.ReadProgressTo(err, inputPath)); // stderr: stdout may be --json
            if (idColumn is not null) results = NamedByColumn(results, inputPath, idColumn);
        }
        catch (Exception e) when (DataSource.IsDataError(e) || e is ArgumentException)
        {
            return CliHost.Fail(e); // a data file's text may hold line breaks or control characters: Fail cleans them
        }
        if (note is not null) err.WriteLine(note); // after the inputs were read: an error stays the only stderr line
        if (NonFiniteWarning(results) is { } warning) err.WriteLine(warning);
        var names = predictor.ClassNames;
        bool multi = predictor.Spec.MultiLabel;
        var ci = CultureInfo.InvariantCulture;
        var stdout = Console.Out;
        if (json)
        {
            foreach (var (inputName, p) in results) stdout.WriteLine(ToJson(inputName, p, names, multi, topK, idColumn is not null));
            return 0;
        }
        if (outPath is not null)
        {
            try
            {
                WriteCsv(outPath, results, names, multi);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CliHost.Fail(OutputPaths.WriteFailure(outPath, e));
            }
            stdout.WriteLine($"Wrote {results.Count} prediction(s) to {outPath}");
            return 0;
        }
        // Padded by terminal columns, names shown printable (TextCells): a CJK name or a file name with a line break in it
        // shifted or split the rows. Every row is known before the first is printed, so each column is as wide as its widest
        // cell: a fixed class column misaligned the rows of names longer than it (qa-s21-seen L3).
        int width = Math.Max(5, results.Count == 0 ? 5 : results.Max(r => TextCells.Width(r.Input)));
        // Four decimals everywhere, as the probability column has them: one row showed 0.9988 and 0.999 (qa-s21-seen L4).
        string Listed(int k, double p) => string.Create(ci, $"{TextCells.Shown(names[k])} {p:F4}");
        if (multi)
        {
            const string PredictedHeader = "predicted labels (probability > 0.5)";
            // Each name shown on its own (TextCells.Shown): a mark after every right-to-left one, not after the list.
            var predicted = results.Select(r => string.Join(", ", Enumerable.Range(0, r.Probabilities.Length)
                .Where(k => r.Probabilities[k] > 0.5).Select(k => TextCells.Shown(names[k])))).ToArray();
            int labelsWidth = Math.Max(PredictedHeader.Length, predicted.Length == 0 ? 0 : predicted.Max(TextCells.Columns));
            stdout.WriteLine($"{"input".PadRight(width)}  {PredictedHeader.PadRight(labelsWidth)}  all labels");
            for (int i = 0; i < results.Count; i++)
            {
                var (inputName, p) = results[i];
                var all = string.Join(", ", Enumerable.Range(0, p.Length).Select(k => Listed(k, p[k])));
                stdout.WriteLine($"{TextCells.PadRight(inputName, width)}  {TextCells.PadShownRight(predicted[i], labelsWidth)}  {all}");
            }
            return 0;
        }
        var tops = results.Select(r => Top(r.Probabilities, topK)).ToArray();
        int classWidth = Math.Max("class".Length, tops.Length == 0 ? 0 : tops.Max(t => TextCells.Width(names[t[0]])));
        stdout.WriteLine($"{"input".PadRight(width)}  {"class".PadRight(classWidth)} probability  top {Math.Min(topK, names.Count)}");
        for (int i = 0; i < results.Count; i++)
        {
            var (inputName, p) = results[i];
            var top = tops[i];
            var list = string.Join(", ", top.Select(k => Listed(k, p[k])));
            stdout.WriteLine(string.Create(ci,
                $"{TextCells.PadRight(inputName, width)}  {TextCells.PadRight(names[top[0]], classWidth)} {p[top[0]],11:F4}  {list}"));
        }
        return 0;
    }

    /// <summary>
    /// The warning for inputs whose probabilities are not all finite (softmax of logits that overflowed to infinity, or of NaN
    /// weights), or null when every one is finite: otherwise a NaN row looks like any other in a long table or file.
    /// </summary>
    internal static string? NonFiniteWarning(IReadOnlyList<(string Input, double[] Probabilities)> results)
    {
        var bad = results.Where(r => !Array.TrueForAll(r.Probabilities, double.IsFinite)).Select(r => r.Input).ToArray();
        if (bad.Length == 0) return null;
        string which = bad.Length == 1 ? $"input {bad[0]}" : $"inputs {string.Join(", ", bad.Take(5))}{(bad.Length > 5 ? ", …" : "")}";
        return CliHost.Clean($"Warning: {bad.Length} of {results.Count} input(s) gave probabilities that are not finite ({which}): " +
            "input values too large for the model, or a checkpoint whose weights are not finite. They show as NaN (null in --json).");
    }

    /// <summary>The results with each row named by its cell in <paramref name="column"/> of the CSV/TSV file, not its index.</summary>
    private static IReadOnlyList<(string Input, double[] Probabilities)> NamedByColumn(
        IReadOnlyList<(string Input, double[] Probabilities)> results, string path, string column)
    {
        var table = CsvColumns.Read(path, h => Array.IndexOf(h, column) is int c and >= 0 ? [c] : [], onlyText: true);
        int col = Array.IndexOf(table.Header, column);
        if (col < 0)
            throw new InvalidDataException($"'{path}' has no column '{column}' for --id; its columns are: " +
                $"{string.Join(", ", table.Header)}.");
        var ids = table.Texts(col);
        return results.Select((r, i) => (ids[i], r.Probabilities)).ToArray();
    }

    /// <summary>
    /// Writes the predictions as CSV, atomically (a failed write leaves no file, and an existing one as it was): a header
    /// <c>input,class,probability,p(NAME)…</c> (multi-label: <c>input,p(NAME)…,predicted</c> with the names joined by <c>;</c>),
    /// one row per input, probabilities written to round-trip, without an exponent (as metrics.csv writes its numbers).
    /// </summary>
    internal static void WriteCsv(string path, IReadOnlyList<(string Input, double[] Probabilities)> results, IReadOnlyList<string> names,
        bool multi)
    {
        var (sep, gzip) = OutFormat(path);
        var probabilityColumns = names.Select(n => Field($"p({n})", sep));
        var sb = new StringBuilder();
        sb.AppendJoin(sep, multi ? ["input", .. probabilityColumns, "predicted"] : ["input", "class", "probability", .. probabilityColumns])
            .Append('\n');
        foreach (var (input, p) in results)
        {
            sb.Append(Field(input, sep));
            if (!multi)
            {
                int best = Top(p, 1)[0];
                sb.Append(sep).Append(Field(names[best], sep)).Append(sep).Append(MetricsCsvWriter.Plain(p[best]));
            }
            foreach (double v in p) sb.Append(sep).Append(MetricsCsvWriter.Plain(v));
            if (multi)
            {
                var predicted = Enumerable.Range(0, p.Length).Where(k => p[k] > 0.5).Select(k => names[k]);
                sb.Append(sep).Append(Field(string.Join(';', predicted), sep));
            }
            sb.Append('\n');
        }
        OutputPaths.Write(path, () =>
        {
            using var writer = Xent.IO.AtomicFileWriter.Begin(path);
            byte[] bytes = Encoding.UTF8.GetBytes(sb.ToString());
            if (gzip)
            {
                using var compressed = new GZipStream(writer.Stream, CompressionLevel.Optimal, leaveOpen: true);
                compressed.Write(bytes);
            }
            else writer.Stream.Write(bytes);
            writer.Commit();
        });
    }

    /// <summary>
    /// What <c>--out</c>'s name says to write, as xent reads it back (DATA.md): a tab for <c>.tsv</c>, else a comma, gzipped
    /// when the name ends in <c>.gz</c>.
    /// </summary>
    internal static (char Separator, bool Gzip) OutFormat(string path) => (CsvSource.IsTsv(path) ? '\t' : ',', CsvSource.IsGzip(path));

    /// <summary>
    /// Null when predict writes what <c>--out</c>'s name says (<c>.csv</c>, <c>.tsv</c>, <c>.txt</c> or no extension, such as
    /// <c>/dev/stdout</c> or a shell's <c>&gt;(…)</c>; each may add <c>.gz</c>); otherwise the refusal, so that a name saying
    /// another format (<c>.json</c>, <c>.npy</c>, <c>.parquet</c>, …) is not given CSV text under it (qa-s21-crash M9).
    /// </summary>
    internal static string? OutFormatError(string path)
    {
        string name = Path.GetFileName(path);
        string stem = CsvSource.IsGzip(name) ? name[..^3] : name;
        string extension = Path.GetExtension(stem);
        if (extension.Length == 0 || extension.ToLowerInvariant() is ".csv" or ".tsv" or ".txt") return null;
        return $"--out '{path}' ends in '{extension}', but predict writes a CSV table: name it .csv (or .tsv for tabs, " +
            "either with .gz to compress it), or pass --json instead of --out for JSON lines.";
    }

    /// <summary>
    /// A CSV/TSV field, quoted (with quotes doubled) when it holds the separator <paramref name="sep"/>, a quote or a line break.
    /// </summary>
    internal static string Field(string value, char sep = ',') =>
        value.AsSpan().IndexOfAny([sep, '"', '\r', '\n']) < 0 ? value
            : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Class indices by decreasing probability (ties: lower index first), at most <paramref name="k"/>.</summary>
    internal static int[] Top(double[] p, int k) =>
        Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).Take(k).ToArray();

    internal static string ToJson(string input, double[] p, IReadOnlyList<string> names, bool multi, int topK, bool idIsText = false)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            // Row indices of tables are numbers; file inputs are paths; IDs are text ('0007' stays '0007').
            if (!idIsText && int.TryParse(input, NumberStyles.None, CultureInfo.InvariantCulture, out int row) && !File.Exists(input))
                w.WriteNumber("input", row);
            else w.WriteString("input", input);
            if (multi)
            {
                w.WriteStartObject("labels");
                for (int k = 0; k < p.Length; k++) WriteNumberOrNull(w, names[k], p[k]);
                w.WriteEndObject();
                w.WriteStartArray("predicted");
                for (int k = 0; k < p.Length; k++) if (p[k] > 0.5) w.WriteStringValue(names[k]);
                w.WriteEndArray();
            }
            else
            {
                var top = Top(p, topK);
                w.WriteString("class", names[top[0]]);
                WriteNumberOrNull(w, "probability", p[top[0]]);
                w.WriteStartArray("top");
                foreach (int k in top)
                {
                    w.WriteStartObject();
                    w.WriteString("class", names[k]);
                    WriteNumberOrNull(w, "probability", p[k]);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>A probability, or null when it is NaN (JSON has no NaN; <c>eval --json</c> writes null the same way).</summary>
    private static void WriteNumberOrNull(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
