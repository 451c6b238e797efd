using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Xent.Data;
using Xent.IO;
using Xent.Kernels;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent calibrate --checkpoint C [--data DIR] [--out C2] [--json]</c>: fits one softmax temperature T on labelled held-out
/// data (<see cref="TemperatureScaling"/>), reports it with the NLL and 15-bin ECE before and after, and with <c>--out</c>
/// writes a copy of the checkpoint whose model spec carries T (<see cref="ModelSpec.Temperature"/>), the value that
/// prediction divides the logits by.
/// </summary>
/// <remarks>
/// It reads every kind of labelled data <c>eval</c> reads (an IDX folder's t10k split, CSV/TSV, image class folders, .npy
/// with --labels), standardised with the checkpoint's spec. A checkpoint without a spec (an older Xent checkpoint or a
/// PyTorch state dict) is read as the tutorial's 1×28×28 model, and <c>--out</c> gives it a spec.
/// </remarks>
internal static class CalibrateCommand
{
    public static Command Create()
    {
        var checkpoint = CommonOptions.Checkpoint();
        var data = CommonOptions.LabelledData("Held-out labelled data");
        var labels = CommonOptions.Labels();
        var target = CommonOptions.Target();
        var output = PathOptions.OutputFile(new Option<string?>("--out")
            { Description = "Write the checkpoint with the fitted temperature in its spec here (may be --checkpoint itself)" },
            "calibrated.safetensors");
        var model = CommonOptions.CheckpointModel();
        var json = new Option<bool>("--json") { Description =
            "Print one JSON object (temperature, nll_before, nll_after, ece_before, ece_after, …) instead of text" };
        var heldOut = HeldOutSplit.Option();
        var batchSize = CommonOptions.TestBatchSize();
        var threads = CommonOptions.Threads();
        var command =
            new Command("calibrate",
            "Fit a softmax temperature on held-out data (temperature scaling): NLL and ECE before and after; --out stores it in the " +
            "checkpoint.")
        {
            checkpoint, data, labels, target, heldOut, output, model, json, batchSize, threads,
        };
        command.SetAction(parse => Run(parse.GetValue(checkpoint)!, parse.GetValue(data), parse.GetValue(labels), parse.GetValue(target),
            parse.GetValue(heldOut), parse.GetValue(output), parse.GetValue(model), parse.GetValue(json), parse.GetValue(batchSize),
            parse.GetValue(threads)));
        return command;
    }

