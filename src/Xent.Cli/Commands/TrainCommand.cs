using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Xent.Kernels;
using Xent.NN;
using Xent.Optim;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent train</c>: the seeds' training run (CNN, CrossEntropyLoss, Adam 1e-3, batch 64, 5 epochs,
/// Normalize(0.1307, 0.3081), shuffle) on Fashion-MNIST or any MNIST-format folder, writing a checkpoint
/// after each epoch, <c>metrics.csv</c> and <c>report.html</c>.
/// </summary>
internal static class TrainCommand
{
    /// <summary>Exit code when no dataset is found.</summary>
    public const int ExitNoData = 2;

    /// <summary>Exit code when the loss became NaN or infinite.</summary>
    public const int ExitDiverged = 3;

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = $"Folder with the four MNIST-format IDX files, gzipped or not [default: {DataSource.DefaultDirectory}]" };
        var model = new Option<string>("--model") { Description = "Model: cnn (the seeds' CNN), linear (logistic regression) or mlp", DefaultValueFactory = _ => "cnn" };
        model.AcceptOnlyFromAmong([.. ModelCatalog.Names]);
        var epochs = new Option<int>("--epochs") { Description = "Number of epochs", DefaultValueFactory = _ => 5 };
        var batchSize = new Option<int>("--batch-size") { Description = "Training batch size", DefaultValueFactory = _ => 64 };
        var testBatchSize = new Option<int>("--test-batch-size") { Description = "Test batch size", DefaultValueFactory = _ => 1000 };
        var lr = new Option<double?>("--lr") { Description = "Learning rate [default: 0.001 for adam/adamw, 0.01 for sgd, 1.0 for adadelta]" };
        var optimizer = new Option<string>("--optimizer") { Description = "Optimizer: adam, sgd, adamw or adadelta", DefaultValueFactory = _ => "adam" };
        optimizer.AcceptOnlyFromAmong("adam", "sgd", "adamw", "adadelta");
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => 0.0 };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "Weight decay [default: 0; 0.01 for adamw]" };
        var labelSmoothing = new Option<float>("--label-smoothing") { Description = "CrossEntropyLoss label smoothing in [0, 1]", DefaultValueFactory = _ => 0f };
        var classWeights = new Option<string>("--class-weights") { Description = "Class weights of the loss: none, or inverse-frequency (N / (C·count))", DefaultValueFactory = _ => "none" };
        classWeights.AcceptOnlyFromAmong("none", "inverse-frequency");
        var seed = new Option<long>("--seed") { Description = "Seed of the initial weights, data order and dropout", DefaultValueFactory = _ => 1 };
        var threads = new Option<int?>("--threads") { Description = "Threads the kernels may use [default: all cores]" };
        var output = new Option<string?>("--out") { Description = "Output folder [default: runs/<timestamp>]" };
        var resume = new Option<string?>("--resume") { Description = "Continue from this checkpoint: model, optimizer state and settings (lr, ...) come from it, and the run ends where an uninterrupted run with the same seed ends" };
        var limitBatches = new Option<int?>("--limit-batches") { Description = "At most this many training batches per epoch (quick runs)" };

        var command = new Command("train", "Train a classifier with cross-entropy on Fashion-MNIST/MNIST, as in the seeds' PyTorch example.")
        {
            data, model, epochs, batchSize, testBatchSize, lr, optimizer, momentum, weightDecay, labelSmoothing,
            classWeights, seed, threads, output, resume, limitBatches,
        };
        command.SetAction(parse => Run(new Settings(
            Data: parse.GetValue(data),
            Model: parse.GetValue(model)!,
            Epochs: parse.GetValue(epochs),
            BatchSize: parse.GetValue(batchSize),
            TestBatchSize: parse.GetValue(testBatchSize),
            Lr: parse.GetValue(lr),
            Optimizer: parse.GetValue(optimizer)!,
            Momentum: parse.GetValue(momentum),
            WeightDecay: parse.GetValue(weightDecay),
            LabelSmoothing: parse.GetValue(labelSmoothing),
            ClassWeights: parse.GetValue(classWeights)!,
            Seed: parse.GetValue(seed),
            Threads: parse.GetValue(threads),
            Out: parse.GetValue(output),
            Resume: parse.GetValue(resume),
            LimitBatches: parse.GetValue(limitBatches))));
        return command;
    }

    private sealed record Settings(string? Data, string Model, int Epochs, int BatchSize, int TestBatchSize, double? Lr, string Optimizer,
        double Momentum, double? WeightDecay, float LabelSmoothing, string ClassWeights, long Seed, int? Threads, string? Out, string? Resume, int? LimitBatches);

    /// <summary>The model name a training checkpoint records, or null when it records none or cannot be read (Resume then reports why).</summary>
    private static string? SavedModel(string checkpoint)
    {
        try
        {
            return Xent.IO.SafeTensors.Read(checkpoint).Metadata.TryGetValue("model", out var model) ? model : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private static double DefaultLr(string optimizer) => optimizer switch { "sgd" => 0.01, "adadelta" => 1.0, _ => 1e-3 };

    private static int Run(Settings s)
    {
        var err = Console.Error;
        if (s.Epochs < 1 || s.BatchSize < 1 || s.TestBatchSize < 1 || s.LimitBatches is < 1 || s.Threads is < 1)
        {
            err.WriteLine("error: --epochs, --batch-size, --test-batch-size, --limit-batches and --threads must be at least 1.");
            return 1;
        }
        if (s.LabelSmoothing is < 0f or > 1f)
        {
            err.WriteLine($"error: --label-smoothing must be in [0, 1], got {s.LabelSmoothing.ToString(CultureInfo.InvariantCulture)}.");
            return 1;
        }
        string dataDir = s.Data ?? DataSource.DefaultDirectory;
        if (DataSource.Missing(dataDir) is not null)
        {
            err.WriteLine(DataSource.NotFoundMessage(dataDir));
            return ExitNoData;
        }
        if (s.Resume is not null && !File.Exists(s.Resume))
        {
            err.WriteLine($"error: checkpoint '{s.Resume}' does not exist.");
            return 1;
        }
        if (s.Resume is not null && SavedModel(s.Resume) is string saved && saved != s.Model)
        {
            // Checked before loading: the models share no parameter names, so loading would only report missing keys.
            err.WriteLine($"error: checkpoint '{s.Resume}' holds a '{saved}' model, not '{s.Model}'; pass --model {saved}.");
            return 1;
        }
        if (s.Threads is int t) KernelParallel.MaxThreads = t;

        var train = DataSource.Load(dataDir, train: true);
        var test = DataSource.Load(dataDir, train: false);
        var classNames = ClassNames.ForDataset(Path.GetFullPath(dataDir));

        string outDir = s.Out ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(outDir);
        string checkpointPath = Path.Combine(outDir, "checkpoint.safetensors");
        string metricsPath = Path.Combine(outDir, "metrics.csv");
        string reportPath = Path.Combine(outDir, "report.html");

        double lr = s.Lr ?? DefaultLr(s.Optimizer);
        double wd = s.WeightDecay ?? (s.Optimizer == "adamw" ? 1e-2 : 0);
        var module = ModelCatalog.Create(s.Model, new Generator(s.Seed));
        Optimizer opt = s.Optimizer switch
        {
            "sgd" => new Sgd(module.Parameters(), lr, momentum: s.Momentum, weightDecay: wd),
            "adamw" => new AdamW(module.Parameters(), lr, weightDecay: wd),
            "adadelta" => new Adadelta(module.Parameters(), lr, weightDecay: wd),
            _ => new Adam(module.Parameters(), lr, weightDecay: wd),
        };
        Tensor? weight = s.ClassWeights == "inverse-frequency" ? InverseFrequencyWeights(train.Labels, 10) : null;
        var criterion = new CrossEntropyLoss(weight: weight, labelSmoothing: s.LabelSmoothing);

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt", ["model"] = s.Model };
        var dp = DistributedTrainCommand.Current; // --distributed: this rank's share of the run (docs/DISTRIBUTED.md)
        bool writes = dp?.IsRoot ?? true;
        var trainer = new Trainer(module, opt, (x, y) => criterion.Forward(x, y), new TrainerOptions
        {
            Epochs = s.Epochs, Seed = s.Seed, NumClasses = 10, LimitBatches = s.LimitBatches,
            CheckpointPath = writes ? checkpointPath : null, MetricsPath = writes ? metricsPath : null, Metadata = metadata,
        });
        dp?.Attach(trainer, module, weight);
        trainer.Warning = m => err.WriteLine("Warning: " + m);
        if (s.Resume is not null)
        {
            try
            {
                trainer.Resume(s.Resume);
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException or NotSupportedException)
            {
                err.WriteLine($"error: cannot resume from '{s.Resume}': {e.Message}");
                return 1;
            }
            Console.WriteLine($"Resuming from '{s.Resume}' at epoch {trainer.StartEpoch}.");
            // The optimizer's settings come from the checkpoint; report and save those, not the command line's.
            var group = opt.ParamGroups[0];
            lr = group.Lr;
            wd = group.WeightDecay;
        }
        double momentum = opt.ParamGroups[0].Has("momentum") ? opt.ParamGroups[0]["momentum"] : s.Momentum;

        var ci = CultureInfo.InvariantCulture;
        var settings = new List<KeyValuePair<string, string>>
        {
            new("data", Path.GetFullPath(dataDir)), new("model", s.Model), new("epochs", s.Epochs.ToString(ci)),
            new("batch_size", s.BatchSize.ToString(ci)), new("test_batch_size", s.TestBatchSize.ToString(ci)),
            new("optimizer", s.Optimizer), new("lr", lr.ToString("R", ci)), new("momentum", momentum.ToString("R", ci)),
            new("weight_decay", wd.ToString("R", ci)), new("label_smoothing", s.LabelSmoothing.ToString("R", ci)),
            new("class_weights", s.ClassWeights), new("seed", s.Seed.ToString(ci)), new("threads", KernelParallel.MaxThreads.ToString(ci)),
            new("limit_batches", s.LimitBatches?.ToString(ci) ?? "none"), new("resume", s.Resume ?? "none"),
            new("loss", "CrossEntropyLoss"), new("normalize", "(0.1307, 0.3081)"),
        };
        foreach (var (k, v) in settings) if (k is not ("model" or "seed" or "resume")) metadata["setting." + k] = v;

        int globalBatch = s.BatchSize * (dp?.Size ?? 1);
        string ranks = dp is null ? "" : $", {s.BatchSize} on each of {dp.Size} rank{(dp.Size == 1 ? "" : "s")}";
        int batches = dp?.GlobalBatchCount(train.Count, s.BatchSize) ?? (train.Count + s.BatchSize - 1) / s.BatchSize;
        int perEpoch = Math.Min(batches, s.LimitBatches ?? int.MaxValue);
        Console.WriteLine($"Training {s.Model} on {train.Count} images ({perEpoch} batches of {globalBatch} per epoch{ranks}), testing on {test.Count}; {s.Optimizer} lr {lr.ToString("G", ci)}, seed {s.Seed}, {KernelParallel.MaxThreads} thread(s).");

        EpochResult? last = null;
        void WriteReport() { if (writes) ReportWriter.Write(reportPath, new TrainingReport(
            $"xent train — {Path.GetFileName(Path.GetFullPath(outDir))}", settings, classNames, trainer.Rows, perEpoch, last?.Test)); }
        trainer.EpochCompleted = r => { last = r; WriteReport(); };

        int code = 0;
        try
        {
            var result = ConsoleOutput.RunWithProgress(trainer, s.Epochs,
                epoch => dp?.Batches(train, s.BatchSize, trainer.ShuffleSeed(epoch))
                    ?? DataSource.Batches(train, s.BatchSize, shuffle: true, trainer.ShuffleSeed(epoch)),
                batches,
                () => DataSource.Batches(test, s.TestBatchSize, shuffle: false));
            last = result ?? last;
            if (result is null) Console.WriteLine($"Nothing to train: the checkpoint is already at epoch {trainer.StartEpoch - 1} of {s.Epochs}.");
        }
        catch (TrainingDivergedException e)
        {
            err.WriteLine("error: " + e.Message + (File.Exists(checkpointPath)
                ? $" The last good checkpoint is kept: '{checkpointPath}'." : " No checkpoint was written."));
            code = ExitDiverged;
        }

        if (trainer.Rows.Count > 0) WriteReport();
        if (last is not null && code == 0) PrintFinal(last.Test, classNames);
        Console.WriteLine("Wrote:");
        foreach (var p in new[] { checkpointPath, metricsPath, reportPath })
            if (File.Exists(p)) Console.WriteLine("  " + p);
        return code;
    }

    /// <summary>Weights N / (C · count_c), scikit-learn's "balanced": every class contributes equally to the mean loss.</summary>
    internal static Tensor InverseFrequencyWeights(ReadOnlySpan<byte> labels, int numClasses)
    {
        var counts = new long[numClasses];
        foreach (byte y in labels) counts[y]++;
        var w = new float[numClasses];
        for (int c = 0; c < numClasses; c++) w[c] = counts[c] == 0 ? 0f : (float)((double)labels.Length / (numClasses * counts[c]));
        return Tensor.FromArray(w);
    }

    internal static void PrintFinal(EvaluationResult r, IReadOnlyList<string> names)
    {
        var ci = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(ci, $"Test accuracy: {100 * r.Accuracy:F2}% ({r.Correct}/{r.Total}), mean cross-entropy {r.MeanCrossEntropy:F4}, ECE {r.ExpectedCalibrationError:F4}"));
        Console.WriteLine("Per-class accuracy:");
        int width = Math.Max(5, names.Max(n => n.Length));
        for (int c = 0; c < r.PerClassAccuracy.Length; c++)
        {
            double a = r.PerClassAccuracy[c];
            string name = c < names.Count ? names[c] : c.ToString(ci);
            Console.WriteLine(string.Create(ci, $"  {name.PadRight(width)}  {(double.IsNaN(a) ? "     -" : (100 * a).ToString("F2", ci).PadLeft(6) + "%")}"));
        }
    }
}
