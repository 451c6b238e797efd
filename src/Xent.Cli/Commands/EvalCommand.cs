using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Xent.Data;
using Xent.Kernels;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent eval</c>: accuracy, per-class accuracy, precision, recall and F1, macro-F1, confusion matrix, mean cross-entropy
/// and expected calibration error of a checkpoint on labelled data of any kind <c>train</c> reads (multi-label: subset accuracy,
/// per-label metrics and mean BCE). A checkpoint's <see cref="ModelSpec"/> rebuilds the model and standardises the raw data;
/// a plain PyTorch state dict with the tutorial's names (<c>conv1.weight</c> … <c>fc2.bias</c>) is read as a 1×28×28 model.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = CommonOptions.Checkpoint();
        var data = CommonOptions.LabelledData();
        var labels = CommonOptions.Labels();
        var target = CommonOptions.Target();
        var model = CommonOptions.CheckpointModel();
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout instead of text" };
        var heldOut = HeldOutSplit.Option();
        var testBatchSize = CommonOptions.TestBatchSize();
        var threads = CommonOptions.Threads();
        var report = PathOptions.OutputFile(new Option<string?>("--report")
            { Description =
            "Also write an HTML report to this file: metrics, reliability diagram (before/after a calibrated checkpoint's temperature), " +
            "confusion matrix" }, "eval.html");
        var command =
            new Command("eval",
            "Evaluate a checkpoint on labelled data: accuracy, per-class precision/recall/F1, macro-F1, confusion matrix, mean " +
            "cross-entropy, calibration.")
        {
            checkpoint, data, labels, target, heldOut, model, json, testBatchSize, threads, report,
        };
        command.SetAction(parse => Run(parse.GetValue(checkpoint)!, parse.GetValue(data), parse.GetValue(labels), parse.GetValue(target),
            parse.GetValue(heldOut), parse.GetValue(model), parse.GetValue(json), parse.GetValue(testBatchSize), parse.GetValue(threads),
            parse.GetValue(report)));
        return command;
    }

    private static int Run(string checkpointPath, string? data, string? labels, string? target, string? heldOut, string? modelName,
        bool json, int testBatchSize, int? threads, string? reportPath)
    {
        if (OutputPaths.JsonBeside(json, reportPath, "--report") is { } both) return CliHost.Fail(both);
        using var interrupted = InterruptedWrites.Handle(); // Ctrl-C or SIGTERM mid-write leaves no temporary file
        using var stdoutOutput = OutputPaths.KeepStdoutFor(reportPath); // --report /dev/stdout: messages go to stderr
        var err = Console.Error;
        if (testBatchSize < 1 || threads is < 1)
        {
            err.WriteLine("error: --test-batch-size and --threads must be at least 1.");
            return ExitCodes.BadInput; // robustness (issue 13)
        }
        if (CommonOptions.ThreadsError(threads) is { } threadsError) return CliHost.Fail(threadsError);
        string dataPath = data ?? DataSource.DefaultDirectory;
        // The default folder is checked once the checkpoint tells whether it is the data to read.
        if (data is not null && DataSource.IsIdx(dataPath) && DataSource.Missing(dataPath, needTrain: false) is not null)
        {
            // robustness (issue 13): "error:" prefix
            err.WriteLine("error: " + CliHost.Clean(DataSource.NotFoundMessage(dataPath, needTrain: false)));
            return ExitCodes.BadInput;
        }
        // Checked before any work: the report must not replace an input (it replaced a --data CSV with HTML).
        if (reportPath is not null && OutputPaths.Check(reportPath, "--report", "eval.html", (checkpointPath, "--checkpoint"),
                (dataPath, "--data"), (labels, "--labels"),
                (heldOut is null ? null : HeldOutSplit.ReadFile(heldOut), "--held-out")) is { } badReport)
            return CliHost.Fail(badReport);
        CommonOptions.UseThreads(threads);

        // An unreadable or unfitting checkpoint is bad input: CliHost's one error path reports it (exit 2, --verbose for the trace).
        var (module, spec, legacy, metadata) = CheckpointModel.Load(checkpointPath, modelName, dataPath);
        string name = spec.Model;
        if (data is null && DataSource.NeedsData(checkpointPath, spec, legacy, "evaluate") is { } needsData)
        {
            err.WriteLine("error: " + CliHost.Clean(needsData));
            return ExitCodes.BadInput;
        }
        if (data is null && DataSource.Missing(dataPath, needTrain: false) is not null)
        {
            err.WriteLine("error: " + CliHost.Clean(DataSource.NotFoundMessage(dataPath, needTrain: false)));
            return ExitCodes.BadInput;
        }

        IDataset test;
        int dataSamples; // before --held-out keeps its rows
        string? trainedOn = null; // the warning, which --report repeats (qa-s21-seen M2)
        try
        {
            test = DataSource.LoadLabelled(dataPath, spec, labels, target); // checks there are samples of the model's shape
            dataSamples = test.Count;
            if (heldOut is not null) test = HeldOutSplit.Keep(test, dataPath, heldOut, checkpointPath, spec, metadata);
            else if ((trainedOn = TrainingDataWarning.For(metadata, checkpointPath, dataPath, labels, test.Count,
                         "so its accuracy below is not a test result")) is not null)
                err.WriteLine(CliHost.Clean(trainedOn));
        }
        catch (Exception e) when (DataSource.IsDataError(e) || e is ArgumentException)
        {
            return CliHost.Fail(e);
        }
        // --report: the raw logits (before the temperature below) for the reliability diagram, recorded during the one pass.
        LogitsRecorder? recorder = reportPath is null || spec.MultiLabel ? null : new LogitsRecorder(module);
        module = recorder ?? module;
        // A calibrated checkpoint (xent calibrate --out) is evaluated with its temperature: mean cross-entropy and ECE are the calibrated
        // ones.
        if (!spec.MultiLabel && spec.Temperature != 1f) module = new TemperatureScaled(module, spec.Temperature);
        var batches = DataSource.WithProgress(test, DataSource.Batches(test, testBatchSize, shuffle: false), "evaluated");
        var result = Evaluator.Evaluate(module, batches, spec.NumClasses, spec.MultiLabel);
        var names = spec.ClassNames;
        // A NaN logit makes the mean cross-entropy NaN; its argmax is class 0, which the accuracy and confusion matrix count as
        // a prediction. Say so, rather than report a plausible-looking accuracy for a broken model (the report says it too).
        if (NonFiniteOutputs.Warning(result) is { } nonFinite) Console.Error.WriteLine("Warning: " + nonFinite);
        if (json) Console.WriteLine(ToJson(result, names, name, checkpointPath, spec.MultiLabel ? 1f : spec.Temperature));
        else
        {
            string unit = DataSource.SampleNoun(spec);
            string epoch = metadata.TryGetValue("epoch", out var e) ? ", epoch " + e : "";
            string temperature = spec.Temperature != 1f
                ? ", temperature " + spec.Temperature.ToString("0.####", CultureInfo.InvariantCulture) : "";
            Console.WriteLine($"Checkpoint '{checkpointPath}' ({name}{epoch}{temperature}) on {test.Count} test {unit}:");
            ResultTables.PrintFinal(result, names);
            if (!result.MultiLabel)
            {
                Console.WriteLine("Per-class precision, recall and F1:");
                ResultTables.PrintPerClass(result, names);
                Console.WriteLine("Confusion matrix (rows: true class, columns: predicted):");
                foreach (string line in ConfusionMatrixLines(result.ConfusionMatrix, names)) Console.WriteLine(line);
            }
        }
        return reportPath is null ? 0 : EvalReport.Write(reportPath, checkpointPath, metadata, spec, dataPath, test, result, recorder,
            json, new EvalReport.Rows(heldOut, dataSamples, trainedOn is null ? null : CliHost.Clean(trainedOn)));
    }

    /// <summary>Widest line <see cref="ConfusionMatrixLines"/> heads its columns with class names in; wider, it numbers them.</summary>
    private const int MaxNamedWidth = 100;

    /// <summary>
    /// The confusion matrix as text: a header of predicted classes, then one row per true class, named at the left. The class
    /// names head the columns when the lines stay within <see cref="MaxNamedWidth"/> characters; otherwise the columns are
    /// numbered and each row gives its number before the name.
    /// </summary>
    internal static List<string> ConfusionMatrixLines(long[,] m, IReadOnlyList<string> names)
    {
        var ci = CultureInfo.InvariantCulture;
        const string Corner = "true \\ predicted";
        int k = m.GetLength(0);
        string Name(int c) => c < names.Count ? names[c] : c.ToString(ci);
        int digits = 1;
        foreach (long v in m) digits = Math.Max(digits, v.ToString(ci).Length);
        int longest = Enumerable.Range(0, k).Max(c => TextCells.Width(Name(c))), indexWidth = (k - 1).ToString(ci).Length;
        int namedCell = Math.Max(digits, longest) + 2;
        bool byName = 2 + Math.Max(Corner.Length, longest) + k * namedCell <= MaxNamedWidth;
        int cell = byName ? namedCell : Math.Max(digits, indexWidth) + 2;
        string Label(int c) => byName ? Name(c) : c.ToString(ci).PadLeft(indexWidth) + "  " + Name(c);
        string Header(int c) => byName ? Name(c) : c.ToString(ci);
        // Widths in terminal columns (TextCells): a CJK name is twice as wide as its length.
        int left = Math.Max(Corner.Length, Enumerable.Range(0, k).Max(c => TextCells.Width(Label(c))));
        var lines = new List<string>(k + 1);
        var sb = new StringBuilder("  ").Append(Corner.PadRight(left));
        for (int c = 0; c < k; c++) sb.Append(TextCells.PadLeft(Header(c), cell));
        lines.Add(sb.ToString());
        for (int r = 0; r < k; r++)
        {
            sb.Clear().Append("  ").Append(TextCells.PadRight(Label(r), left));
            for (int c = 0; c < k; c++) sb.Append(m[r, c].ToString(ci).PadLeft(cell));
            lines.Add(sb.ToString());
        }
        return lines;
    }

    internal static string ToJson(EvaluationResult r, IReadOnlyList<string> names, string model, string checkpoint, float temperature)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("checkpoint", checkpoint);
            w.WriteString("model", model);
            // The T the logits were divided by (1 unless calibrated), as the checkpoint holds it: mean_ce and ece are after it
            // (qa-s21-seen L7).
            w.WriteNumber("temperature", temperature);
            w.WriteNumber("accuracy", r.Accuracy);
            w.WriteNumber("correct", r.Correct);
            w.WriteNumber("total", r.Total);
            WriteNumberOrNull(w, "mean_ce", r.MultiLabel ? double.NaN : r.MeanCrossEntropy);
            WriteNumberOrNull(w, "ece", r.ExpectedCalibrationError);
            WriteNumberOrNull(w, "macro_f1", r.MacroF1);
            if (r.MultiLabel)
            {
                w.WriteNumber("subset_accuracy", r.Accuracy);
                WriteNumberOrNull(w, "mean_bce", r.MeanCrossEntropy);
            }
            w.WriteStartArray(r.MultiLabel ? "label_names" : "class_names");
            foreach (var n in names) w.WriteStringValue(n);
            w.WriteEndArray();
            WriteArray(w, r.MultiLabel ? "per_label_accuracy" : "per_class_accuracy", r.PerClassAccuracy);
            string prefix = r.MultiLabel ? "per_label_" : "per_class_";
            WriteArray(w, prefix + "precision", r.Precision);
            WriteArray(w, prefix + "recall", r.Recall);
            WriteArray(w, prefix + "f1", r.F1);
            if (!r.MultiLabel)
            {
                w.WriteStartArray("confusion_matrix");
                int k = r.PerClassAccuracy.Length;
                for (int t = 0; t < k; t++)
                {
                    w.WriteStartArray();
                    for (int p = 0; p < k; p++) w.WriteNumberValue(r.ConfusionMatrix[t, p]);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WriteArray(Utf8JsonWriter w, string name, double[] values)
    {
        w.WriteStartArray(name);
        foreach (double a in values) { if (double.IsFinite(a)) w.WriteNumberValue(a); else w.WriteNullValue(); }
        w.WriteEndArray();
    }

    private static void WriteNumberOrNull(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
