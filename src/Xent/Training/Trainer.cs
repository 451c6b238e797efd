using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Xent.Autograd;
using Xent.NN;
using Xent.Optim;

namespace Xent.Training;

/// <summary>
/// The PyTorch tutorial's training loop, made reproducible and resumable: for each epoch, each batch runs
/// <c>optimizer.ZeroGrad(); loss = criterion(model(x), y); loss.Backward(); optimizer.Step()</c>; every
/// <see cref="TrainerOptions.LogInterval"/> batches it logs <c>Epoch: E, Batch: B, Loss: L</c> (the mean of the
/// last interval's losses, F4) and writes it as a <c>metrics.csv</c> row; after each epoch it evaluates on the test set,
/// writes the epoch's row and the checkpoint. An interval that ends on the epoch's last batch is logged but gets no row of its
/// own, as the epoch's row has that (epoch, batch).
/// </summary>
/// <remarks>
/// Reproducibility: dropout masks of epoch e come from generators reseeded with <see cref="RunSeeds.Derive"/>(seed, e, …),
/// and the caller builds epoch e's batches with <see cref="ShuffleSeed"/>(e). With the same seed, the same
/// losses come out bit for bit, whatever the thread count (the kernels' results do not depend on it) and whether
/// the run was resumed from a checkpoint in between.
/// </remarks>
public sealed class Trainer
{
    private readonly Module _model;
    private readonly Parameter[] _parameters; // the model's, read once: clipping walks them every step
    private readonly Optimizer _optimizer;
    private readonly Func<Tensor, Tensor, Tensor> _criterion;
    private readonly List<MetricsRow> _rows = [];
    private double _secondsOffset;
    private readonly EpochProgress _progress; // warns on a clear rise or a stretch without a new best, not on noise
    private bool _warnedHeldOutNotFinite;
    private double _trainInputMax; // the largest magnitude among this run's training inputs: what held-out inputs are held against
    private double[] _baseLrs;
    private double _bestLoss = double.PositiveInfinity;
    private int _bestEpoch, _badEpochs;
    private int _classes; // Options.NumClasses, or the model's outputs per sample; 0 until a batch has shown them

