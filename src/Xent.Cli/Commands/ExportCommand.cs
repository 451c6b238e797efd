using System.CommandLine;
using Xent.IO;
using Xent.Models;
using Xent.NN;
using Xent.Onnx;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent export --checkpoint C --format onnx --out model.onnx</c>: writes a checkpoint's model as an ONNX graph that
/// takes raw inputs (the checkpoint's standardisation is inside it) and outputs <c>logits</c> and <c>probabilities</c>,
/// with the class names in its metadata (see <see cref="OnnxExporter"/>).
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = CommonOptions.Checkpoint();
        var format = new Option<string>("--format")
            { Description = "Output format; onnx is the only one", DefaultValueFactory = _ => "onnx" };
        OptionChoices.AcceptOnly(format, "onnx");
        var output = PathOptions.OutputFile(new Option<string>("--out")
        {
            Description = "File to write, ending in .onnx, e.g. model.onnx (replaced if it exists; folders are created)", Required = true,
        }, "model.onnx");
        var command =
            new Command("export",
            "Export a checkpoint's model to ONNX for ONNX Runtime, ML.NET or Windows ML: raw inputs in, logits and probabilities out.")
        {
            checkpoint, format, output,
        };
        command.SetAction(parse => Run(parse.GetValue(checkpoint)!, parse.GetValue(output)!)); // --format: onnx, checked by the parser
        return command;
    }

    private static int Run(string checkpointPath, string outPath)
    {
        using var interrupted = InterruptedWrites.Handle(); // Ctrl-C or SIGTERM mid-write leaves no temporary file
        using var stdoutOutput = OutputPaths.KeepStdoutFor(outPath); // --out /dev/stdout: messages go to stderr
        if (OutputPaths.Check(outPath, "--out", "model.onnx", (checkpointPath, "--checkpoint")) is { } outError)
            return CliHost.Fail(outError);
        // Only .onnx names, new or not: a typo'd --out must not turn another run's checkpoint or a data file into an ONNX graph, and
        // a file written under another name was one the same command then refused to replace.
        // A link is judged by the file it names; a device or pipe (--out /dev/stdout) is written in place, whatever its name.
        var target = WriteTarget.Of(Path.GetFullPath(outPath));
        if (!target.InPlace && !target.Path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            return CliHost.Fail(target.Path == Path.GetFullPath(outPath)
                ? $"--out '{outPath}' does not end in .onnx; export writes and replaces only .onnx files. Pass e.g. --out " +
                    $"{Path.ChangeExtension(outPath, ".onnx")}."
                : $"--out '{outPath}' is a link to '{target.Path}', which does not end in .onnx; export writes and replaces only .onnx " +
                    "files.");
        try
        {
            var (model, spec, legacy, metadata) = CheckpointModel.Load(checkpointPath);
            if (legacy) Console.Error.WriteLine(CheckpointModel.LegacyNote(checkpointPath, spec, "exporting it as"));
            string? imageScale = spec.InputKind == ModelSpec.ImageInput ? ImageScale(legacy, metadata) : null;
            var options = WithInputScale(OnnxExportOptions.FromSpec(spec), imageScale);
            try
            {
                OutputPaths.Write(outPath, () => OnnxExporter.Export(model, options, outPath));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CliHost.Fail(OutputPaths.WriteFailure(outPath, e)); // the checkpoint was fine: say which file failed
            }
            string input = string.Join(", ", spec.InputShape);
            string temperature = spec.Temperature != 1f
                ? " of logits / " + spec.Temperature.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "";
            Console.WriteLine($"Wrote {outPath}: {spec.Model}, input 'input' (N, {input}) raw " +
                $"{imageScale ?? "feature values"}, " +
                $"outputs 'logits' and 'probabilities' ({(spec.MultiLabel ? "sigmoid" : "softmax")}{temperature}) " +
                $"over {spec.NumClasses} {(spec.MultiLabel ? "labels" : "classes")}, ONNX opset {OnnxExporter.OpsetVersion}.");
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or UnauthorizedAccessException
            or ArgumentException or InvalidOperationException)
        {
            return CliHost.Fail(e);
        }
    }

    /// <summary>
    /// Adds <c>input_scale</c> to an image model's metadata, so that whoever is handed only the .onnx file can tell pixels in
    /// [0, 1] from 0–255 or a float array's own values (the graph's input doc string can only list the cases).
    /// </summary>
    private static OnnxExportOptions WithInputScale(OnnxExportOptions options, string? imageScale) =>
        imageScale is null ? options : options with
        {
            Metadata = new Dictionary<string, string>(options.Metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal)
            {
                ["input_scale"] = imageScale,
            },
        };

    /// <summary>
    /// What an image model's raw input is: pixels in [0, 1] when its training data was read as pixels (IDX, image files and
    /// folders, a uint8 .npy: ToTensor's byte / 255), otherwise the values on the training data's scale, since a float .npy's
    /// values are taken as they are (sklearn's digits, 0-16). <c>xent train</c> records it (<c>setting.input_scale</c>, from
    /// <see cref="ImageScaleOf"/>); for a checkpoint older than that, <c>setting.data</c> names the data, which tells while it is
    /// there.
    /// </summary>
    internal static string ImageScale(bool legacy, IReadOnlyDictionary<string, string> metadata)
    {
        if (legacy) return Pixels; // the PyTorch tutorial's recipe: ToTensor on IDX images
        if (metadata.TryGetValue("setting.input_scale", out var recorded)) return recorded;
        return metadata.TryGetValue("setting.data", out var data) ? ImageScaleOf(data) : TrainingScale;
    }

    private const string Pixels = "pixels in [0, 1]", TrainingScale = "values on the training data's scale";

    /// <summary>The scale of the image values <c>xent train</c> reads from <paramref name="data"/> (<see cref="ImageScale"/>).</summary>
    internal static string ImageScaleOf(string data)
    {
        if (!data.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) return Pixels; // IDX or image files, decoded to [0, 1]
        try
        {
            return Npy.ReadDType(data) == NpyDType.UInt8 ? Pixels : TrainingScale;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return TrainingScale; // moved or replaced since training: the values' scale cannot be told
        }
    }
}
