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
/// This version reads MNIST-format IDX folders (their t10k split), as <c>eval</c> does on main; the other data sources
/// (CSV, image folders, .npy) come with the data-source layer. A checkpoint without a spec (an older Xent checkpoint or a
/// PyTorch state dict) is read as the tutorial's 1×28×28 model, and <c>--out</c> gives it a spec.
/// </remarks>
internal static class CalibrateCommand
{
    /// <summary>Exit code of bad arguments, a bad checkpoint or missing data.</summary>
    public const int BadInput = 2;

    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint (.safetensors) written by xent train, or a PyTorch state dict saved with safetensors", Required = true };
        var data = new Option<string?>("--data") { Description = $"Held-out labelled data: a folder with the MNIST-format IDX files; its t10k split is used [default: {DataSource.DefaultDirectory}]" };
        var output = new Option<string?>("--out") { Description = "Write the checkpoint with the fitted temperature in its spec here (may be --checkpoint itself)" };
        var model = new Option<string?>("--model") { Description = "Model: cnn, linear or mlp [default: from the checkpoint, else cnn]" };
        model.AcceptOnlyFromAmong([.. ModelCatalog.Names]);
        var json = new Option<bool>("--json") { Description = "Print one JSON object (temperature, nll_before, nll_after, ece_before, ece_after, …) instead of text" };
        var batchSize = new Option<int>("--test-batch-size") { Description = "Batch size", DefaultValueFactory = _ => 1000 };
        var threads = new Option<int?>("--threads") { Description = "Threads the kernels may use [default: all cores]" };
        var command = new Command("calibrate", "Fit a softmax temperature on held-out data (temperature scaling): NLL and ECE before and after; --out stores it in the checkpoint.")
        {
            checkpoint, data, output, model, json, batchSize, threads,
        };
        command.SetAction(parse => Run(parse.GetValue(checkpoint)!, parse.GetValue(data), parse.GetValue(output), parse.GetValue(model),
            parse.GetValue(json), parse.GetValue(batchSize), parse.GetValue(threads)));
        return command;
    }

    private static int Fail(string message)
    {
        // One line, whatever the message: multi-line ones (a state dict's missing and unexpected keys) are joined.
        Console.Error.WriteLine("error: " + string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        return BadInput;
    }

    private static int Run(string checkpointPath, string? data, string? outPath, string? modelName, bool json, int batchSize, int? threads)
    {
        if (batchSize < 1 || threads is < 1) return Fail("--test-batch-size and --threads must be at least 1.");
        string dataDir = data ?? DataSource.DefaultDirectory;
        if (DataSource.Missing(dataDir, needTrain: false) is not null) return Fail(DataSource.NotFoundMessage(dataDir, needTrain: false));
        if (threads is int t) KernelParallel.MaxThreads = t;

        Dictionary<string, Tensor> state;
        Dictionary<string, string> metadata;
        ModelSpec? saved;
        try
        {
            (state, _, metadata) = TrainingCheckpoint.Load(checkpointPath);
            saved = ModelSpec.FromMetadata(metadata);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or UnauthorizedAccessException)
        {
            return Fail($"cannot read checkpoint: {e.Message}");
        }
        string name = modelName
            ?? saved?.Model
            ?? (metadata.TryGetValue("model", out var m) && ModelCatalog.Names.Contains(m) ? m : null)
            ?? ModelCatalog.Infer(state.Keys)
            ?? "cnn";
        if (saved is { MultiLabel: true })
            return Fail("temperature scaling calibrates a softmax over exclusive classes; this checkpoint is multi-label (sigmoid outputs).");
        if (saved is not null && (saved.InputKind != ModelSpec.ImageInput || !saved.InputShape.SequenceEqual([1, 28, 28])))
            return Fail($"calibrate reads MNIST-format IDX folders (1x28x28 images) in this version; the checkpoint's model takes {saved.InputKind} of shape ({string.Join(", ", saved.InputShape)}).");
        var spec = (saved ?? TutorialSpec(name, dataDir)) with { Model = name };

        var module = ModelCatalog.Create(name, new Generator(0));
        try
        {
            module.LoadStateDict(state);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            return Fail($"'{checkpointPath}' does not fit the {name} model: {e.Message}");
        }

        TemperatureScalingResult fit;
        try
        {
            var transform = new Compose(new ToTensor(), new Normalize([.. spec.Mean.Select(v => (double)v)], [.. spec.Std.Select(v => (double)v)]));
            var heldOut = new MnistDataset(dataDir, train: false, transform);
            var batches = new DataLoader(heldOut, batchSize, shuffle: false, new Generator(0), dropLast: false, reuseBuffers: true);
            var (logits, targets, classes) = TemperatureScaling.CollectLogits(module, batches);
            if (classes != spec.NumClasses)
                return Fail($"the model has {classes} outputs but its spec names {spec.NumClasses} classes.");
            fit = TemperatureScaling.Fit(logits, targets, classes);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
        {
            return Fail(e.Message);
        }

        if (outPath is not null)
        {
            try
            {
                WriteCalibrated(checkpointPath, outPath, spec with { Temperature = (float)fit.Temperature });
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
            {
                return Fail($"cannot write '{outPath}': {e.Message}");
            }
        }
        Console.WriteLine(json ? ToJson(fit, checkpointPath, name, outPath) : ToText(fit, checkpointPath, name, dataDir, outPath, saved?.Temperature));
        return 0;
    }

    /// <summary>The spec of a checkpoint that has none: the tutorial's 1×28×28 images with Normalize(0.1307, 0.3081).</summary>
    private static ModelSpec TutorialSpec(string model, string dataDir) => new()
    {
        Model = model,
        InputKind = ModelSpec.ImageInput,
        InputShape = [1, 28, 28],
        ClassNames = [.. ClassNames.ForDataset(Path.GetFullPath(dataDir))],
        Mean = [0.1307f],
        Std = [0.3081f],
        Hidden = model == "mlp" ? [256] : [], // main's mlp is 784-256-10
    };

    /// <summary>Copies every tensor (model and optimizer state) and metadata entry, with the spec's entries replaced.</summary>
    private static void WriteCalibrated(string from, string to, ModelSpec spec)
    {
        spec.Validate();
        var (tensors, metadata) = Checkpoint.Load(from);
        var updated = new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        foreach (var (k, v) in spec.ToMetadata()) updated[k] = v;
        Checkpoint.Save(to, tensors, updated);
    }

    private static string ToText(TemperatureScalingResult r, string checkpoint, string model, string dataDir, string? outPath, float? previous)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(c, $"Calibrated '{checkpoint}' ({model}) on {r.Samples} images of '{dataDir}':"));
        sb.AppendLine(string.Create(c, $"  temperature          {r.Temperature:F4}{(previous is float p && p != 1f ? $" (the checkpoint had {p:F4}; fitted on the raw logits)" : "")}"));
        sb.AppendLine(string.Create(c, $"  mean cross-entropy   {r.NllBefore:F4} -> {r.NllAfter:F4}"));
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