    private static int Run(string checkpointPath, string? data, string? labels, string? targetColumn, string? heldOutSplit,
        string? outPath, string? modelName, bool json, int batchSize, int? threads)
    {
        if (OutputPaths.JsonBeside(json, outPath, "--out") is { } both) return CliHost.Fail(both);
        using var interrupted = InterruptedWrites.Handle(); // Ctrl-C or SIGTERM mid-write leaves no temporary file
        using var stdoutOutput = OutputPaths.KeepStdoutFor(outPath); // --out /dev/stdout: messages go to stderr
        if (batchSize < 1 || threads is < 1) return CliHost.Fail("--test-batch-size and --threads must be at least 1.");
        if (CommonOptions.ThreadsError(threads) is { } threadsError) return CliHost.Fail(threadsError);
        string dataDir = data ?? DataSource.DefaultDirectory;
        // The default folder is checked once the checkpoint tells whether it is the data to read.
        if (data is not null && DataSource.IsIdx(dataDir) && DataSource.Missing(dataDir, needTrain: false) is not null)
            return CliHost.Fail(DataSource.NotFoundMessage(dataDir, needTrain: false));
        // --out may be the checkpoint itself (the calibrated copy replaces it), but not the held-out data.
        if (outPath is not null && OutputPaths.Check(outPath, "--out", "calibrated.safetensors", (data, "--data"), (labels, "--labels"),
                (heldOutSplit is null ? null : HeldOutSplit.ReadFile(heldOutSplit), "--held-out"))
                is { } outError)
            return CliHost.Fail(outError);
        // A safetensors checkpoint under an .onnx name would be refused by the runtimes it names, and by xent's own commands as ONNX.
        if (outPath is not null && outPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            return CliHost.Fail($"--out '{outPath}' ends in .onnx, but calibrate writes a checkpoint; pass e.g. --out " +
                $"{Path.ChangeExtension(outPath, ".safetensors")}, then `xent export` it to ONNX.");
        CommonOptions.UseThreads(threads);

        // An unreadable or unfitting checkpoint is bad input: CliHost's one error path reports it (exit 2, --verbose for the trace).
        var (tensors, metadata) = InputFiles.ReadCheckpoint(checkpointPath); // once: --checkpoint may be a pipe
        var (module, spec, legacy, _) = CheckpointModel.Load(checkpointPath, tensors, metadata, modelName, dataDir);
        string name = spec.Model;
        // Without --data the default IDX folder is read: a model of other inputs needs its own data (as eval says).
        if (data is null && DataSource.NeedsData(checkpointPath, spec, legacy, "calibrate") is { } needsData)
            return CliHost.Fail(needsData);
        if (data is null && DataSource.Missing(dataDir, needTrain: false) is not null)
            return CliHost.Fail(DataSource.NotFoundMessage(dataDir, needTrain: false));
        if (spec.MultiLabel)
            return CliHost.Fail("temperature scaling calibrates a softmax over exclusive classes; this checkpoint is multi-label " +
                "(sigmoid outputs).");

        TemperatureScalingResult fit;
        try
        {
            var heldOut = DataSource.LoadLabelled(dataDir, spec, labels, targetColumn); // checks there are samples of the model's shape
            if (heldOutSplit is not null) heldOut = HeldOutSplit.Keep(heldOut, dataDir, heldOutSplit, checkpointPath, spec, metadata);
            else if (TrainingDataWarning.For(metadata, checkpointPath, dataDir, labels, heldOut.Count,
                         "so a temperature fitted on it is fitted to what the model learned, not to new data") is { } trainedOn)
                Console.Error.WriteLine(CliHost.Clean(trainedOn));
            var batches = DataSource.WithProgress(heldOut, DataSource.Batches(heldOut, batchSize, shuffle: false), "evaluated");
            var (logits, targets, classes) = TemperatureScaling.CollectLogits(module, batches);
            if (classes != spec.NumClasses)
                return CliHost.Fail($"the model has {classes} outputs but its spec names {spec.NumClasses} classes.");
            int nonFinite = CountNonFiniteRows(logits, classes);
            if (nonFinite > 0)
                return CliHost.Fail($"the checkpoint's outputs (logits) are not finite (NaN or infinity) for {nonFinite} of " +
                    $"{targets.Length} held-out sample(s): its weights are not finite, or the inputs are too large for the model; " +
                    "there is no temperature to fit.");
            fit = TemperatureScaling.Fit(logits, targets, classes);
        }
        catch (Exception e) when (DataSource.IsDataError(e) || e is ArgumentException)
        {
            return CliHost.Fail(e);
        }

        // A temperature at the end of the search range is not a fit: the held-out NLL only keeps falling that way.
        if (fit.Temperature <= TemperatureScaling.MinTemperature * 1.01)
            Console.Error.WriteLine("Warning: the temperature reached the search's lower bound (" +
                TemperatureScaling.MinTemperature.ToString(CultureInfo.InvariantCulture) + "): the model classifies (almost) every " +
                "held-out sample correctly, so sharpening always lowers the NLL and there is nothing to calibrate; the calibrated model " +
                "would claim near-certainty. Calibrate on a larger held-out set that the model gets partly wrong.");
        else if (fit.Temperature >= TemperatureScaling.MaxTemperature * 0.99)
            Console.Error.WriteLine("Warning: the temperature reached the search's upper bound (" +
                TemperatureScaling.MaxTemperature.ToString(CultureInfo.InvariantCulture) + "): on this held-out set the model does no " +
                "better than uniform probabilities, so the calibrated model would predict them.");

        if (outPath is not null)
        {
            try
            {
                var calibrated = spec with { Temperature = (float)fit.Temperature };
                OutputPaths.Write(outPath, () => WriteCalibrated(tensors, metadata, outPath, calibrated));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
            {
                return CliHost.Fail(OutputPaths.WriteFailure(outPath, e));
            }
        }
        Console.WriteLine(json ? ToJson(fit, checkpointPath, name, outPath)
            : ToText(fit, checkpointPath, name, dataDir, outPath, legacy ? null : spec.Temperature));
        return 0;
    }

    /// <summary>How many rows of <paramref name="logits"/> (<paramref name="classes"/> per row) hold NaN or infinity.</summary>
    private static int CountNonFiniteRows(float[] logits, int classes)
    {
        int rows = 0;
        for (int i = 0; i + classes <= logits.Length; i += classes)
        {
            foreach (float v in logits.AsSpan(i, classes))
                if (!float.IsFinite(v)) { rows++; break; }
        }
        return rows;
    }

    /// <summary>Copies every tensor (model and optimizer state) and metadata entry, with the spec's entries replaced.</summary>
    private static void WriteCalibrated(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata,
        string to, ModelSpec spec)
    {
        spec.Validate();
        var updated = new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        foreach (var (k, v) in spec.ToMetadata()) updated[k] = v;
        Checkpoint.Save(to, tensors, updated);
    }

    private static string ToText(TemperatureScalingResult r, string checkpoint, string model, string dataDir, string? outPath,
        float? previous)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(c, $"Calibrated '{checkpoint}' ({model}) on {r.Samples} samples of '{dataDir}':"));
        sb.AppendLine(string.Create(c,
            $"  temperature          " +
            $"{r.Temperature:F4}{(previous is float p && p != 1f ? $" (the checkpoint had {p:F4}; fitted on the raw logits)" : "")}"));
        sb.AppendLine(string.Create(c, $"  mean cross-entropy   {NumberText.Fixed(r.NllBefore)} -> {NumberText.Fixed(r.NllAfter)}"));
        sb.Append(string.Create(c, $"  ECE (15 bins)        {r.EceBefore:F4} -> {r.EceAfter:F4}"));
        if (outPath is not null) sb.AppendLine().Append("Wrote ").Append(outPath);
        return sb.ToString();
    }

    internal static string ToJson(TemperatureScalingResult r, string checkpoint, string model, string? outPath)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("checkpoint", checkpoint);
            w.WriteString("model", model);
            w.WriteNumber("samples", r.Samples);
            w.WriteNumber("temperature", r.Temperature);
            w.WriteNumber("nll_before", r.NllBefore);
            w.WriteNumber("nll_after", r.NllAfter);
            w.WriteNumber("ece_before", r.EceBefore);
            w.WriteNumber("ece_after", r.EceAfter);
            if (outPath is null) w.WriteNull("out");
            else w.WriteString("out", outPath);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