    /// <summary>
    /// Creates a trainer; <paramref name="criterion"/> maps (logits, targets) to a scalar loss, e.g. <c>CrossEntropyLoss.Forward</c>.
    /// </summary>
    public Trainer(Module model, Optimizer optimizer, Func<Tensor, Tensor, Tensor> criterion, TrainerOptions options)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _parameters = [.. model.Parameters()];
        _optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _criterion = criterion ?? throw new ArgumentNullException(nameof(criterion));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(options), $"Epochs must be at least 1, got {options.Epochs}.");
        if (options.LogInterval < 1) throw new ArgumentOutOfRangeException(nameof(options),
            $"LogInterval must be at least 1, got {options.LogInterval}.");
        if (options.LimitBatches is < 1) throw new ArgumentOutOfRangeException(nameof(options),
            $"LimitBatches must be at least 1, got {options.LimitBatches}.");
        if (options.NumClasses is < 1) throw new ArgumentOutOfRangeException(nameof(options),
            $"NumClasses must be at least 1, got {options.NumClasses}.");
        if (options.Patience is < 1) throw new ArgumentOutOfRangeException(nameof(options),
            $"Patience must be at least 1, got {options.Patience}.");
        if (options.ClipGradNorm is { } clip && !(clip > 0))
            throw new ArgumentOutOfRangeException(nameof(options), $"ClipGradNorm must be positive, got {clip}.");
        _baseLrs = optimizer.ParamGroups.Select(g => g.Lr).ToArray();
        _progress = new EpochProgress { LearningRateOption = options.LearningRateOption };
    }

    /// <summary>
    /// The epoch with the lowest held-out loss so far (0 before the first), what <see cref="TrainerOptions.BestCheckpointPath"/> holds.
    /// </summary>
    public int BestEpoch => _bestEpoch;

    /// <summary>
    /// Epochs since <see cref="BestEpoch"/> whose held-out loss was no lower (restored by <see cref="Resume(string)"/> from a checkpoint
    /// that tracked it): what <see cref="TrainerOptions.Patience"/> is compared with.
    /// </summary>
    internal int EpochsWithoutImprovement => _badEpochs;

    /// <summary>
    /// True when a resumed run has already gone <see cref="TrainerOptions.Patience"/> epochs without improvement: an uninterrupted
    /// run with this patience stopped there, so <see cref="Run"/> trains nothing.
    /// </summary>
    internal bool PatienceSpent => Spent(StartEpoch, Options.Patience, _bestEpoch, _badEpochs);

    private static bool Spent(int startEpoch, int? patience, int bestEpoch, int badEpochs) =>
        startEpoch > 1 && patience is int p && bestEpoch > 0 && badEpochs >= p;

    /// <summary>
    /// Whether <see cref="Resume(string)"/> of a checkpoint with <paramref name="metadata"/> would leave nothing to train under
    /// <paramref name="epochs"/> and <paramref name="patience"/>: <see cref="StartEpoch"/> beyond <paramref name="epochs"/>, or
    /// <see cref="PatienceSpent"/>, read from the metadata alone as Resume reads it (false where Resume would refuse it). The CLI
    /// asks before it locks a run folder, which a run that writes nothing does not need.
    /// </summary>
    internal static bool NothingToTrain(IReadOnlyDictionary<string, string> metadata, int epochs, int? patience)
    {
        if (!long.TryParse(metadata.GetValueOrDefault("epoch"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture,
                out long epoch) || epoch is < 0 or > int.MaxValue - 1)
            return false;
        int start = (int)epoch + 1;
        int Count(string key) =>
            int.TryParse(metadata.GetValueOrDefault(key), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 0;
        return start > epochs || Spent(start, patience, Count("best_epoch"), Count("bad_epochs"));
    }

    /// <summary>
    /// True when the last <see cref="Run"/> stopped before its last epoch because of <see cref="TrainerOptions.Patience"/>.
    /// </summary>
    public bool StoppedEarly { get; private set; }

    /// <summary>The settings.</summary>
    public TrainerOptions Options { get; }

    /// <summary>First epoch <see cref="Run"/> trains: 1, or the checkpoint's epoch + 1 after <see cref="Resume(string)"/>.</summary>
    public int StartEpoch { get; private set; } = 1;

    /// <summary>Receives the PyTorch tutorial's progress line every log interval and a summary after each epoch.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Receives diagnostics: initial loss far from ln C, a training loss that rises or stops falling.</summary>
    public Action<string>? Warning { get; set; }

    /// <summary>Called after every training batch.</summary>
    public Action<BatchProgress>? BatchCompleted { get; set; }

    /// <summary>Called after each epoch's test pass, checkpoint and metrics row.</summary>
    public Action<EpochResult>? EpochCompleted { get; set; }

    /// <summary>
    /// Called after each epoch's test pass, just before its metrics row and checkpoints are written; an exception stops the run
    /// with nothing written. The CLI checks here that its run folder is still the one it locked.
    /// </summary>
    internal Action? BeforeEpochWrites { get; set; }

    /// <summary>
    /// Called after each batch's backward pass and before the optimizer step with the batch's targets and loss; returns the
    /// loss to record. Data-parallel training (Xent.Distributed) averages gradients and losses over the replicas here.
    /// </summary>
    public Func<Tensor, double, double>? AfterBackward { get; set; }

    /// <summary>
    /// This trainer's replica in data-parallel training: replica r &gt; 0 draws its dropout masks from streams of its own,
    /// derived from (seed, epoch, r); replica 0 (the default) draws the single-process masks.
    /// </summary>
    public int Replica { get; set; }

    /// <summary>Every metrics row so far (including those kept from a resumed run's <c>metrics.csv</c>).</summary>
    public IReadOnlyList<MetricsRow> Rows => _rows;

    /// <summary>The seed for epoch <paramref name="epoch"/>'s data shuffle: depends only on (seed, epoch).</summary>
    public long ShuffleSeed(int epoch) => RunSeeds.Derive(Options.Seed, epoch, RunSeeds.ShuffleStream);

    /// <summary>
    /// Restores model, optimizer and epoch from a checkpoint written by this trainer, so that <see cref="Run"/>
    /// continues with the next epoch. Returns the checkpoint's metadata.
    /// </summary>
    /// <exception cref="InvalidDataException">The checkpoint has no optimizer state or no epoch (e.g. a plain PyTorch state
    /// dict).</exception>
    public Dictionary<string, string> Resume(string checkpointPath) => Resume(TrainingCheckpoint.Load(checkpointPath), checkpointPath);

    /// <summary>
    /// <see cref="Resume(string)"/> from a checkpoint already read (the CLI reads it once, so that a pipe works) and split by
    /// <see cref="TrainingCheckpoint.Split"/>; <paramref name="checkpointPath"/> names it in messages.
    /// </summary>
    internal Dictionary<string, string> Resume(
        (Dictionary<string, Tensor> Model, Dictionary<string, Tensor> Optimizer, Dictionary<string, string> Metadata) checkpoint,
        string checkpointPath)
    {
        var (model, optimizer, metadata) = checkpoint;
        if (optimizer.Count == 0 || !metadata.ContainsKey("epoch"))
            throw new InvalidDataException($"'{checkpointPath}' cannot be resumed: it has no optimizer state or no epoch (a plain state " +
                "dict can be evaluated, not resumed).");
        // robustness (issue 13): a range-checked epoch, so StartEpoch = epoch + 1 cannot overflow (MetadataValues.cs).
        int epoch = Xent.IO.MetadataValues.GetInt32(metadata, "epoch", 0, int.MaxValue - 1, checkpointPath);
        if (metadata.TryGetValue("seed", out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long seed)
            && seed != Options.Seed)
            Warning?.Invoke($"the checkpoint was trained with seed {seed} but this run uses seed {Options.Seed}; the result will differ " +
                "from an uninterrupted run.");
        _model.LoadStateDict(model);
        _optimizer.LoadStateDict(optimizer);
        StartEpoch = epoch + 1;
        if (metadata.TryGetValue("train_loss", out var l)
            && double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out double loss))
            _progress.Resume(epoch, loss);
        if (metadata.TryGetValue("seconds", out var sec)
            && double.TryParse(sec, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
            _secondsOffset = seconds;
        // A scheduled run saved its base rates: the groups' current rates are scheduled ones.
        for (int i = 0; i < _baseLrs.Length; i++)
            if (metadata.TryGetValue($"base_lr.{i}", out var b)
                && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out double lr)) _baseLrs[i] = lr;
        if (metadata.TryGetValue("best_loss", out var bl)
            && double.TryParse(bl, NumberStyles.Float, CultureInfo.InvariantCulture, out double best)) _bestLoss = best;
        if (metadata.TryGetValue("best_epoch", out var be)
            && int.TryParse(be, NumberStyles.None, CultureInfo.InvariantCulture, out int bestEpoch)) _bestEpoch = bestEpoch;
        if (metadata.TryGetValue("bad_epochs", out var bad)
            && int.TryParse(bad, NumberStyles.None, CultureInfo.InvariantCulture, out int badEpochs)) _badEpochs = badEpochs;
        return metadata;
    }

    /// <summary>
    /// Trains from <see cref="StartEpoch"/> through <see cref="TrainerOptions.Epochs"/>.
    /// </summary>
    /// <param name="trainBatches">Epoch e's training batches (input, int64 targets); shuffle with <see cref="ShuffleSeed"/>(e).</param>
    /// <param name="batchesPerEpoch">How many batches <paramref name="trainBatches"/> yields (before
    /// <see cref="TrainerOptions.LimitBatches"/>).</param>
    /// <param name="testBatches">The test set's batches, evaluated after each epoch.</param>
    /// <returns>The last epoch's result, or null when there was nothing left to train (every epoch done, or a resumed run that
    /// had already gone <see cref="TrainerOptions.Patience"/> epochs without improvement).</returns>
    /// <exception cref="TrainingDivergedException">A loss was NaN or infinite; the previous checkpoint is left untouched.</exception>
    public EpochResult? Run(Func<int, IEnumerable<(Tensor Input, Tensor Target)>> trainBatches, int batchesPerEpoch,
        Func<IEnumerable<(Tensor Input, Tensor Target)>> testBatches)
    {
        ArgumentNullException.ThrowIfNull(trainBatches);
        ArgumentNullException.ThrowIfNull(testBatches);
        StoppedEarly = false;
        if (PatienceSpent) return null; // before the metrics file is opened: a stopped run stays as it was
        int limit = Math.Min(batchesPerEpoch, Options.LimitBatches ?? int.MaxValue);
        using var csv = OpenMetrics();
        var clock = Stopwatch.StartNew();
        double Seconds() => _secondsOffset + clock.Elapsed.TotalSeconds;
        EpochResult? last = null;
        var ci = CultureInfo.InvariantCulture;

        for (int epoch = StartEpoch; epoch <= Options.Epochs; epoch++)
        {
            SeedDropout(epoch);
            _model.Train();
            double epochSum = 0, running = 0;
            int batch = 0;
            long samples = 0;
            var epochClock = Stopwatch.StartNew();
            foreach (var (input, target) in trainBatches(epoch))
            {
                batch++;
                // One vectorised read of the inputs, which the step reads many times over; used only if a held-out pass gives
                // outputs that are not finite, to tell test inputs out of range from a diverged model (NonFiniteHeldOut).
                if (input.DType == DType.Float32 && input.NumEl > 0
                    && Math.Abs(TensorPrimitives.MaxMagnitude(input.Data)) is var magnitude && magnitude > _trainInputMax)
                    _trainInputMax = magnitude; // a NaN compares false: its loss stops the run anyway
                double loss = Step(input, target, epoch, batch, limit);

                epochSum += loss;
                running += loss;
                samples += target.Size(0);
                int sinceLog = (batch - 1) % Options.LogInterval + 1;
                BatchCompleted?.Invoke(new BatchProgress(epoch, batch, limit, loss, running / sinceLog, samples,
                    epochClock.Elapsed.TotalSeconds));
                if (batch % Options.LogInterval == 0)
                {
                    double mean = running / Options.LogInterval;
                    Log?.Invoke(string.Create(ci, $"Epoch: {epoch}, Batch: {batch}, Loss: {NumberText.Fixed(mean)}"));
                    // At the epoch's last batch the epoch-end row (same epoch and batch) stands for it: one row per (epoch, batch).
                    if (batch < limit) AddRow(csv, new MetricsRow(epoch, batch, mean, null, null, Seconds()));
                    running = 0;
                }
                if (batch == limit) break; // before pulling (and building) one more batch
            }
            if (batch == 0) throw new InvalidOperationException($"Epoch {epoch} had no training batches.");

            double epochLoss = epochSum / batch;
            var test = Evaluator.Evaluate(_model, testBatches(), _classes, Options.MultiLabel);
            double seconds = Seconds();
            bool improved = test.MeanCrossEntropy < _bestLoss;
            if (improved)
            {
                _bestLoss = test.MeanCrossEntropy;
                _bestEpoch = epoch;
                _badEpochs = 0;
            }
            else _badEpochs++;
            var meta = CheckpointMetadata(epoch, epochLoss, seconds);
            BeforeEpochWrites?.Invoke();
            // robustness (issue 13): the row first, then the checkpoint. Killed in between, the checkpoint is still at epoch - 1
            // and --resume from it drops this epoch's rows; the other order would lose the row of a checkpointed epoch.
            AddRow(csv, new MetricsRow(epoch, batch, epochLoss, test.MeanCrossEntropy, test.Accuracy, seconds));
            if (Options.CheckpointPath is { } ckpt) TrainingCheckpoint.Save(ckpt, _model, _optimizer, meta);
            if (improved && Options.BestCheckpointPath is { } bestPath) TrainingCheckpoint.Save(bestPath, _model, _optimizer, meta);
            Log?.Invoke(string.Create(ci,
                $"Epoch {epoch} done: train loss {NumberText.Fixed(epochLoss)}, {Options.HeldOutLossName} " +
                // Multi-label accuracy counts samples with every label right, as the final line's "Test subset accuracy" says.
                $"{NumberText.Fixed(test.MeanCrossEntropy)}, test {(Options.MultiLabel ? "subset accuracy" : "accuracy")} " +
                $"{100 * test.Accuracy:F2}% ({test.Correct}/{test.Total}), {seconds:F1} s elapsed"));
            double rate = Options.Schedule.Factor(epoch, batch, limit, Options.Epochs); // the epoch's last step's factor
            if (_progress.Add(epoch, epochLoss, rate) is { } slow) Warning?.Invoke(slow);
            // The training loss can stay finite while the weights grow so large that held-out logits overflow: the checkpoint
            // would then predict NaN for every input. Said once; training goes on, as the training loss is still a number.
            // Which of the two causes it is takes one more pass over the held-out set, made only then (and once).
            if (!double.IsFinite(test.MeanCrossEntropy) && !_warnedHeldOutNotFinite && Warning is { } warn)
            {
                _warnedHeldOutNotFinite = true;
                string what = double.IsNaN(test.MeanCrossEntropy) ? "NaN" : "infinite";
                var found = NonFiniteHeldOut.Examine(_model, testBatches(), _trainInputMax);
                warn($"the held-out loss is {what} after epoch {epoch} (the training loss is {NumberText.Fixed(epochLoss)}): " +
                    NonFiniteHeldOut.Cause(found, _trainInputMax, Options.LearningRateOption));
            }
            last = new EpochResult(epoch, batch, epochLoss, test, seconds);
            EpochCompleted?.Invoke(last);
            if (Options.Patience is int patience && _badEpochs >= patience && epoch < Options.Epochs)
            {
                Log?.Invoke(string.Create(ci,
                    $"Early stopping after epoch {epoch}: the held-out loss has not improved for {_badEpochs} epoch(s); the best was " +
                    $"{NumberText.Fixed(_bestLoss)} at epoch {_bestEpoch}."));
                StoppedEarly = true;
                break;
            }
        }
        return last;
    }

    /// <summary>
    /// One optimizer step on a batch inside a <see cref="StepArena"/>: forward, loss, checks, backward, clipping, schedule,
    /// step. Returns the batch's loss (the global one under <see cref="AfterBackward"/>).
    /// </summary>
    private double Step(Tensor input, Tensor target, int epoch, int batch, int limit)
    {
        double loss;
        // The step's activations are lent by the arena and recycled for the next batch.
        using (StepArena.Begin())
        {
            _optimizer.ZeroGrad();
            var output = _model.Forward(input);
            if (_classes == 0) _classes = ClassCount(output);
            var lossTensor = _criterion(output, target);
            loss = lossTensor.Item();
            if (AfterBackward is null && TrainingDiagnostics.CheckFinite(loss, epoch, batch, Options.LearningRateOption) is { } stop)
                throw new TrainingDivergedException(stop, epoch, batch, loss);
            if (epoch == 1 && batch == 1 && !Options.MultiLabel && _classes >= 2
                && TrainingDiagnostics.CheckInitialLoss(loss, _classes) is { } w)
                Warning?.Invoke(w);
            lossTensor.Backward();
            if (AfterBackward is { } hook)
            {
                // Checked here instead: data-parallel replicas all see the global loss, and stop together.
                loss = hook(target, loss);
                if (TrainingDiagnostics.CheckFinite(loss, epoch, batch, Options.LearningRateOption) is { } stopAll)
                    throw new TrainingDivergedException(stopAll, epoch, batch, loss);
            }
            // Clipping and the schedule act on the (rank-averaged) gradients.
            if (Options.ClipGradNorm is { } maxNorm) GradClipping.ClipGradNorm(_parameters, maxNorm);
            if (!Options.Schedule.IsConstant)
            {
                double f = Options.Schedule.Factor(epoch, batch, limit, Options.Epochs);
                var groups = _optimizer.ParamGroups;
                for (int i = 0; i < groups.Count; i++) groups[i].Lr = _baseLrs[i] * f;
            }
            _optimizer.Step();
        }
        return loss;
    }

    /// <summary>
    /// The class (or label) count of the run, from a batch's <paramref name="output"/>: <see cref="TrainerOptions.NumClasses"/>,
    /// which must equal the model's outputs per sample, or those outputs when it is null; 0 for a batch without samples. A
    /// mismatch is refused here, before the ln C check compares the loss with the wrong C and before a whole epoch is trained:
    /// the evaluation would otherwise fail only then, as a batch-size mismatch of numbers nobody passed (qa-s21-tutorial M1).
    /// </summary>
    private int ClassCount(Tensor output)
    {
        if (output.Rank == 0 || output.Size(0) == 0) return 0;
        int width = output.NumEl / output.Size(0);
        if (Options.NumClasses is not int n || n == width) return width;
        string what = Options.MultiLabel ? " (the label count, as MultiLabel is set)" : "";
        throw new InvalidOperationException(
            $"the model returns {width} logit{(width == 1 ? "" : "s")} per sample but TrainerOptions.NumClasses{what} is {n}; they " +
            "must be equal: change NumClasses or the model's last layer (or leave NumClasses unset to take the model's).");
    }

    /// <summary>The metrics CSV to append to (continued after a resume, keeping its earlier rows), or null for none.</summary>
    private MetricsCsvWriter? OpenMetrics()
    {
        if (Options.MetricsPath is not { } path) return null;
        if (StartEpoch == 1) return MetricsCsvWriter.Create(path);
        var (csv, kept) = MetricsCsvWriter.Continue(path, StartEpoch - 1);
        _rows.Clear();
        _rows.AddRange(kept);
        return csv;
    }

    private void AddRow(MetricsCsvWriter? csv, MetricsRow row)
    {
        _rows.Add(row);
        csv?.Write(row);
    }

    private Dictionary<string, string> CheckpointMetadata(int epoch, double trainLoss, double seconds)
    {
        var ci = CultureInfo.InvariantCulture;
        var m = new Dictionary<string, string>(Options.Metadata, StringComparer.Ordinal)
        {
            ["epoch"] = epoch.ToString(ci),
            ["seed"] = Options.Seed.ToString(ci),
            ["train_loss"] = trainLoss.ToString("R", ci),
            ["seconds"] = seconds.ToString("R", ci),
            // Nothing else to save: every random stream of epoch e+1 is derived from (seed, e+1).
            ["rng"] = "derived from (seed, epoch)",
        };
        if (!Options.Schedule.IsConstant)
            for (int i = 0; i < _baseLrs.Length; i++) m[$"base_lr.{i}"] = _baseLrs[i].ToString("R", ci);
        if (Options.Patience is not null || Options.BestCheckpointPath is not null)
        {
            m["best_loss"] = _bestLoss.ToString("R", ci);
            m["best_epoch"] = _bestEpoch.ToString(ci);
            m["bad_epochs"] = _badEpochs.ToString(ci);
        }
        return m;
    }

    /// <summary>Reseeds every dropout layer for <paramref name="epoch"/>, in module order.</summary>
    private void SeedDropout(int epoch)
    {
        int k = 0;
        foreach (var m in Walk(_model))
        {
            Generator? g = (m as DropoutBase)?.Generator;
            if (g is null) continue;
            long layerSeed = RunSeeds.Derive(Options.Seed, epoch, RunSeeds.DropoutStream + k++);
            g.ManualSeed(Replica == 0 ? layerSeed : RunSeeds.Derive(layerSeed, Replica, RunSeeds.DropoutStream));
        }
    }

    private static IEnumerable<Module> Walk(Module m)
    {
        yield return m;
        foreach (var (_, child) in m.NamedChildren())
            foreach (var x in Walk(child)) yield return x;
    }
}
