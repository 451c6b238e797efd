using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Xent.Kernels;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent eval</c>: accuracy, per-class accuracy, confusion matrix, mean cross-entropy and expected
/// calibration error of a checkpoint on the test split. Takes Xent's checkpoints and plain PyTorch state
/// dicts saved as safetensors with the seeds' names (<c>conv1.weight</c> … <c>fc2.bias</c>).
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint (.safetensors) written by xent train, or a PyTorch state dict saved with safetensors", Required = true };
        var data = new Option<string?>("--data") { Description = $"Folder with the MNIST-format IDX files [default: {DataSource.DefaultDirectory}]" };
        var model = new Option<string?>("--model") { Description = "Model: cnn, linear or mlp [default: from the checkpoint, else cnn]" };
        model.AcceptOnlyFromAmong([.. ModelCatalog.Names]);
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout instead of text" };
        var testBatchSize = new Option<int>("--test-batch-size") { Description = "Batch size", DefaultValueFactory = _ => 1000 };
        var threads = new Option<int?>("--threads") { Description = "Threads the kernels may use [default: all cores]" };
        var command = new Command("eval", "Evaluate a checkpoint on the test set: accuracy, per-class accuracy, confusion matrix, mean cross-entropy, calibration.")
        {
            checkpoint, data, model, json, testBatchSize, threads,
        };
        command.SetAction(parse => Run(parse.GetValue(checkpoint)!, parse.GetValue(data), parse.GetValue(model), parse.GetValue(json),
            parse.GetValue(testBatchSize), parse.GetValue(threads)));
        return command;
    }

    private static int Run(string checkpointPath, string? data, string? modelName, bool json, int testBatchSize, int? threads)
    {
        var err = Console.Error;
        if (testBatchSize < 1 || threads is < 1)
        {
            err.WriteLine("error: --test-batch-size and --threads must be at least 1.");
            return ExitCodes.BadInput; // robustness (issue 13)
        }
        string dataDir = data ?? DataSource.DefaultDirectory;
        if (DataSource.Missing(dataDir, needTrain: false) is not null)
        {
            err.WriteLine("error: " + CliHost.Clean(DataSource.NotFoundMessage(dataDir, needTrain: false))); // robustness (issue 13): "error:" prefix
            return TrainCommand.ExitNoData;
        }
        if (threads is int t) KernelParallel.MaxThreads = t;

        InputFiles.RequireFile(checkpointPath, "checkpoint"); // robustness (issue 13)
        Dictionary<string, Tensor> state;
        Dictionary<string, string> metadata;
        try
        {
            (state, _, metadata) = TrainingCheckpoint.Load(checkpointPath);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or UnauthorizedAccessException)
        {
            err.WriteLine("error: " + CliHost.Clean($"cannot read checkpoint: {e.Message}"));
            return ExitCodes.BadInput; // robustness (issue 13)
        }
        string name = modelName
            ?? (metadata.TryGetValue("model", out var m) && ModelCatalog.Names.Contains(m) ? m : null)
            ?? ModelCatalog.Infer(state.Keys)
            ?? "cnn";
        var module = ModelCatalog.Create(name, new Generator(0));
        try
        {
            module.LoadStateDict(state);
        }
        catch (InvalidOperationException e)
        {
            err.WriteLine("error: " + CliHost.Clean($"'{checkpointPath}' does not fit the {name} model: {e.Message}"));
            return ExitCodes.BadInput; // robustness (issue 13)
        }

        var test = DataSource.Load(dataDir, train: false);
        DataChecks.RequireSamples(test, test.ImagesPath); // robustness (issue 13): no accuracy (NaN) of zero images
        DataChecks.RequireModelImageSize(test, name);
        var result = Evaluator.Evaluate(module, DataSource.Batches(test, testBatchSize, shuffle: false), 10);
        var names = ClassNames.ForDataset(Path.GetFullPath(dataDir));
        if (json) Console.WriteLine(ToJson(result, names, name, checkpointPath));
        else
        {
            Console.WriteLine($"Checkpoint '{checkpointPath}' ({name}{(metadata.TryGetValue("epoch", out var e) ? ", epoch " + e : "")}) on {test.Count} test images:");
            TrainCommand.PrintFinal(result, names);
            Console.WriteLine("Confusion matrix (rows: true class, columns: predicted):");
            int k = result.PerClassAccuracy.Length;
            for (int r = 0; r < k; r++)
            {
                var sb = new StringBuilder("  ");
                for (int c = 0; c < k; c++) sb.Append(result.ConfusionMatrix[r, c].ToString(CultureInfo.InvariantCulture).PadLeft(6));
                sb.Append("  ").Append(r < names.Count ? names[r] : r.ToString(CultureInfo.InvariantCulture));
                Console.WriteLine(sb.ToString());
            }
        }
        return 0;
    }

    internal static string ToJson(EvaluationResult r, IReadOnlyList<string> names, string model, string checkpoint)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("checkpoint", checkpoint);
            w.WriteString("model", model);
            w.WriteNumber("accuracy", r.Accuracy);
            w.WriteNumber("correct", r.Correct);
            w.WriteNumber("total", r.Total);
            WriteNumberOrNull(w, "mean_ce", r.MeanCrossEntropy);
            WriteNumberOrNull(w, "ece", r.ExpectedCalibrationError);
            w.WriteStartArray("class_names");
            foreach (var n in names) w.WriteStringValue(n);
            w.WriteEndArray();
            w.WriteStartArray("per_class_accuracy");
            foreach (double a in r.PerClassAccuracy) { if (double.IsFinite(a)) w.WriteNumberValue(a); else w.WriteNullValue(); }
            w.WriteEndArray();
            w.WriteStartArray("confusion_matrix");
            int k = r.PerClassAccuracy.Length;
            for (int t = 0; t < k; t++)
            {
                w.WriteStartArray();
                for (int p = 0; p < k; p++) w.WriteNumberValue(r.ConfusionMatrix[t, p]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WriteNumberOrNull(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
