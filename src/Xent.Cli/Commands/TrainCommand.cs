using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Xent.Data;
using Xent.IO;
using Xent.Kernels;
using Xent.NN;
using Xent.Optim;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent train</c>: the PyTorch tutorial's training run (CNN, CrossEntropyLoss, Adam 1e-3, batch 64, 5 epochs,
/// Normalize(0.1307, 0.3081), shuffle) on Fashion-MNIST or any MNIST-format folder, or a model sized from a user's
/// CSV/TSV file, image class folders or .npy pair; writes a checkpoint (with its <see cref="ModelSpec"/>) after each
/// epoch, <c>metrics.csv</c> and <c>report.html</c>.
/// </summary>
internal static class TrainCommand
{
    /// <summary>Exit code when no dataset is found or the data is unusable.</summary>
    public const int ExitNoData = 2;

    /// <summary>Exit code when the loss became NaN or infinite.</summary>
    public const int ExitDiverged = 3;

    /// <summary>Loss kinds <c>--loss</c> accepts (<c>auto</c>: cross-entropy, or BCE-with-logits for multi-label).</summary>
    internal static readonly string[] Losses = ["auto", "cross-entropy", "bce-with-logits", "focal"];

    public static Command Create()
    {
        var data = PathOptions.Input(new Option<string?>("--data")
            { Description =
            "Training data: a folder of MNIST-format IDX files, a .csv/.tsv file (optionally .gz), a folder of class folders of images, " +
            $"or a .npy features file with --labels [default: {DataSource.DefaultDirectory}]" });
        var labels = PathOptions.Input(new Option<string?>("--labels")
            { Description = "Labels .npy for a .npy --data: (N) integer classes or an (N, L) 0/1 multi-label matrix" });
        var target = new Option<string?>("--target") { Description = "CSV: the label column [default: the last column]" };
        var features = new Option<string?>("--features") { Description = "CSV: feature columns A,B,... [default: every other column]" };
        var multiLabel = new Option<string?>("--multi-label")
            { Description = "CSV: 0/1 label columns COL1,COL2,... of a multi-label problem (trains with BCEWithLogitsLoss)" };
        var missing = new Option<string>("--missing")
        {
            Description = "CSV: missing values (empty cells, NA, ?, nan, …) are an error, or imputed with the training mean",
            DefaultValueFactory = _ => "error",
        };
        OptionChoices.AcceptOnly(missing, "error", "mean");
        var imageSize = new Option<string?>("--image-size")
            { Description = "Image folders: resize every image to N (square) or HxW [default: all images must share one size]" };
        var testData = PathOptions.Input(new Option<string?>("--test-data")
            { Description = "Held-out data of the same kind as --data (an IDX folder holds its own t10k files)" });
        var testLabels = PathOptions.Input(new Option<string?>("--test-labels")
            { Description = "Labels .npy for a .npy --test-data (needs --test-data)" });
        var valSplit = new Option<double?>("--val-split")
            { Description = "Hold out this stratified, seeded fraction of --data [default: 0.1 when there is no --test-data]" };
        var model = new Option<string>("--model")
            { Description =
            "Model: auto (cnn for images, mlp for feature vectors), cnn (the PyTorch tutorial's CNN, sized to the images), linear " +
            "(logistic regression) or mlp", DefaultValueFactory = _ => "auto" };
        OptionChoices.AcceptOnly(model, ["auto", .. ModelCatalog.Names]);
        var hidden = new Option<string?>("--hidden")
            { Description = "mlp hidden layer sizes, e.g. 128,64 (--model mlp only) [default: 256]" };
        var epochs = new Option<int>("--epochs") { Description = "Number of epochs", DefaultValueFactory = _ => 5 };
        var batchSize = new Option<int>("--batch-size") { Description = "Training batch size", DefaultValueFactory = _ => 64 };
        var testBatchSize = new Option<int>("--test-batch-size") { Description = "Test batch size", DefaultValueFactory = _ => 1000 };
        var lr = new Option<double?>("--lr") { Description =
            "Learning rate [default: 0.001 for adam/adamw, 0.01 for sgd, 1.0 for adadelta]" };
        var optimizer = new Option<string>("--optimizer")
            { Description = "Optimizer: adam, sgd, adamw or adadelta", DefaultValueFactory = _ => "adam" };
        OptionChoices.AcceptOnly(optimizer, [.. OptimizerCatalog.Names]);
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => 0.0 };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "Weight decay [default: 0; 0.01 for adamw]" };
        var loss = new Option<string>("--loss")
            { Description =
            "Loss: auto (cross-entropy; bce-with-logits for multi-label), cross-entropy, bce-with-logits, or focal (softmax focal loss, " +
            "--gamma)", DefaultValueFactory = _ => "auto" };
        OptionChoices.AcceptOnly(loss, Losses);
        var focalGamma = new Option<float?>("--gamma") { Description = "Focal loss focusing exponent >= 0 (--loss focal) [default: 2]" };
        var labelSmoothing = new Option<float>("--label-smoothing")
            { Description = "CrossEntropyLoss label smoothing in [0, 1]", DefaultValueFactory = _ => 0f };
        var classWeights = new Option<string>("--class-weights")
            {
                Description = "Class weights of the loss: none, or inverse-frequency (1/count, scaled to sum to the class count C, " +
                    "as the PyTorch tutorial does)",
                DefaultValueFactory = _ => "none",
            };
        OptionChoices.AcceptOnly(classWeights, "none", "inverse-frequency");
        var posWeight = new Option<string>("--pos-weight")
            { Description =
            "Multi-label: BCEWithLogitsLoss pos_weight, none or auto (negatives/positives of each label in the training split)",
            DefaultValueFactory = _ => "none" };
        OptionChoices.AcceptOnly(posWeight, "none", "auto");
        var schedule = new Option<string>("--lr-schedule")
            { Description =
            "Learning-rate schedule: none, step (x gamma every epoch, as PyTorch's own MNIST script's StepLR) or cosine (to 0 at the end)",
            DefaultValueFactory = _ => "none" };
        OptionChoices.AcceptOnly(schedule, [.. LrSchedule.Kinds]);
        var gamma = new Option<double>("--lr-gamma") { Description = "step schedule: factor per epoch", DefaultValueFactory = _ => 0.7 };
        var warmup = new Option<int>("--warmup")
            { Description = "Linear learning-rate warm-up over this many batches", DefaultValueFactory = _ => 0 };
        var clip = new Option<double?>("--clip-grad-norm")
            { Description = "Clip the gradients' global L2 norm to this value before each step" };
        var patience = new Option<int?>("--patience")
            { Description = "Stop when the held-out loss has not improved for N epochs; the best epoch is kept as best.safetensors" };
        var seed = new Option<long>("--seed") { Description = "Random seed of the initial weights, data order, split and dropout",
            DefaultValueFactory = _ => 1 };
        var threads = CommonOptions.Threads();
        var output = PathOptions.OutputFolder(new Option<string?>("--out")
            { Description =
            "Output folder [default: runs/<timestamp> (-2, -3, … if taken); with --resume DIR/checkpoint.safetensors: DIR]" },
            "runs/first");
        var resume = PathOptions.Input(new Option<string?>("--resume")
            { Description =
            "Continue from this checkpoint: model, optimizer state and input standardisation come from it, and so does every " +
            "--model, optimizer, loss, schedule, --hidden or --missing option left out (one given with another value than the " +
            "checkpoint's is refused); the run ends where an uninterrupted run with the same random seed and options ends" });
        var limitBatches = new Option<int?>("--limit-batches")
            { Description = "At most this many training batches per epoch (quick runs)" };
        // robustness (issue 13): a folder holding a run is refused unless --resume or --overwrite (RunDirectory.cs).
        var overwrite = new Option<bool>("--overwrite")
            { Description = "Replace the run already in --out (its checkpoint.safetensors, best.safetensors, metrics.csv, " +
                "report.html and split.csv); with --resume, needed only when --out is not the resumed checkpoint's own folder" };

        var command =
            new Command("train",
            "Train a classifier on Fashion-MNIST/MNIST (as in the PyTorch tutorial) or on your own CSV, image folders or .npy arrays.")
        {
            data, labels, target, features, multiLabel, missing, imageSize, testData, testLabels, valSplit,
            model, hidden, epochs, batchSize, testBatchSize, lr, optimizer, momentum, weightDecay, loss, focalGamma, labelSmoothing,
            classWeights, posWeight, schedule, gamma, warmup, clip, patience, seed, threads, output, resume, limitBatches, overwrite,
        };
        command.SetAction(parse => Run(new Settings(
            Data: parse.GetValue(data),
            Labels: parse.GetValue(labels),
            Target: parse.GetValue(target),
            Features: parse.GetValue(features),
            MultiLabel: parse.GetValue(multiLabel),
            Missing: parse.GetValue(missing)!,
            ImageSize: parse.GetValue(imageSize),
            TestData: parse.GetValue(testData),
            TestLabels: parse.GetValue(testLabels),
            ValSplit: parse.GetValue(valSplit),
            Model: parse.GetValue(model)!,
            Hidden: parse.GetValue(hidden),
            Epochs: parse.GetValue(epochs),
            BatchSize: parse.GetValue(batchSize),
            TestBatchSize: parse.GetValue(testBatchSize),
            Lr: parse.GetValue(lr),
            Optimizer: parse.GetValue(optimizer)!,
            Momentum: parse.GetValue(momentum),
            WeightDecay: parse.GetValue(weightDecay),
            Loss: parse.GetValue(loss)!,
            FocalGamma: parse.GetValue(focalGamma),
            LabelSmoothing: parse.GetValue(labelSmoothing),
            ClassWeights: parse.GetValue(classWeights)!,
            PosWeight: parse.GetValue(posWeight)!,
            Schedule: parse.GetValue(schedule)!,
            Gamma: parse.GetValue(gamma),
            Warmup: parse.GetValue(warmup),
            ClipGradNorm: parse.GetValue(clip),
            Patience: parse.GetValue(patience),
            Seed: parse.GetValue(seed),
            Threads: parse.GetValue(threads),
            Out: parse.GetValue(output),
            Resume: parse.GetValue(resume),
            LimitBatches: parse.GetValue(limitBatches),
            Overwrite: parse.GetValue(overwrite),
            // Left out, a resumed run takes these from its checkpoint; given, they are compared with it.
            Given: command.Options.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name)
                .ToHashSet(StringComparer.Ordinal))));
        return command;
    }

    /// <summary>The command line; <paramref name="Given"/> names the options given explicitly (not left to their defaults).</summary>
    private sealed record Settings(string? Data, string? Labels, string? Target, string? Features, string? MultiLabel, string Missing,
        string? ImageSize, string? TestData, string? TestLabels, double? ValSplit, string Model, string? Hidden, int Epochs, int BatchSize,
        int TestBatchSize, double? Lr, string Optimizer, double Momentum, double? WeightDecay,
        string Loss, float? FocalGamma, float LabelSmoothing,
        string ClassWeights, string PosWeight, string Schedule, double Gamma, int Warmup, double? ClipGradNorm,
        int? Patience,
        long Seed, int? Threads, string? Out, string? Resume, int? LimitBatches,
        bool Overwrite, IReadOnlySet<string> Given)
    {
        /// <summary>Whether <paramref name="option"/> (<c>--lr-gamma</c>) was given, rather than left to its default.</summary>
        public bool Gave(string option) => Given.Contains(option);
    }

    /// <summary>
    /// The training and held-out sets, ready to batch, and what the checkpoint's spec needs to know about them. OtherRows: a resumed
    /// run's training split has other statistics than its checkpoint recorded (the data or the split changed).
    /// </summary>
    private sealed record Prepared(IDataset Train, IDataset Test, ModelSpec Spec, long[] TrainCounts, string Source, bool IsIdx,
        string? SplitNote, int SourceCount, int[]? HeldOut, bool OtherRows = false, string[]? SourceFiles = null,
        (long Bytes, string Sha256)? Fingerprint = null);

    private static int Run(Settings s)
    {
        // The default --out is claimed when it is chosen and released (removed if still empty) however the run ends.
        using var claim = new DefaultOutClaim();
        // Every "Warning: " line of the run goes on to the terminal as before and is kept for report.html: a warning is said once,
        // wherever it is written, and none is left out of the report (the test figures were training scores, a test input 1E+38).
        var stderr = Console.Error;
        var warnings = new RunWarnings(stderr);
        Console.SetError(warnings);
        try
        {
            return Run(s, claim, warnings);
        }
        finally
        {
            Console.SetError(stderr);
        }
    }

    private static int Run(Settings s, DefaultOutClaim claim, RunWarnings warnings)
    {
        var err = Console.Error;
        // robustness (issue 13): every numeric option checked up front; a bad one is exit code 2 (TrainArguments.cs).
        TrainArguments.Validate(s.Epochs, s.BatchSize, s.TestBatchSize, s.LimitBatches, s.Threads, s.Lr, s.Momentum, s.WeightDecay,
            s.LabelSmoothing);
        TrainArguments.ValidateRun(s.ValSplit, s.Patience, s.Warmup, s.ClipGradNorm, s.Gamma);
        // Options a run would ignore are refused, as DATA.md says.
        if (s.TestData is not null && s.ValSplit is not null)
            throw new ArgumentException("--test-data and --val-split both choose the test set; pass one of them.");
        if (s.Target is not null && s.MultiLabel is not null)
            throw new ArgumentException("--target names a single-label column and --multi-label the label columns of multi-label data; " +
                "pass one of them.");
        // Read only with --test-data: without it, a split of --data is the test set, and the labels would be ignored.
        if (s.TestLabels is not null && s.TestData is null)
            throw new ArgumentException("--test-labels names the labels of a .npy --test-data; pass --test-data too, or leave out " +
                "--test-labels.");
        string dataPath = s.Data ?? DataSource.DefaultDirectory;
        bool idx = DataSource.IsIdx(dataPath);
        // Read once, before the data: --resume may be a pipe, and a file that is no checkpoint is refused at once.
        (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata)? resumed = null;
        FileFingerprint? resumedBytes = null;
        if (s.Resume is not null)
        {
            try
            {
                resumed = InputFiles.ReadCheckpoint(s.Resume, out resumedBytes);
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException)
            {
                err.WriteLine("error: " + CliHost.Clean($"cannot resume from '{s.Resume}': {e.Message}")); // robustness (issue 13)
                return ExitCodes.BadInput;
            }
        }
        var savedMetadata = resumed?.Metadata;
        ModelSpec? savedSpec;
        try
        {
            // Null for a checkpoint without a spec (an older or a PyTorch one); a malformed spec is named, not taken for none
            // (which ended in the state dict's "size mismatch").
            savedSpec = savedMetadata is null ? null : ModelSpec.FromMetadata(savedMetadata);
        }
        catch (InvalidDataException e)
        {
            err.WriteLine("error: " + CliHost.Clean($"cannot resume from '{s.Resume}': {e.Message}"));
            return ExitCodes.BadInput;
        }
        // Before the default folder is looked for: a checkpoint of a table resumed without --data needs its table, not Fashion-MNIST.
        if (savedMetadata is not null && s.Data is null
            && TrainArguments.ResumeWithoutData(s.Resume!, savedMetadata, savedSpec) is { } noData)
            return CliHost.Fail(noData);
        if (idx && DataSource.Missing(dataPath) is not null)
        {
            err.WriteLine("error: " + CliHost.Clean(DataSource.NotFoundMessage(dataPath))); // robustness (issue 13): "error:" prefix
            return ExitNoData;
        }
        if (idx && s.TestData is not null)
        {
            err.WriteLine($"error: '{dataPath}' is an IDX folder, which holds its own test files (t10k-*); leave out --test-data, or " +
                "pass --val-split.");
            return ExitNoData;
        }
        if (savedMetadata is not null)
        {
            // The loss, schedule and --missing options left out are the checkpoint's, as the optimizer's are; one given with another
            // value is refused, in the words the user gave it.
            var recorded = ResumedOptions.FromCheckpoint(savedMetadata, savedSpec);
            bool savedMultiLabel = savedSpec?.MultiLabel ?? recorded.Loss == "bce-with-logits";
            if (ResumeChanges.GivenRefusal(s.Resume!, recorded, GivenOptions(s), savedMultiLabel) is { } refusal)
            {
                err.WriteLine("error: " + CliHost.Clean(refusal));
                return ExitCodes.BadInput;
            }
            s = WithCheckpointOptions(s, recorded);
            // --model too: left out, the checkpoint's (auto would pick mlp for a table, refusing a resumed linear model).
            if (!s.Gave("--model") && savedMetadata.TryGetValue("model", out var recordedModel)
                && ModelCatalog.Names.Contains(recordedModel))
                s = s with { Model = recordedModel };
        }
        // After the checkpoint's options are taken: a resumed run's --gamma may go with the focal loss it records.
        TrainArguments.ValidateLoss(s.Loss, s.FocalGamma, s.LabelSmoothing);
        if (s.Gave("--lr-gamma") && s.Schedule != "step")
            throw new ArgumentException("--lr-gamma is the step schedule's factor per epoch; pass --lr-schedule step too (the schedule " +
                $"is {s.Schedule}).");
        CommonOptions.UseThreads(s.Threads);

        Prepared prep;
        try
        {
            // A resumed model goes on with its inputs standardised as it was trained: with the checkpoint's statistics.
            prep = idx ? PrepareIdx(s, dataPath, savedSpec) : PrepareFiles(s, dataPath, savedSpec);
        }
        catch (Exception e) when (DataSource.IsDataError(e) || e is ArgumentException)
        {
            // Exit 2 as any input refusal; --verbose adds the stack trace, which tells a library's deliberate refusal of this
            // data (an ArgumentException is how the readers and splits say so) from a bug that raised one.
            return CliHost.Fail(e);
        }
        // robustness (issue 13): empty sets are exit code 2, not a crash or NaN mid-run (DataChecks.cs).
        DataChecks.RequireSamples(prep.Train, prep.Source);
        DataChecks.RequireSamples(prep.Test, prep.Source);
        DataChecks.RequireSampleShape(prep.Test, prep.Train.SampleShape, prep.Source, "the training set");
        var spec = prep.Spec;
        if (savedMetadata is not null && savedMetadata.TryGetValue("model", out var saved) && saved != spec.Model)
        {
            // Checked before loading: the models share no parameter names, so loading would only report missing keys.
            // robustness (issue 13)
            err.WriteLine("error: " + CliHost.Clean(TrainArguments.ModelMismatch(s.Resume!, saved, spec.Model, ModelCatalog.Names)));
            return ExitCodes.BadInput;
        }
        // An mlp's layer sizes, like its model: left out, the checkpoint's; given otherwise, refused in the options' terms before
        // loading would say "size mismatch for fc1.weight".
        if (savedSpec is { Model: "mlp" } && spec.Model == "mlp" && !savedSpec.Hidden.SequenceEqual(spec.Hidden))
        {
            if (s.Hidden is not null)
            {
                err.WriteLine("error: " + CliHost.Clean(ResumeChanges.Message(s.Resume!, $"--hidden {string.Join(',', savedSpec.Hidden)}",
                    s.Hidden, "a resumed run goes on training the checkpoint's layers")));
                return ExitCodes.BadInput;
            }
            prep = prep with { Spec = spec with { Hidden = savedSpec.Hidden } };
            spec = prep.Spec;
        }
        // Before loading, whose text lists every state key the other optimizer lacks. Left out, the optimizer is the checkpoint's,
        // as its other settings are.
        if (savedMetadata is not null && savedMetadata.TryGetValue("setting.optimizer", out var savedOptimizer)
            && savedOptimizer != s.Optimizer && !s.Gave("--optimizer") && OptimizerCatalog.Names.Contains(savedOptimizer))
            s = s with { Optimizer = savedOptimizer };
        if (savedMetadata is not null && savedMetadata.TryGetValue("setting.optimizer", out savedOptimizer)
            && savedOptimizer != s.Optimizer)
        {
            err.WriteLine("error: " + CliHost.Clean(TrainArguments.ResumeMismatch(s.Resume!, "--optimizer", savedOptimizer, s.Optimizer)));
            return ExitCodes.BadInput;
        }
        // In the data's terms (a column, the classes), before loading would say "size mismatch for fc1.weight"; and a table whose
        // columns come in another order loads without error but would feed each weight another feature.
        if (savedSpec is not null && TrainArguments.DataMismatch(savedSpec, spec, dataPath, s.Target is not null) is { } mismatch)
        {
            err.WriteLine("error: " + CliHost.Clean($"cannot resume from '{s.Resume}': {mismatch}"));
            return ExitCodes.BadInput;
        }
        // A table-trained model resumed on an array (read in the training order, as eval reads it) keeps its column names and
        // target column, so that eval and predict still take the table (qa-s21-crash M3: they were dropped).
        if (savedSpec?.FeatureNames is not null && spec.FeatureNames is null)
        {
            prep = prep with { Spec = spec with { FeatureNames = savedSpec.FeatureNames, TargetColumn = savedSpec.TargetColumn } };
            spec = prep.Spec;
        }
        var classNames = spec.ClassNames;

        double lr = s.Lr ?? OptimizerCatalog.DefaultLr(s.Optimizer);
        double wd = s.WeightDecay ?? OptimizerCatalog.DefaultWeightDecay(s.Optimizer);
        // Before allocating: sizes that cannot fit are refused in the options' terms, not after growing to the memory limit.
        var (memory, memoryLimit) = ProcessMemory.Available();
        if (ModelFootprint.Refusal(spec, s.Optimizer, s.Momentum,
                Math.Max(Math.Min(s.BatchSize, prep.Train.Count), Math.Min(s.TestBatchSize, prep.Test.Count)),
                Math.Min(s.BatchSize, prep.Train.Count), memory, memoryLimit) is { } tooLarge)
            return CliHost.Fail(tooLarge);
        Module module;
        try
        {
            module = ModelCatalog.Create(spec, new Generator(s.Seed), commandLine: true);
        }
        catch (ArgumentException e)
        {
            return CliHost.Fail(e); // a model that cannot be built from these sizes; --verbose adds the stack trace
        }
        Optimizer opt;
        try
        {
            opt = OptimizerCatalog.Create(s.Optimizer, module.Parameters(), lr, wd, s.Momentum);
        }
        catch (ArgumentException e)
        {
            // A --momentum for an optimizer other than sgd; Fail drops ArgumentException's " (Parameter 'momentum')".
            return CliHost.Fail(e);
        }
        string lossName = s.Loss == "auto" ? (spec.MultiLabel ? "bce-with-logits" : "cross-entropy") : s.Loss;
        if (spec.MultiLabel != (lossName == "bce-with-logits"))
        {
            err.WriteLine($"error: --loss {lossName} does not fit {(spec.MultiLabel ? "multi-label" : "single-label")} data; use --loss " +
                $"{(spec.MultiLabel ? "bce-with-logits" : "cross-entropy")}.");
            return ExitNoData;
        }
        if (LossOptionMismatch(s, spec.MultiLabel, dataPath) is { } lossOption)
        {
            err.WriteLine("error: " + CliHost.Clean(lossOption));
            return ExitNoData;
        }
        // Class weights: data-parallel ranks weight their shares of the mean by them.
        var (criterion, lossLabel, weight) = Criterion(s, prep, lossName);
        // The held-out loss is plain CE (BCE): named so beside a training loss with smoothing, weights or a focal term in it.
        string? lossTerms = HeldOutLoss.TrainingOnlyTerms(spec.MultiLabel, lossName, s.FocalGamma, s.LabelSmoothing, s.ClassWeights,
            s.PosWeight);

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt", ["model"] = spec.Model };
        foreach (var (k, v) in spec.ToMetadata()) metadata[k] = v;
        var dp = DistributedTrainCommand.Current; // --distributed: this rank's share of the run (docs/DISTRIBUTED.md)
        bool writes = dp?.IsRoot ?? true;
        if (dp?.Mismatch(prep.Train, prep.Test, spec, CollectiveOptions(s, lossName, savedMetadata)) is { } differentRanks)
        {
            err.WriteLine("error: " + differentRanks);
            return ExitCodes.BadInput;
        }
        // --resume of a run's checkpoint without --out continues that run's folder (its metrics.csv goes on), as the interrupt hint
        // "--resume … (and the same options)" implies; a new run gets a fresh runs/<timestamp>.
        // Under mpiexec only rank 0 writes the run's files, so only it claims a folder, and only once the ranks agree: a rank that
        // fails alone before that aborts the job, killing rank 0 before it could remove a folder claimed earlier.
        string outDir = "";
        string? createdRoot = null;
        RunFolderLock? ownLock = null;
        // A resumed run with nothing left to train writes nothing, so it neither locks nor checks --out: it says so in a folder this
        // user may only read, as before the lock came first (qa-s19-b L3). Decided on the checkpoint already read, the one it then
        // reports on; a run with training to do is locked as before.
        bool writesNothing = savedMetadata is not null && Trainer.NothingToTrain(savedMetadata, s.Epochs, s.Patience);
        void ClaimFolder()
        {
            if (writesNothing) return;
            outDir = s.Out ?? (s.Resume is { } r ? RunDirectory.ResumeFolder(r) : null)
                ?? (dp?.IsRoot == false ? RunDirectory.DefaultOut(DateTime.Now) : claim.Take(DateTime.Now));
            // The folder is locked for the whole run, before it is looked at (another live run's files are never taken for
            // leftovers), and refused if it holds a run, before anything about the run is printed: a resumed run said "Resuming
            // from …" and warned about its options before it was refused a folder another run was using (qa-s18-s18changes L2).
            // A command refused from here on leaves no folder where there was none: the lock removes those it created.
            createdRoot = OutputPaths.FirstMissingFolder(outDir);
            ownLock = writes && claim.Lock is null ? RunFolderLock.Take(outDir, createdRoot) : null;
            try
            {
                if ((ownLock ?? claim.Lock) is { } held)
                {
                    RunDirectory.Check(held, s.Resume, s.Overwrite);
                    RequireResumedUnchanged(held, s.Resume, resumedBytes);
                }
            }
            catch (Exception)
            {
                ownLock?.Dispose();
                ownLock = null;
                throw;
            }
        }
        if (s.Resume is not null) AfterResumeRead?.Invoke(s.Resume);
        // Only rank 0 can be refused the folder: every rank learns whether it was, so that a folder in use, holding a run or not
        // writable ends the job with rank 0's line and exit code 2, not as a rank that failed alone (qa-s18-mpi L2).
        if (dp is null) ClaimFolder();
        else if (!dp.AfterRankZero(ClaimFolder)) return ExitCodes.BadInput;
        using var heldLock = ownLock;
        var runFolder = ownLock ?? claim.Lock;
        string checkpointPath = Path.Combine(outDir, "checkpoint.safetensors");
        string bestPath = Path.Combine(outDir, "best.safetensors");
        string metricsPath = Path.Combine(outDir, "metrics.csv");
        string reportPath = Path.Combine(outDir, "report.html");

        // A resumed run whose checkpoint tracked the best held-out loss (an early-stopping run) goes on tracking it without
        // --patience too, so that best.safetensors stays the best epoch's rather than an out-of-date one.
        bool tracksBest = s.Patience is not null || savedMetadata?.ContainsKey("best_loss") == true;
        var trainer = new Trainer(module, opt, criterion, new TrainerOptions
        {
            Epochs = s.Epochs, Seed = s.Seed, NumClasses = spec.NumClasses, LimitBatches = s.LimitBatches,
            CheckpointPath = writes ? checkpointPath : null, MetricsPath = writes ? metricsPath : null, Metadata = metadata,
            MultiLabel = spec.MultiLabel,
            Schedule = new LrSchedule { Kind = s.Schedule, WarmupSteps = s.Warmup, Gamma = s.Gamma },
            ClipGradNorm = s.ClipGradNorm, Patience = s.Patience, BestCheckpointPath = tracksBest && writes ? bestPath : null,
            HeldOutLossName = lossTerms is null ? "test loss" : $"test loss ({HeldOutLoss.ShortName(spec.MultiLabel)})",
            LearningRateOption = "--lr", // the library's advice says "learning rate"; here, the flag that sets it
        });
        dp?.Attach(trainer, module, weight);
        trainer.Warning = m => err.WriteLine("Warning: " + m);
        // Removed by hand during the run, the folder may be another run's by now (qa-s18-s18changes L4).
        if (runFolder is not null) trainer.BeforeEpochWrites = runFolder.EnsureStillHeld;
        Dictionary<string, string> resumedMetadata = [];
        if (resumed is { } checkpoint)
        {
            try
            {
                resumedMetadata = trainer.Resume(TrainingCheckpoint.Split(checkpoint.Tensors, checkpoint.Metadata), s.Resume!);
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException or NotSupportedException)
            {
                err.WriteLine("error: " + CliHost.Clean($"cannot resume from '{s.Resume}': {e.Message}"));
                return ExitCodes.BadInput; // robustness (issue 13)
            }
            // The optimizer's settings come from the checkpoint: an --lr, --weight-decay or --momentum that differs would be ignored.
            if (IgnoredOnResume(s, opt, resumedMetadata) is { } ignored)
            {
                err.WriteLine("error: " + CliHost.Clean(ignored));
                return ExitCodes.BadInput;
            }
            // The optimizer's settings come from the checkpoint; report and save those, not the command line's.
            lr = SavedLr(opt, resumedMetadata);
            wd = opt.ParamGroups[0].WeightDecay;
        }
        double momentum = opt is Sgd ? opt.ParamGroups[0].Momentum : s.Momentum;
        var settings = RunSettings(s, prep, dataPath, lr, wd, momentum, lossLabel);
        // Under mpiexec --batch-size is per rank: the report and checkpoint say what batch the run used.
        if (dp is not null) settings.Add(new("ranks", $"{dp.Size} (global batch {s.BatchSize * dp.Size})"));
        // The statistics are the checkpoint's (PrepareFiles), and so is what they were computed from.
        if (savedSpec is not null && savedMetadata!.TryGetValue("setting.normalize", out var normalize))
            settings[settings.FindIndex(kv => kv.Key == "normalize")] = new("normalize", normalize);
        IReadOnlyList<KeyValuePair<string, string>>? dataFingerprint = null; // the data file's length and SHA-256, once hashed
        if (s.Resume is not null)
        {
            // The options the checkpoint records (setting.*): a change that would alter the model's inputs, its loss or its
            // learning-rate schedule is refused; one that changes how long or how the run goes on is named in a warning.
            if (ResumeChanges.Refusal(s.Resume, resumedMetadata, savedSpec, spec, settings, dataPath) is { } refused)
            {
                err.WriteLine("error: " + CliHost.Clean(refused));
                return ExitCodes.BadInput;
            }
            if (trainer.StartEpoch > s.Epochs)
            {
                // Before --out is prepared: a finished run stays as it is, and another --out is not left with a run without a checkpoint.
                Console.WriteLine($"Nothing to train: '{s.Resume}' is already at epoch {trainer.StartEpoch - 1}; pass --epochs above " +
                    $"{trainer.StartEpoch - 1} to train further.");
                return ExitCodes.Success;
            }
            if (trainer.PatienceSpent)
            {
                // The same command after an early stop: an uninterrupted run with this --patience ended at the checkpoint.
                Console.WriteLine(PatienceSpentMessage(s.Resume, trainer, s.Patience!.Value, resumedMetadata));
                return ExitCodes.Success;
            }
            // Hashed here, after the returns above that train nothing, and recorded below: compared with the checkpoint's.
            dataFingerprint = writes ? TrainingDataWarning.Fingerprint(dataPath, prep.Fingerprint) : [];
            // Only for a run that goes on: "its checkpoint records the new values" is not so when nothing is trained (qa-s20-a L6).
            if (BatchChangeOnResume(resumedMetadata, dp?.Size ?? 1, s.BatchSize) is { } batchNote) err.WriteLine(batchNote);
            foreach (string? warning in new[]
                {
                    ResumeChanges.OptionWarning(resumedMetadata, settings),
                    ResumeChanges.SplitWarning(resumedMetadata, settings, s.Seed, prep.HeldOut is not null, prep.OtherRows, dataPath,
                        dataFingerprint),
                    ResumeChanges.TemperatureNote(savedSpec),
                })
                if (warning is not null) err.WriteLine(CliHost.Clean(warning));
            // Never trains without the lock: NothingToTrain reads the metadata as Resume does, so this is a bug if it is reached.
            if (writesNothing) throw new InvalidOperationException($"'{s.Resume}' was taken for a run with nothing to train.");
            Console.WriteLine($"Resuming from '{s.Resume}' at epoch {trainer.StartEpoch}.");
        }

        // Only now that every option, the model, the loss and the resumed checkpoint are known to fit the data: a refused command
        // leaves no run folder (nor a split.csv without a checkpoint) behind, and the files of a run that left no checkpoint stay.
        // Robustness (issue 13): never replace another run.
        if (runFolder is not null && RunDirectory.Prepare(runFolder, s.Resume, s.Overwrite) is { Count: > 0 } removed)
            Console.WriteLine($"Removed the files of a run in '{outDir}' that left no checkpoint ({string.Join(", ", removed)}).");
        if (prep.HeldOut is { } heldOut && writes)
        {
            try
            {
                DataSource.WriteSplit(Path.Combine(outDir, "split.csv"), prep.SourceCount, heldOut, prep.SourceFiles, dataPath);
            }
            catch (Exception) when (s.Resume is null)
            {
                // A full disk, say: the folder this run prepared goes, so the same command can run again.
                RemoveUnfinishedRun();
                throw;
            }
        }

        foreach (var (k, v) in settings) if (k is not ("model" or "seed" or "resume")) metadata["setting." + k] = v;
        // The data file's length and SHA-256, so that eval and calibrate tell a copy of it (cp train.csv test.csv) as they tell a
        // link; in the checkpoint only, not the report's settings. Only the rank that writes reads a CSV file again.
        if (writes)
            foreach (var (k, v) in dataFingerprint ?? TrainingDataWarning.Fingerprint(dataPath, prep.Fingerprint)) metadata[k] = v;

        var ci = CultureInfo.InvariantCulture;
        long globalBatch = (long)s.BatchSize * (dp?.Size ?? 1);
        string ranks = dp is null ? "" : $", {s.BatchSize} on each of {dp.Size} rank{(dp.Size == 1 ? "" : "s")}";
        int batches = dp?.GlobalBatchCount(prep.Train.Count, s.BatchSize)
            ?? (int)(((long)prep.Train.Count + s.BatchSize - 1) / s.BatchSize);
        string unit = DataSource.SampleNoun(spec);
        // Fewer samples than ranks: no global batch gives every rank one, and the epoch had no batches at all (an internal error).
        if (dp is not null && batches == 0)
            return CliHost.Fail($"{prep.Train.Count} training {(prep.Train.Count == 1 ? unit[..^1] : unit)} cannot be shared by " +
                $"{dp.Size} ranks: each rank needs at least one of every global batch; start at most {prep.Train.Count} rank" +
                $"{(prep.Train.Count == 1 ? "" : "s")}, or give more data.");
        int perEpoch = Math.Min(batches, s.LimitBatches ?? int.MaxValue);
        if (prep.SplitNote is not null) Console.WriteLine(prep.SplitNote);
        string classes = spec.MultiLabel ? $"{spec.NumClasses} labels" : $"{spec.NumClasses} classes";
        // A batch size above the sample count gives one batch of them all ("1 batch of 1000" for 135 samples read wrongly).
        Console.WriteLine($"Training {spec.Model} on {prep.Train.Count} {unit} of {classes} ({perEpoch} " +
            $"batch{(perEpoch == 1 ? "" : "es")} of {Math.Min(globalBatch, prep.Train.Count)} per epoch{ranks}), " +
            $"testing on {prep.Test.Count}; {s.Optimizer} lr {lr.ToString("G", ci)}, seed {s.Seed}, {KernelParallel.MaxThreads} " +
            "thread(s).");
        // The warm-up ramps the rate by 1/W a batch: a W beyond the run's batches ends below --lr, which nothing else would show.
        long runBatches = (long)s.Epochs * perEpoch;
        if (s.Warmup > runBatches)
            err.WriteLine(CliHost.Clean($"Warning: --warmup {s.Warmup} is longer than the whole run ({runBatches} batch" +
                $"{(runBatches == 1 ? "" : "es")}: {s.Epochs} epoch{(s.Epochs == 1 ? "" : "s")} of {perEpoch}), so the learning rate " +
                $"never reaches --lr {lr.ToString("G", ci)}: the warm-up ends the run at {runBatches}/{s.Warmup} of it."));
        // Own data only (an IDX folder's pixels are bounded, its test images of the same kind), and said by the rank that writes.
        if (!prep.IsIdx && writes && TestRangeWarning.For(prep.Train, prep.Test, spec, s.TestData ?? dataPath,
                DatasetFactory.Detect(s.TestData ?? dataPath, commandLine: true), s.TestData is null ? prep.HeldOut : null,
                s.TestData is null ? prep.SourceFiles : null) is { } far)
            err.WriteLine(far);
        if (lossTerms is not null) Console.WriteLine(HeldOutLoss.Note(lossTerms, spec.MultiLabel));
        // Documented (DISTRIBUTED.md), but said too: the one way these batches differ from one process's (qa-s18-mpi L3).
        if (dp?.SkippedPerEpoch(prep.Train.Count, s.BatchSize) is > 0 and int skipped && perEpoch == batches)
            Console.WriteLine("Each epoch leaves out " + (skipped == 1 ? $"the last {unit[..^1]} of its shuffled order (another one " :
                $"the last {skipped} {unit} of its shuffled order (others ") + $"each epoch): a last global batch smaller than the " +
                $"number of ranks ({dp.Size}) would leave a rank with nothing to train on. Another --batch-size or number of ranks " +
                "trains on all of them.");
        if (!spec.MultiLabel && s.ClassWeights == "none" && ImbalanceNote(spec.ClassNames, prep.TrainCounts) is { } imbalance)
            Console.Error.WriteLine(CliHost.Clean(imbalance));

        // What a new run that wrote no checkpoint leaves goes, so that the same command can run again; but never from a folder that
        // is no longer the one this run locked, whose files are another run's.
        void RemoveUnfinishedRun()
        {
            if (runFolder?.StillHeld != false) RunDirectory.RemoveUnfinishedRun(outDir, createdRoot);
        }

        EpochResult? last = null;
        string? stopNote = null; // the report's line about a NaN stop, as the terminal's error says it (qa-s21-seen M3)
        void WriteReport()
        {
            if (!writes) return;
            runFolder?.EnsureStillHeld();
            ReportWriter.Write(reportPath, new TrainingReport(
                $"xent train — {Path.GetFileName(Path.GetFullPath(outDir))}", settings, classNames, trainer.Rows, perEpoch, last?.Test)
            {
                TestLossName = lossTerms is null ? "test" : $"test ({HeldOutLoss.ShortName(spec.MultiLabel)})",
                LossNote = lossTerms is null ? null : HeldOutLoss.Note(lossTerms, spec.MultiLabel),
                RunNote = JoinNotes(stopNote,
                    tracksBest ? BestEpochNote(trainer, s.Patience, s.Epochs, !writes || File.Exists(bestPath)) : null),
                Warnings = warnings.Warnings, // those said so far: rewritten each epoch, the report has a later epoch's too
            });
        }
        trainer.EpochCompleted = r => { last = r; WriteReport(); };

        int code = 0;
        bool runRemoved = false; // a new run stopped by a NaN loss before its first checkpoint: its files are gone
        // Ctrl-C (SIGINT) or SIGTERM still ends the process (exit code 128 + signal: 130, 143), but first says how to go on. Every
        // run file is written atomically, so the last finished epoch's checkpoint is whole whenever the signal comes.
        void OnSignal(PosixSignalContext context)
        {
            if (writes) SayHowToGoOn();
            if (dp is null) return; // the runtime ends the process by the signal itself: the shell shows 130 or 143
            // Under mpiexec a rank that dies by a signal is reported as 0, 2 or 15, so a preempted job could read as a success:
            // the job is ended with 128 + the signal instead, which mpiexec returns.
            context.Cancel = true;
            dp.Abort(128 + (context.Signal == PosixSignal.SIGINT ? 2 : 15));
        }
        void SayHowToGoOn()
        {
            // First the write in progress, if any: its temporary file goes, and no checkpoint is renamed into place after this.
            WritesInFlight.Process.Abandon();
            if (File.Exists(checkpointPath))
                err.WriteLine("error: interrupted; the last finished epoch's checkpoint is kept: continue with --resume " +
                    $"{checkpointPath} (and the same options).");
            else if (s.Resume is not null)
                err.WriteLine($"error: interrupted before the first epoch finished; '{s.Resume}' is as it was: continue with --resume " +
                    $"{s.Resume} (and the same options).");
            else
            {
                // The process ends after this handler: what this new run wrote (metrics.csv's header, split.csv) goes now, as
                // after a NaN stop, so no folder of a run that never finished an epoch is left behind.
                RemoveUnfinishedRun();
                err.WriteLine("error: interrupted before the first epoch finished; no checkpoint was written, and nothing of this run " +
                    $"is left in '{outDir}' (the same command starts the run again).");
            }
            // Nor do the using blocks run: the folder's lock file goes here, with the folders this run created if they are empty
            // (the kernel drops the lock itself in any case).
            ownLock?.Dispose();
            claim.Dispose();
        }
        using var onInterrupt = writes || dp is not null ? PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal) : null;
        using var onTerminate = writes || dp is not null ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal) : null;
        try
        {
            var result = ConsoleOutput.RunWithProgress(trainer, s.Epochs, warnings,
                epoch => dp?.Batches(prep.Train, s.BatchSize, trainer.ShuffleSeed(epoch))
                    ?? DataSource.Batches(prep.Train, s.BatchSize, shuffle: true, trainer.ShuffleSeed(epoch)),
                batches,
                () => DataSource.Batches(prep.Test, s.TestBatchSize, shuffle: false));
            last = result ?? last;
        }
        catch (RunFolderReplacedException)
        {
            throw; // the folder's files are not this run's: none is removed or named to --resume (the catches below)
        }
        catch (TrainingDivergedException e)
        {
            bool kept = File.Exists(checkpointPath);
            // A new run that wrote no checkpoint leaves nothing (a header-only metrics.csv, split.csv) that would block its rerun,
            // nor a report of the batches logged before the loss broke (written below, it blocked the same command).
            runRemoved = !kept && writes && s.Resume is null;
            if (runRemoved) RemoveUnfinishedRun();
            stopNote = DivergedNote(e, s.Epochs, s.Resume is not null, trainer, kept && !tracksBest, last is not null);
            err.WriteLine("error: " + e.Message + (kept
                ? $" The last good checkpoint is kept: '{checkpointPath}'."
                : s.Resume is null ? $" No checkpoint was written, and nothing of this run is left in '{outDir}'."
                : " No checkpoint was written.")
                // The library's hint names --lr, which a resumed run refuses (it keeps the checkpoint's).
                + (s.Resume is null ? "" : " A resumed run keeps the checkpoint's learning rate: for a lower --lr, start a new run " +
                    "(without --resume)."));
            code = ExitDiverged;
        }
        catch (Exception) when (writes && s.Resume is null && !File.Exists(checkpointPath))
        {
            // The first checkpoint could not be written (a full disk): its epoch's metrics row, already written, must not make
            // the same command's rerun refuse the folder as another run's. The error itself goes out as any other.
            RemoveUnfinishedRun();
            throw;
        }
        catch (Exception e) when (writes && e is IOException or UnauthorizedAccessException && File.Exists(checkpointPath))
        {
            // A full disk after a checkpoint was written: say, as Ctrl-C does, what there is to go on from.
            string message = e.Message.TrimEnd('.') + ". The last checkpoint written is kept: continue with --resume " +
                $"{checkpointPath} (and the same options) once the cause is fixed.";
            throw e is UnauthorizedAccessException ? new UnauthorizedAccessException(message, e) : new IOException(message, e);
        }

        if (trainer.Rows.Count > 0 && !runRemoved) WriteReport();
        if (last is not null && code == 0)
        {
            // The last test pass had NaN or infinite outputs: eval's warning, before the accuracy it qualifies (the report has it too).
            if (NonFiniteOutputs.Warning(last.Test) is { } nonFinite) err.WriteLine("Warning: " + nonFinite);
            PrintFinal(last.Test, classNames);
        }
        if (tracksBest && trainer.BestEpoch > 0 && code == 0)
            // Resumed into another folder, a best epoch from before the checkpoint has no best.safetensors here.
            Console.WriteLine(File.Exists(bestPath) || !writes ? $"Best held-out loss at epoch {trainer.BestEpoch}: {bestPath}"
                : $"Best held-out loss at epoch {trainer.BestEpoch}, before '{s.Resume}': no later epoch beat it, so '{outDir}' holds " +
                    "no best.safetensors.");
        PrintWritten(outDir, tracksBest, prep.HeldOut is not null);
        return code;
    }

    /// <summary>
    /// A test hook, called with <c>--resume</c>'s path once the checkpoint is read and the run is set up, just before the run folder
    /// is locked: a test rewrites the checkpoint there, as a run in that folder that ends at that moment does.
    /// </summary>
    internal static Action<string>? AfterResumeRead { get; set; }

    /// <summary>
    /// Refuses a resumed run whose checkpoint, in the folder it has just locked, is no longer the one it read: the run that held the
    /// folder wrote a newer one as it ended, after this run read its checkpoint and before it took the lock. Resuming from the copy
    /// read would write its older epochs over that run's newer checkpoint and metrics. Refused, not read again:
    /// every choice made so far (the options left out, the model, the input statistics, whether anything is left to train) came
    /// from the copy read, and the same command, run again, makes them from the new checkpoint. A checkpoint in another folder is
    /// not this run's to keep up with: it resumes from the copy read, as from a copy of the file.
    /// </summary>
    /// <exception cref="IOException">The checkpoint changed or is gone; nothing has been written.</exception>
    private static void RequireResumedUnchanged(RunFolderLock held, string? resume, FileFingerprint? read)
    {
        if (resume is null || read is null || !RunDirectory.ContinuesItsRun(held.Folder, resume) || read.Matches(resume)) return;
        bool there = File.Exists(resume);
        throw new IOException($"'{resume}' {(there ? "changed" : "was removed")} between this run reading it and locking --out " +
            $"'{held.Folder}' (most likely by a run there that was ending); nothing was written" +
            (there ? ": run the command again to resume from the checkpoint there now." : "."));
    }

    /// <summary>
    /// "Nothing to train" for a resumed run whose --patience is spent: the run stopped early at its checkpoint (or, for a checkpoint
    /// of a run with no or a larger patience, would have stopped by then), with the epochs since its best one.
    /// </summary>
    private static string PatienceSpentMessage(string checkpoint, Trainer trainer, int patience, IReadOnlyDictionary<string, string> saved)
    {
        int at = trainer.StartEpoch - 1, idle = trainer.EpochsWithoutImprovement;
        string since = $"no held-out improvement for {idle} epoch{(idle == 1 ? "" : "s")} since epoch {trainer.BestEpoch}";
        string further = $"; pass a --patience above {idle}, or leave it out, to train further.";
        bool stoppedHere = saved.TryGetValue("setting.patience", out var p)
            && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int savedPatience) && idle >= savedPatience;
        return stoppedHere ? $"Nothing to train: the run stopped early at epoch {at} ({since}){further}"
            : $"Nothing to train: '{checkpoint}' is at epoch {at}, with {since}, where --patience {patience} stops{further}";
    }

    /// <summary>
    /// The report's line about early stopping: that the run stopped early (its headline numbers are its last epoch's) and which
    /// epoch best.safetensors holds (<paramref name="bestHere"/>: false for a best epoch from before a checkpoint resumed into
    /// another folder, which holds none); null before any epoch has been best.
    /// </summary>
    private static string? BestEpochNote(Trainer trainer, int? patience, int epochs, bool bestHere)
    {
        var ci = CultureInfo.InvariantCulture;
        int best = trainer.BestEpoch, last = trainer.Rows.LastOrDefault(r => r.IsEpochEnd)?.Epoch ?? 0;
        if (best == 0 || last == 0) return null;
        string bestLoss = trainer.Rows.LastOrDefault(r => r.IsEpochEnd && r.Epoch == best)?.TestLoss is double loss
            ? $" ({NumberText.Fixed(loss)})" : "";
        string holds = bestHere
            ? $"The numbers above are epoch {last}'s (checkpoint.safetensors); best.safetensors holds epoch {best}, the lowest " +
                $"held-out loss{bestLoss}."
            : $"The numbers above are epoch {last}'s (checkpoint.safetensors); the lowest held-out loss{bestLoss} was epoch {best}'s.";
        int idle = trainer.EpochsWithoutImprovement;
        return trainer.StoppedEarly && patience is int p
            ? $"Stopped early after epoch {last} of {epochs}: the held-out loss had not improved for {idle} " +
                $"epoch{(idle == 1 ? "" : "s")} (--patience {p}). {holds}"
            : holds;
    }

    /// <summary>
    /// The report's line about a run that the loss stopped (<see cref="TrainingDivergedException"/>): where, and which epoch the
    /// checkpoint kept is (<paramref name="kept"/>: false with none, or when <see cref="BestEpochNote"/> says it), whose numbers the
    /// summary shows when <paramref name="summarised"/>; without it the page read as a run that had finished fewer epochs than
    /// asked (qa-s21-seen M3).
    /// </summary>
    private static string DivergedNote(TrainingDivergedException e, int epochs, bool resumed, Trainer trainer, bool kept,
        bool summarised)
    {
        string what = double.IsNaN(e.Loss) ? "NaN" : "infinite";
        int last = trainer.Rows.LastOrDefault(r => r.IsEpochEnd)?.Epoch ?? 0;
        string checkpoint = !kept || last == 0 ? ""
            : summarised ? $" The numbers above are epoch {last}'s, the last good checkpoint (checkpoint.safetensors)."
            : $" The last good checkpoint is epoch {last}'s (checkpoint.safetensors).";
        return $"Stopped in epoch {e.Epoch} of {epochs}: the training loss became {what} at batch {e.Batch}." + checkpoint +
            (resumed ? " A resumed run keeps the checkpoint's learning rate: for a lower --lr, start a new run (without --resume)."
                : " Try a lower learning rate (--lr).");
    }

    /// <summary>Two report lines as one, either of which may be missing.</summary>
    private static string? JoinNotes(string? first, string? second) =>
        first is null ? second : second is null ? first : first + " " + second;

    /// <summary>
    /// The refusal of an optimizer option that a resumed run would ignore, since its optimizer settings come from the checkpoint: an
    /// <c>--lr</c>, <c>--weight-decay</c> or <c>--momentum</c> given with a value other than the checkpoint's; null when none.
    /// </summary>
    private static string? IgnoredOnResume(Settings s, Optimizer opt, IReadOnlyDictionary<string, string> metadata)
    {
        var ci = CultureInfo.InvariantCulture;
        var group = opt.ParamGroups[0];
        double savedLr = SavedLr(opt, metadata);
        string Mismatch(string option, double saved, double given) =>
            TrainArguments.ResumeMismatch(s.Resume!, option, saved.ToString("R", ci), given.ToString("R", ci));
        if (s.Lr is double lr && lr != savedLr) return Mismatch("--lr", savedLr, lr);
        if (s.WeightDecay is double wd && wd != group.WeightDecay) return Mismatch("--weight-decay", group.WeightDecay, wd);
        if (s.Gave("--momentum") && opt is Sgd && s.Momentum != group.Momentum) return Mismatch("--momentum", group.Momentum, s.Momentum);
        return null;
    }

    /// <summary>The loss, schedule and <c>--missing</c> options the command line gave explicitly (null: left out).</summary>
    private static ResumedOptions GivenOptions(Settings s) => new(
        Loss: s.Gave("--loss") ? s.Loss : null,
        Gamma: s.FocalGamma,
        LabelSmoothing: s.Gave("--label-smoothing") ? s.LabelSmoothing : null,
        ClassWeights: s.Gave("--class-weights") ? s.ClassWeights : null,
        PosWeight: s.Gave("--pos-weight") ? s.PosWeight : null,
        Schedule: s.Gave("--lr-schedule") ? s.Schedule : null,
        Warmup: s.Gave("--warmup") ? s.Warmup : null,
        LrGamma: s.Gave("--lr-gamma") ? s.Gamma : null,
        Missing: s.Gave("--missing") ? s.Missing : null);

    /// <summary>
    /// The settings with every loss, schedule and <c>--missing</c> option that was left out taken from the checkpoint's run
    /// (<paramref name="recorded"/>), so that the same command without them resumes; one the checkpoint does not record keeps its
    /// default.
    /// </summary>
    private static Settings WithCheckpointOptions(Settings s, ResumedOptions recorded) => s with
    {
        Loss = !s.Gave("--loss") && recorded.Loss is { } loss ? loss : s.Loss,
        FocalGamma = s.FocalGamma ?? recorded.Gamma,
        LabelSmoothing = !s.Gave("--label-smoothing") && recorded.LabelSmoothing is { } smoothing ? smoothing : s.LabelSmoothing,
        ClassWeights = !s.Gave("--class-weights") && recorded.ClassWeights is { } weights ? weights : s.ClassWeights,
        PosWeight = !s.Gave("--pos-weight") && recorded.PosWeight is { } pos ? pos : s.PosWeight,
        Schedule = !s.Gave("--lr-schedule") && recorded.Schedule is { } schedule ? schedule : s.Schedule,
        Warmup = !s.Gave("--warmup") && recorded.Warmup is { } warmup ? warmup : s.Warmup,
        Gamma = !s.Gave("--lr-gamma") && recorded.LrGamma is { } lrGamma ? lrGamma : s.Gamma,
        Missing = !s.Gave("--missing") && recorded.Missing is { } missing ? missing : s.Missing,
    };

    /// <summary>
    /// The <c>--lr</c> a resumed run has: the base rate a scheduled run saved (its group holds the scheduled rate of its last
    /// batch), else the group's rate.
    /// </summary>
    private static double SavedLr(Optimizer opt, IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue("base_lr.0", out var b)
        && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out double baseLr) ? baseLr : opt.ParamGroups[0].Lr;

    /// <summary>
    /// A warning when a run resumes with another global batch than the checkpoint's (<c>setting.batch_size</c> per rank times
    /// <c>setting.ranks</c>, which <c>--distributed</c> runs write; absent: one process), or with the same global batch split over
    /// another number of processes. Either way it no longer ends bit for bit where an uninterrupted run would. Null when neither
    /// changed, or when the checkpoint does not say.
    /// </summary>
    private static string? BatchChangeOnResume(IReadOnlyDictionary<string, string> checkpoint, int ranks, int perRankBatch)
    {
        var ci = CultureInfo.InvariantCulture;
        string savedRanksText = checkpoint.GetValueOrDefault("setting.ranks") ?? "1";
        if (!int.TryParse(savedRanksText.Split(' ')[0], NumberStyles.None, ci, out int savedRanks) || savedRanks < 1
            || !int.TryParse(checkpoint.GetValueOrDefault("setting.batch_size"), NumberStyles.None, ci, out int savedBatch))
            return null; // a checkpoint of another tool, or edited by hand: nothing reliable to compare
        long savedGlobal = (long)savedRanks * savedBatch, global = (long)ranks * perRankBatch;
        if (savedRanks == ranks && savedGlobal == global) return null;
        string Split(int n, int b) => n == 1 ? $"1 process × {b}" : $"{n} ranks × {b}";
        string change = $"the checkpoint was trained with a global batch of {savedGlobal} ({Split(savedRanks, savedBatch)}); " +
            $"this run uses {global} ({Split(ranks, perRankBatch)})";
        if (savedGlobal != global)
            return $"Warning: {change}, so it goes on with another batch size and will not end where an uninterrupted run would.";
        // Each rank draws its own dropout masks, so with dropout (the cnn) another rank count trains on other masks.
        return checkpoint.GetValueOrDefault("model") == "cnn"
            ? $"Warning: {change}: the same global batch over another number of processes, but each rank draws its own dropout " +
                "masks, so the run goes on with other masks and will not end where an uninterrupted run would."
            : $"Warning: {change}: the same global batch over another number of processes, so the run matches an uninterrupted one " +
                "to float rounding, not bit for bit.";
    }

    /// <summary>
    /// The options every rank of a data-parallel run must share, as (option, value) pairs in a fixed order, with their effective
    /// values (an <c>--lr</c> left to its default and the same value given are the same): those that decide how many batches,
    /// evaluations and epochs a rank runs (a rank that runs more waits for ever in a collective), and those that decide what it
    /// computes. The model, the input and the split are compared through the data and the spec; paths are left out, since each
    /// node may read its own copy of the data.
    /// </summary>
    private static (string Option, string Value)[] CollectiveOptions(Settings s, string lossName,
        IReadOnlyDictionary<string, string>? savedMetadata)
    {
        var ci = CultureInfo.InvariantCulture;
        string F(double v) => v.ToString("R", ci);
        return
        [
            ("--epochs", s.Epochs.ToString(ci)), ("--batch-size", s.BatchSize.ToString(ci)),
            ("--test-batch-size", s.TestBatchSize.ToString(ci)), ("--limit-batches", s.LimitBatches?.ToString(ci) ?? ""),
            ("--patience", s.Patience?.ToString(ci) ?? ""), ("--seed", s.Seed.ToString(ci)), ("--optimizer", s.Optimizer),
            ("--lr", F(s.Lr ?? OptimizerCatalog.DefaultLr(s.Optimizer))), ("--momentum", F(s.Momentum)),
            ("--weight-decay", F(s.WeightDecay ?? OptimizerCatalog.DefaultWeightDecay(s.Optimizer))), ("--loss", lossName),
            ("--gamma", F(s.FocalGamma ?? 2f)), ("--label-smoothing", F(s.LabelSmoothing)), ("--class-weights", s.ClassWeights),
            ("--pos-weight", s.PosWeight), ("--lr-schedule", s.Schedule), ("--lr-gamma", F(s.Gamma)), ("--warmup", s.Warmup.ToString(ci)),
            ("--clip-grad-norm", s.ClipGradNorm is { } clip ? F(clip) : ""),
            ("--resume (the checkpoint's epoch)", s.Resume is null ? "" : savedMetadata?.GetValueOrDefault("epoch") ?? "?"),
        ];
    }

    /// <summary>
    /// Why a loss option does not fit the data, or null: <c>--pos-weight</c> weighs BCEWithLogitsLoss's positives (multi-label only),
    /// and <c>--class-weights</c> and <c>--label-smoothing</c> belong to the single-label losses; the other loss would ignore them.
    /// </summary>
    private static string? LossOptionMismatch(Settings s, bool multiLabel, string dataPath)
    {
        if (!multiLabel && s.PosWeight != "none")
            return $"--pos-weight weighs each label's positives in multi-label data (BCEWithLogitsLoss), and '{dataPath}' is " +
                "single-label; --class-weights inverse-frequency weighs its classes.";
        if (multiLabel && s.ClassWeights != "none")
            return $"--class-weights applies to single-label data, and '{dataPath}' is multi-label; --pos-weight auto weighs each " +
                "label's positives.";
        if (multiLabel && s.LabelSmoothing != 0f)
            return $"--label-smoothing applies to cross-entropy, and '{dataPath}' is multi-label (BCEWithLogitsLoss, which has none).";
        return null;
    }

    /// <summary>The loss function, its label in the settings, and the class weights it uses (null: none).</summary>
    private static (Func<Tensor, Tensor, Tensor> Criterion, string Label, Tensor? Weight) Criterion(
        Settings s, Prepared prep, string lossName)
    {
        Tensor? weight = null;
        Func<Tensor, Tensor, Tensor> criterion;
        string lossLabel;
        if (prep.Spec.MultiLabel)
        {
            Tensor? pw = s.PosWeight == "auto" ? PosWeights(prep.TrainCounts, prep.Train.Count) : null;
            var bce = new BCEWithLogitsLoss(posWeight: pw);
            criterion = bce.Forward;
            lossLabel = "BCEWithLogitsLoss";
        }
        else
        {
            weight = s.ClassWeights == "inverse-frequency" ? ClassWeights.InverseFrequency(prep.TrainCounts) : null;
            if (lossName == "focal")
            {
                var focal = new FocalLoss(gamma: s.FocalGamma ?? 2f, weight: weight);
                criterion = focal.Forward;
                lossLabel = string.Create(CultureInfo.InvariantCulture, $"FocalLoss(gamma={focal.Gamma})");
            }
            else
            {
                var ce = new CrossEntropyLoss(weight: weight, labelSmoothing: s.LabelSmoothing);
                criterion = ce.Forward;
                lossLabel = "CrossEntropyLoss";
            }
        }
        return (criterion, lossLabel, weight);
    }

    /// <summary>The run's settings as the report and the checkpoint's <c>setting.*</c> metadata show them.</summary>
    private static List<KeyValuePair<string, string>> RunSettings(Settings s, Prepared prep, string dataPath, double lr, double wd,
        double momentum, string lossLabel)
    {
        var ci = CultureInfo.InvariantCulture;
        var settings = new List<KeyValuePair<string, string>>
        {
            // Where the data leads, links followed: a resume through a linked folder is the same data (qa-s18-env L9).
            new("data", LinkWalk.RealPath(dataPath)), new("model", prep.Spec.Model), new("epochs", s.Epochs.ToString(ci)),
            new("batch_size", s.BatchSize.ToString(ci)), new("test_batch_size", s.TestBatchSize.ToString(ci)),
            new("optimizer", s.Optimizer), new("lr", lr.ToString("R", ci)), new("momentum", momentum.ToString("R", ci)),
            new("weight_decay", wd.ToString("R", ci)), new("label_smoothing", s.LabelSmoothing.ToString("R", ci)),
            new("class_weights", s.ClassWeights), new("seed", s.Seed.ToString(ci)), new("threads", KernelParallel.MaxThreads.ToString(ci)),
            new("limit_batches", s.LimitBatches?.ToString(ci) ?? "none"), new("resume", s.Resume ?? "none"),
            new("loss", lossLabel),
            new("normalize", prep.IsIdx ? "(0.1307, 0.3081)" : "training-split mean/std per "
                + (prep.Spec.InputKind == ModelSpec.ImageInput ? "channel" : "feature")),
        };
        // Multi-label data refuses both options (LossOptionMismatch): its settings do not list them, as single-label ones omit
        // pos_weight.
        if (prep.Spec.MultiLabel) settings.RemoveAll(kv => kv.Key is "label_smoothing" or "class_weights");
        // Recorded for IDX folders too (since resuming compares them, ResumeChanges); an IDX folder's source is the folder.
        settings.Add(new("test_data", !prep.IsIdx ? prep.Source : prep.HeldOut is null ? $"{prep.Source} (t10k files)"
            : $"{s.ValSplit!.Value.ToString("R", ci)} of {prep.Source} (split.csv)"));
        settings.Add(new("lr_schedule", s.Schedule + (s.Warmup > 0 ? $", warm-up {s.Warmup}" : "")));
        if (s.Schedule == "step") settings.Add(new("lr_gamma", s.Gamma.ToString("R", ci)));
        settings.Add(new("clip_grad_norm", s.ClipGradNorm?.ToString("R", ci) ?? "none"));
        settings.Add(new("patience", s.Patience?.ToString(ci) ?? "none"));
        if (prep.Spec.MultiLabel) settings.Add(new("pos_weight", s.PosWeight));
        // What an exported image model takes (the spec has the statistics, not the scale the values were read in).
        if (prep.Spec.InputKind == ModelSpec.ImageInput) settings.Add(new("input_scale", ExportCommand.ImageScaleOf(dataPath)));
        return settings;
    }

    /// <summary>Lists the files this run wrote (or kept) in <paramref name="outDir"/>.</summary>
    private static void PrintWritten(string outDir, bool keepsBest, bool split)
    {
        var written = RunDirectory.RunFiles.Select(name => (name, path: Path.Combine(outDir, name)))
            .Where(f => File.Exists(f.path) && (f.name != "best.safetensors" || keepsBest) && (f.name != "split.csv" || split)).ToList();
        if (written.Count == 0) return; // a run that stopped before writing anything, or whose files were removed
        Console.WriteLine("Wrote:");
        foreach (var (_, path) in written) Console.WriteLine("  " + path);
    }

    /// <summary>An IDX folder: the tutorial's pipeline, its t10k files as the test set (or a stratified split with --val-split).</summary>
    private static Prepared PrepareIdx(Settings s, string dir, ModelSpec? saved)
    {
        RequireApplicable(s, DataSourceKind.Idx, dir);
        var tutorial = ModelCatalog.LegacySpec("cnn", []);
        // IDX images are read with the tutorial's Normalize; a model trained on other statistics would get inputs it never saw.
        // (Another channel count is DataMismatch's, in the data's terms.)
        if (saved is { Mean.Length: 1 } && (saved.Mean[0] != tutorial.Mean[0] || saved.Std[0] != tutorial.Std[0]))
        {
            string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
            throw new InvalidDataException($"cannot resume from '{s.Resume}': its model takes inputs standardised with mean " +
                $"{F(saved.Mean[0])} and std {F(saved.Std[0])}, and the IDX folder '{dir}' is read with the PyTorch tutorial's " +
                $"Normalize({F(tutorial.Mean[0])}, {F(tutorial.Std[0])}); resume on the data it was trained on.");
        }
        var train = DataSource.Load(dir, train: true);
        IDataset trainSet = train, testSet;
        string? note = null;
        int[]? heldOut = null;
        if (s.ValSplit is double f)
        {
            var (tr, te) = DataSplits.Stratified(train, f, s.Seed);
            trainSet = new SubsetDataset(train, tr);
            testSet = new SubsetDataset(train, te);
            heldOut = te;
            note = HeldOutNote.Text("the training images", stratified: true, f, te.Length, train.Count, "", s.Seed) + ".";
        }
        else testSet = DataSource.Load(dir, train: false);
        var counts = new long[MnistDataset.NumClasses];
        for (int i = 0; i < trainSet.Count; i++) counts[trainSet.Target(i)]++;
        string model = s.Model == "auto" ? "cnn" : s.Model;
        var spec = ModelCatalog.LegacySpec(model, ClassNames.ForDataset(Path.GetFullPath(dir))) with
        {
            Hidden = Hidden(s, model),
        };
        return new Prepared(trainSet, testSet, spec, counts, LinkWalk.RealPath(dir), IsIdx: true, note, train.Count, heldOut);
    }

    /// <summary>
    /// A note when the training split's largest class has at least <see cref="ImbalanceRatio"/> times the samples of its smallest
    /// (classes with none are left out), pointing at class weights; null otherwise.
    /// </summary>
    private static string? ImbalanceNote(string[] classNames, long[] counts)
    {
        int big = -1, small = -1;
        for (int c = 0; c < counts.Length; c++)
        {
            if (counts[c] == 0) continue;
            if (big < 0 || counts[c] > counts[big]) big = c;
            if (small < 0 || counts[c] < counts[small]) small = c;
        }
        if (small < 0 || counts[big] < ImbalanceRatio * counts[small]) return null;
        var ci = CultureInfo.InvariantCulture;
        return $"note: the classes are imbalanced: '{classNames[big]}' has {counts[big].ToString(ci)} training samples and " +
            $"'{classNames[small]}' {counts[small].ToString(ci)} ({((double)counts[big] / counts[small]).ToString("0.#", ci)}:1). " +
            "Accuracy can stay high while the small classes are missed (see the per-class accuracy); --class-weights " +
            "inverse-frequency weighs each class by 1/count (scaled to sum to the class count), as the PyTorch tutorial does for " +
            "imbalanced data.";
    }

    /// <summary>Largest-to-smallest class ratio from which <see cref="ImbalanceNote"/> speaks.</summary>
    private const int ImbalanceRatio = 10;

    /// <summary>
    /// A warning when class names are negative integers (-1, -100): the markers scikit-learn and PyTorch use for samples without a
    /// label, which training would take as classes of their own; null otherwise.
    /// </summary>
    private static string? NegativeLabelsWarning(IReadOnlyList<string> classNames, long[] counts)
    {
        var ci = CultureInfo.InvariantCulture;
        var negative = classNames.Select((name, c) => (name, c))
            .Where(x => long.TryParse(x.name, NumberStyles.AllowLeadingSign, ci, out long v) && v < 0)
            .Select(x => $"{x.name} ({counts[x.c].ToString(ci)} sample{(counts[x.c] == 1 ? "" : "s")})").ToArray();
        if (negative.Length == 0) return null;
        return $"Warning: label{(negative.Length == 1 ? "" : "s")} {string.Join(", ", negative)} " +
            $"{(negative.Length == 1 ? "is" : "are")} trained as {(negative.Length == 1 ? "a class" : "classes")} of " +
            $"{(negative.Length == 1 ? "its" : "their")} own. scikit-learn marks unlabelled samples with -1, and PyTorch's " +
            "CrossEntropyLoss skips targets of -100 (ignore_index): leave such samples out of --data if they are not a class.";
    }

    /// <summary>
    /// Why a single-label data set's labels look like a quantity or an ID rather than classes, or null: over 20 classes (so a
    /// small example file always passes) and either more classes than half the samples (most classes would have one sample),
    /// numbers with a fractional part (a price: a regression target), or whole numbers most of whose classes have one or two
    /// samples, so at most one to train on once a split holds one out (a score or count: scikit-learn's diabetes target, 214
    /// values for 442 samples, qa-s21-seen M6). Text classes are not held to that last rule: a long tail of rare named classes
    /// is a classification problem, if a hard one.
    /// </summary>
    private static string? NotClassesReason(IReadOnlyList<string> classNames, IReadOnlyList<long> counts, int samples)
    {
        if (classNames.Count <= MaxClassesAlways) return null;
        if (classNames.Count > samples / 2) return "more classes than half the samples, so most classes have one sample";
        string? fraction = null;
        foreach (string name in classNames)
        {
            if (!double.TryParse(name, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                return null; // text classes, however many
            fraction ??= v % 1 != 0 ? name : null;
        }
        if (fraction is not null) return $"numbers with a fractional part, such as '{fraction}'";
        int present = counts.Count(n => n > 0), small = counts.Count(n => n is > 0 and <= 2);
        return 2 * small > present
            ? $"whole numbers, {small} of whose {present} values have only one or two samples (at most one to train on once one is " +
                "held out), as a score or count gives"
            : null;
    }

    /// <summary>Classes that <see cref="NotClassesReason"/> accepts whatever they are.</summary>
    private const int MaxClassesAlways = 20;

    /// <summary>
    /// A CSV/TSV file, image class folders or a .npy pair: training-split statistics (a resumed run's checkpoint's, in
    /// <paramref name="saved"/>), a split unless --test-data.
    /// </summary>
    private static Prepared PrepareFiles(Settings s, string path, ModelSpec? saved)
    {
        var options = new DataOptions
        {
            Target = s.Target,
            Features = DataSource.Columns(s.Features, "--features"),
            MultiLabel = DataSource.Columns(s.MultiLabel, "--multi-label"),
            ImputeMissing = s.Missing == "mean",
            Labels = s.Labels,
            ImageSize = DataSource.ParseImageSize(s.ImageSize),
            // A resumed model keeps its classes in its order and spelling (a checkpoint from before numeric labels sorted by value).
            ClassOrder = saved is { MultiLabel: false } ? saved.ClassNames : null,
            CommandLine = true, // the readers' advice names --missing, --features, --image-size
            // A single-label checkpoint refuses an (N, L) --labels matrix in the file's terms, before the data's kind is compared.
            SingleLabelOwner = saved is { MultiLabel: false } ? $"the checkpoint '{s.Resume}'" : null,
        };
        var kind = DatasetFactory.Detect(path, commandLine: true);
        RequireSameKind(s, kind, path); // first: each kind's own hints (--test-labels for a .npy) would contradict the other's
        RequireApplicable(s, kind, path);
        if (kind == DataSourceKind.Npy && s.Labels is null)
            throw new InvalidDataException($"'{path}' is a .npy features file: pass its labels with --labels labels.npy.");
        // A size the cnn cannot take is refused before every image is decoded and resized to it; without --image-size, once the
        // first image's header has told its size.
        if (kind == DataSourceKind.ImageFolder && (s.Model == "auto" ? ModelCatalog.Auto(ModelSpec.ImageInput) : s.Model) == "cnn")
        {
            if (options.ImageSize is { } size) ModelCatalog.CheckCnnImageSize(size.Height, size.Width, commandLine: true);
            options = options with { CheckImageSize = (h, w) => ModelCatalog.CheckCnnImageSize(h, w, commandLine: true) };
        }
        // A large file or folder takes seconds to read: say so first, and how long it took after.
        Console.WriteLine($"Reading '{path}' …"); // a whole line: warnings while reading go to stderr between the two
        var clock = Stopwatch.StartNew();
        (long, string)? fingerprint = null; // a .npy file's, hashed as it is read once (TrainingDataWarning.Fingerprint)
        var readOptions = options with
        {
            Progress = DataSource.ReadProgressTo(Console.Out, path),
            Fingerprinted = kind == DataSourceKind.Npy ? (bytes, sha256) => fingerprint = (bytes, sha256) : null,
        };
        string[]? files = null; // image class folders: each sample's file, for split.csv
        var all = kind == DataSourceKind.ImageFolder ? ImageFolderSource.Load(path, readOptions, out files)
            : DatasetFactory.Load(path, readOptions);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Read {all.Count} {(all.IsImage ? "image" : "sample")}{(all.Count == 1 ? "" : "s")} in {clock.Elapsed.TotalSeconds:F1} s."));
        if (kind == DataSourceKind.Csv && CsvSource.NumericNames(CsvSource.ReadHeader(path)) is { Length: > 0 } numeric)
            // scikit-learn's raw iris.csv parses (its first line of counts has as many cells as the rows) and trains on nonsense names.
            Console.Error.WriteLine(CliHost.Clean(
                $"Warning: column names {string.Join(", ", numeric.Take(5))} of '{path}' are numbers: xent reads the first line as the " +
                "header, so if it is a data row, or scikit-learn's line of counts, give the file a header line (see docs/DATA.md)."));
        if (!all.IsMultiLabel && all.ClassNames.Count < 2)
            throw new InvalidDataException($"'{path}' holds a single class ('{all.ClassNames[0]}'); a classifier needs at least two.");
        if (!all.IsMultiLabel && NotClassesReason(all.ClassNames, all.ClassCounts(), all.Count) is { } reason)
        {
            // A price or an ID as the label column trains, at a loss near ln(classes), a model that can learn nothing.
            string what = kind == DataSourceKind.Csv ? $"its label column '{CsvSource.TargetColumn(path, s.Target)}'" : "its labels";
            throw new InvalidDataException(
                $"'{path}' has {all.ClassNames.Count} distinct values in {what} for {all.Count} samples: {reason}. xent trains " +
                "classifiers; a continuous target (a regression) or an ID cannot be learned as classes." +
                (kind == DataSourceKind.Csv ? " Name the label column with --target NAME." : ""));
        }
        if (!all.IsMultiLabel && NegativeLabelsWarning(all.ClassNames, all.ClassCounts()) is { } negative)
            Console.Error.WriteLine(CliHost.Clean(negative));
        string kindName = all.IsImage ? ModelSpec.ImageInput : ModelSpec.FeatureInput;
        string model = s.Model == "auto" ? ModelCatalog.Auto(kindName) : s.Model;
        var provisional = new ModelSpec
        {
            Model = model,
            InputKind = kindName,
            InputShape = [.. all.SampleShape],
            ClassNames = [.. all.ClassNames],
            Mean = new float[all.StatisticsCount],
            Std = Enumerable.Repeat(1f, all.StatisticsCount).ToArray(),
            Hidden = Hidden(s, model),
            MultiLabel = all.IsMultiLabel,
            FeatureNames = all.FeatureNames?.ToArray(),
            TargetColumn = kind == DataSourceKind.Csv && !all.IsMultiLabel ? CsvSource.TargetColumn(path, s.Target) : null,
            ImputeMissing = s.Missing == "mean",
        };

        ArrayDataset train, test;
        string? note = null;
        int[]? heldOut = null;
        string source;
        if (s.TestData is not null && s.ValSplit is null)
        {
            if (s.TestLabels is null && DatasetFactory.Detect(s.TestData, commandLine: true) == DataSourceKind.Npy)
                throw new InvalidDataException($"'{s.TestData}' is a .npy features file: pass its labels with --test-labels labels.npy.");
            test = DatasetFactory.Load(s.TestData, options with
            {
                Labels = s.TestLabels, Spec = provisional, MultiLabel = null, ClassesOwner = $"the classes of '{path}'",
                // Refused here, before training: an (N, L) --test-labels for (N) --labels failed in the metrics after an epoch.
                SingleLabelOwner = all.IsMultiLabel ? null : $"--labels '{s.Labels}'",
            });
            train = all;
            source = LinkWalk.RealPath(s.TestData);
            // Testing on the training file (its path, a link or a copy) scores the samples the model trains on: said once, before
            // training. A hash taken here is the checkpoint's fingerprint too (the file is not read a third time).
            if (TrainingDataWarning.ForTestData(path, s.TestData, all.IsMultiLabel, ref fingerprint) is { } sameData)
                Console.Error.WriteLine(CliHost.Clean(sameData));
        }
        else
        {
            double f = s.ValSplit ?? 0.1;
            var (tr, te) = DataSplits.Stratified(all, f, s.Seed);
            (train, test) = (all.Subset(tr), all.Subset(te));
            heldOut = te;
            source = $"{f.ToString("R", CultureInfo.InvariantCulture)} of {LinkWalk.RealPath(path)} (split.csv)";
            note = HeldOutNote.Text($"'{path}'", !all.IsMultiLabel, f, te.Length, all.Count, " samples", s.Seed)
                + (s.ValSplit is null ? "; choose with --val-split F or --test-data PATH." : ".");
        }
        var counts = train.ClassCounts();
        if (!all.IsMultiLabel && counts.Count(n => n > 0) < 2)
            throw new InvalidDataException("the training split holds a single class; a classifier needs at least two.");
        var (mean, std) = train.ComputeStandardization(out int[] unobserved);
        if (unobserved.Length > 0)
        {
            // A column that is missing in every training row (all NaN, or all empty with --missing mean) is a constant.
            bool one = unobserved.Length == 1;
            string names = string.Join(", ", unobserved.Take(5).Select(j => provisional.FeatureNames is { } f ? $"'{f[j]}'" : $"#{j}"))
                + (unobserved.Length > 5 ? ", …" : "");
            Console.Error.WriteLine(CliHost.Clean($"Warning: {(one ? "feature" : "features")} {names} of '{path}' " +
                $"{(one ? "has" : "have")} no value in the training split (every one missing), so the model cannot learn from " +
                $"{(one ? "it" : "them")}."));
        }
        // Statistics of this training split that differ from those the checkpoint's run computed mean other training rows: the
        // data or the split changed. Either way the resumed model takes its inputs as it was trained to.
        bool otherRows = false;
        if (saved is not null && saved.Mean.Length == mean.Length)
        {
            otherRows = !mean.AsSpan().SequenceEqual(saved.Mean) || !std.AsSpan().SequenceEqual(saved.Std);
            (mean, std) = (saved.Mean, saved.Std);
        }
        var spec = provisional with { Mean = mean, Std = std };
        return new Prepared(train.Standardized(mean, std), test.Standardized(mean, std), spec, counts, source,
            IsIdx: false, note, all.Count, heldOut, otherRows, files, fingerprint);
    }

    /// <summary>Refuses a --test-data of another kind than --data (a .npy file beside a CSV, say), naming both kinds.</summary>
    private static void RequireSameKind(Settings s, DataSourceKind kind, string path)
    {
        if (s.TestData is null) return;
        var testKind = DatasetFactory.Detect(s.TestData, commandLine: true);
        if (testKind != kind)
            throw new InvalidDataException($"--test-data must be the same kind of data as --data: '{s.TestData}' is " +
                $"{DataSource.KindText(testKind)}, and '{path}' is {DataSource.KindText(kind)}.");
    }

    /// <summary>Train's data options that only some kinds of <c>--data</c> read (see <see cref="DataSource.RequireApplicable"/>).</summary>
    private static void RequireApplicable(Settings s, DataSourceKind kind, string path) =>
        DataSource.RequireApplicable(path, kind,
            ("--labels", s.Labels is not null, DataSourceKind.Npy),
            ("--test-labels", s.TestLabels is not null, DataSourceKind.Npy),
            ("--target", s.Target is not null, DataSourceKind.Csv),
            ("--features", s.Features is not null, DataSourceKind.Csv),
            ("--multi-label", s.MultiLabel is not null, DataSourceKind.Csv),
            ("--missing mean", s.Missing == "mean", DataSourceKind.Csv),
            ("--image-size", s.ImageSize is not null, DataSourceKind.ImageFolder));

    /// <summary>The hidden layer sizes of an mlp (none for other models, which refuse <c>--hidden</c> rather than ignore it).</summary>
    private static int[] Hidden(Settings s, string model)
    {
        if (model != "mlp")
            return s.Hidden is null ? [] : throw new ArgumentException($"--hidden sizes an mlp's hidden layers; --model {model} has none " +
                "(pass --model mlp, or leave out --hidden).");
        if (s.Hidden is null) return [.. ModelCatalog.DefaultHidden];
        if (s.Hidden.Trim().Length == 0)
            throw new InvalidDataException("--hidden is empty; give layer sizes such as 128,64 (or --model linear for no hidden layer).");
        // Not DataSource.List, which drops empty items: "4,,4" is a typo, not two layers.
        var parts = s.Hidden.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0))
            throw new InvalidDataException($"--hidden '{s.Hidden}' has an empty layer size; separate the sizes with single commas, such " +
                "as 128,64.");
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] < 1)
                throw new InvalidDataException($"--hidden takes positive layer sizes such as 128,64, got '{s.Hidden}'.");
        return sizes;
    }

    /// <summary>
    /// BCEWithLogitsLoss pos_weight per label: negatives / positives in the training split (1 for a label that is never positive).
    /// </summary>
    internal static Tensor PosWeights(ReadOnlySpan<long> positives, int count)
    {
        var w = new float[positives.Length];
        for (int k = 0; k < w.Length; k++) w[k] = positives[k] == 0 ? 1f : (float)((double)(count - positives[k]) / positives[k]);
        return Tensor.FromArray(w);
    }

    internal static void PrintFinal(EvaluationResult r, IReadOnlyList<string> names)
    {
        var ci = CultureInfo.InvariantCulture;
        if (r.MultiLabel)
        {
            Console.WriteLine(string.Create(ci,
                $"Test subset accuracy: {100 * r.Accuracy:F2}% ({r.Correct}/{r.Total}), mean BCE {NumberText.Fixed(r.MeanCrossEntropy)}"));
            PrintPerClass(r, names, "label"); // ends with the macro-F1

            return;
        }
        Console.WriteLine(string.Create(ci,
            $"Test accuracy: {100 * r.Accuracy:F2}% ({r.Correct}/{r.Total}), mean cross-entropy " +
            $"{NumberText.Fixed(r.MeanCrossEntropy)}, ECE {r.ExpectedCalibrationError:F4}"));
        Console.WriteLine("Per-class accuracy:");
        int width = Math.Max(5, names.Max(TextCells.Width)); // terminal columns: CJK names take two per character
        for (int c = 0; c < r.PerClassAccuracy.Length; c++)
        {
            double a = r.PerClassAccuracy[c];
            string name = c < names.Count ? names[c] : c.ToString(ci);
            Console.WriteLine(string.Create(ci,
                $"  {TextCells.PadRight(name, width)}  {(double.IsNaN(a) ? "     -" : (100 * a).ToString("F2", ci).PadLeft(6) + "%")}"));
        }
    }

    /// <summary>Per-class precision, recall, F1 and support (multi-label: per-label accuracy too), then macro-F1.</summary>
    internal static void PrintPerClass(EvaluationResult r, IReadOnlyList<string> names, string what = "class")
    {
        var ci = CultureInfo.InvariantCulture;
        int width = Math.Max(5, names.Max(TextCells.Width)); // terminal columns: CJK names take two per character
        var (p, rc, f1) = (r.Precision, r.Recall, r.F1);
        Console.WriteLine($"  {what.PadRight(width)}  {(r.MultiLabel ? "accuracy  " : "")}precision  recall      F1  support");
        for (int c = 0; c < r.PerClassAccuracy.Length; c++)
        {
            string name = c < names.Count ? names[c] : c.ToString(ci);
            string acc = r.MultiLabel ? (100 * r.PerClassAccuracy[c]).ToString("F2", ci).PadLeft(7) + "%  " : "";
            long support = r.Counts[c].Tp + r.Counts[c].Fn;
            string recall = double.IsNaN(rc[c]) ? "-" : rc[c].ToString("F4", ci); // no samples: undefined, as per-class accuracy
            Console.WriteLine(string.Create(ci,
                $"  {TextCells.PadRight(name, width)}  {acc}{p[c],9:F4}  {recall,6}  {f1[c],6:F4}  {support,7}"));
        }
        Console.WriteLine(string.Create(ci, $"Macro-F1: {r.MacroF1:F4}"));
    }
}
