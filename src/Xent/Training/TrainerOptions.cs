namespace Xent.Training;

/// <summary>Settings of a <see cref="Trainer"/> run.</summary>
public sealed class TrainerOptions
{
    /// <summary>Last epoch to train (1-based, inclusive); a resumed run continues up to it.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>
    /// The run's random seed: data order and dropout masks of epoch e derive from (seed, e) through <see cref="RunSeeds"/>.
    /// </summary>
    public long Seed { get; init; } = 1;

    /// <summary>
    /// The number of classes (of labels when <see cref="MultiLabel"/>), which the ln C check and the test metrics use: it must
    /// equal the model's outputs per sample (its logits' last dimension). Null, the default, takes it from the model's outputs on
    /// the first training batch. A value that differs from them stops <see cref="Trainer.Run"/> at that batch, before anything
    /// is trained, with an <see cref="InvalidOperationException"/> that names both.
    /// </summary>
    public int? NumClasses { get; init; }

    /// <summary>Print the running loss every this many batches (the PyTorch tutorial's 100).</summary>
    public int LogInterval { get; init; } = 100;

    /// <summary>When set, at most this many training batches per epoch.</summary>
    public int? LimitBatches { get; init; }

    /// <summary>Where to write the checkpoint after each epoch (model, optimizer, epoch); null for none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Where to write <c>metrics.csv</c>; null for none.</summary>
    public string? MetricsPath { get; init; }

    /// <summary>Extra metadata stored in every checkpoint (model name, optimizer, learning rate, ...).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// True when targets are (N, L) 0/1 label vectors: evaluation then reports multi-label metrics and the ln C check is skipped.
    /// </summary>
    public bool MultiLabel { get; init; }

    /// <summary>The learning-rate schedule (default: constant, and the optimizer's rates are never touched).</summary>
    public LrSchedule Schedule { get; init; } = new();

    /// <summary>
    /// When set, gradients are clipped to this global L2 norm before each step (<see cref="GradClipping.ClipGradNorm"/>).
    /// </summary>
    public double? ClipGradNorm { get; init; }

    /// <summary>
    /// When set, training stops once the held-out loss has not improved for this many epochs in a row (early stopping);
    /// the best epoch's checkpoint is kept at <see cref="BestCheckpointPath"/>.
    /// </summary>
    public int? Patience { get; init; }

    /// <summary>Where to write the checkpoint of the epoch with the lowest held-out loss so far; null for none.</summary>
    public string? BestCheckpointPath { get; init; }

    /// <summary>
    /// What the epoch line calls the held-out loss (the plain mean cross-entropy, or BCE for multi-label): "test loss", or, when the
    /// criterion adds label smoothing, class weights, a focal term or pos_weight that it does not, a name that says so.
    /// </summary>
    internal string HeldOutLossName { get; init; } = "test loss";

    /// <summary>
    /// The command-line option that sets the learning rate (the CLI's <c>--lr</c>), named after "learning rate" in the advice of
    /// the diagnostics; null in the library, whose users set the rate on the optimizer.
    /// </summary>
    internal string? LearningRateOption { get; init; }
}
