using System.CommandLine;
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
        command.SetAction(parse => Run(new TrainSettings(
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

    private static int Run(TrainSettings s)
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
            return TrainRun.Execute(s, claim, warnings);
        }
        finally
        {
            Console.SetError(stderr);
        }
    }
}
