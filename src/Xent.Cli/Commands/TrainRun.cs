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
/// One <c>xent train</c> run, in the order its phases go: the options are checked, a <c>--resume</c> checkpoint is read and its
/// recorded options taken, the data is read and split, the checkpoint is checked against the data, the model, optimizer and
/// loss are built, <c>--out</c> is locked and checked, the trainer is set up (and resumed), the run folder is prepared, the run
/// is announced with its warnings, and then it trains, writing a checkpoint, <c>metrics.csv</c> and <c>report.html</c> after
/// each epoch. Each phase that can refuse the run returns its exit code (null: go on); a refused run writes nothing.
/// </summary>
internal sealed class TrainRun
{
    private TrainSettings _s;
    private readonly DefaultOutClaim _claim;
    private readonly RunWarnings _warnings;
    private readonly TextWriter _err = Console.Error;

    // What the phases learn, in the order they learn it.
    private string _dataPath = "";
    private bool _idx;
    private (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata)? _resumed;
    private FileFingerprint? _resumedBytes;
    private Dictionary<string, string>? _savedMetadata;
    private ModelSpec? _savedSpec;
    private TrainData.Prepared _prep = null!;
    private double _lr, _wd;
    private Module _module = null!;
    private Optimizer _opt = null!;
    private Func<Tensor, Tensor, Tensor> _criterion = null!;
    private string _lossLabel = "";
    private Tensor? _weight;
    private string? _lossTerms;
    private Dictionary<string, string> _metadata = null!;
    private readonly DistributedTraining? _dp = DistributedTrainCommand.Current; // --distributed: this rank's share (DISTRIBUTED.md)
    private readonly bool _writes; // under mpiexec only rank 0 writes the run's files
    private string _outDir = "";
    private string? _createdRoot;
    private RunFolderLock? _ownLock;
    private RunFolderLock? _runFolder; // the lock this run holds on --out: its own, or the default folder's claim
    private bool _writesNothing;
    private bool _tracksBest;
    private Trainer _trainer = null!;
    private Dictionary<string, string> _resumedMetadata = [];
    private List<KeyValuePair<string, string>> _settings = null!;
    private IReadOnlyList<KeyValuePair<string, string>>? _dataFingerprint; // the data file's length and SHA-256, once hashed
    private int _batches, _perEpoch;
    private EpochResult? _last;
    private string? _stopNote; // the report's line about a NaN stop, as the terminal's error says it (qa-s21-seen M3)

    private TrainRun(TrainSettings s, DefaultOutClaim claim, RunWarnings warnings)
    {
        (_s, _claim, _warnings) = (s, claim, warnings);
        _writes = _dp?.IsRoot ?? true;
    }

    /// <summary>
    /// Runs <c>xent train</c> with <paramref name="s"/>; <paramref name="warnings"/> is stderr while it runs (it keeps every warning
    /// for report.html), and <paramref name="claim"/> holds the default <c>--out</c> folder once one is chosen.
    /// </summary>
    public static int Execute(TrainSettings s, DefaultOutClaim claim, RunWarnings warnings)
    {
        var run = new TrainRun(s, claim, warnings);
        try
        {
            return run.Run();
        }
        finally
        {
            run._ownLock?.Dispose();
        }
    }

    private int Run()
    {
        // Each phase returns the run's exit code when it ends the run (a refusal, or nothing left to train), or null to go on.
        Func<int?>[] phases =
        [
            CheckOptions, ReadCheckpoint, LocateData, TakeCheckpointOptions, PrepareData, FitCheckpoint, BuildModel, ClaimOutFolder,
            CreateTrainer, ResumeTrainer, RecordSettings, CheckResumedRun, PrepareOutFolder, Announce,
        ];
        foreach (var phase in phases)
            if (phase() is { } exit) return exit;
        return Train();
    }

    private ModelSpec Spec => _prep.Spec;
    private string CheckpointPath => Path.Combine(_outDir, "checkpoint.safetensors");
    private string BestPath => Path.Combine(_outDir, "best.safetensors");
    private string MetricsPath => Path.Combine(_outDir, "metrics.csv");
    private string ReportPath => Path.Combine(_outDir, "report.html");

    /// <summary>Every numeric option, and the options that contradict each other or that this run would ignore.</summary>
    private int? CheckOptions()
    {
        var s = _s;
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
        return null;
    }

    /// <summary>
    /// The <c>--resume</c> checkpoint, read once, before the data: it may be a pipe, and a file that is no checkpoint is refused at
    /// once.
    /// </summary>
    private int? ReadCheckpoint()
    {
        if (_s.Resume is null) return null;
        try
        {
            _resumed = InputFiles.ReadCheckpoint(_s.Resume, out _resumedBytes);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            _err.WriteLine("error: " + CliHost.Clean($"cannot resume from '{_s.Resume}': {e.Message}")); // robustness (issue 13)
            return ExitCodes.BadInput;
        }
        _savedMetadata = _resumed?.Metadata;
        try
        {
            // Null for a checkpoint without a spec (an older or a PyTorch one); a malformed spec is named, not taken for none
            // (which ended in the state dict's "size mismatch").
            _savedSpec = _savedMetadata is null ? null : ModelSpec.FromMetadata(_savedMetadata);
        }
        catch (InvalidDataException e)
        {
            _err.WriteLine("error: " + CliHost.Clean($"cannot resume from '{_s.Resume}': {e.Message}"));
            return ExitCodes.BadInput;
        }
        return null;
    }

    /// <summary>Refuses data that is not there, or an option an IDX folder has no use for, before anything is read.</summary>
    private int? LocateData()
    {
        _dataPath = _s.Data ?? DataSource.DefaultDirectory;
        _idx = DataSource.IsIdx(_dataPath);
        // Before the default folder is looked for: a checkpoint of a table resumed without --data needs its table, not Fashion-MNIST.
        if (_savedMetadata is not null && _s.Data is null
            && TrainArguments.ResumeWithoutData(_s.Resume!, _savedMetadata, _savedSpec) is { } noData)
            return CliHost.Fail(noData);
        if (_idx && DataSource.Missing(_dataPath) is not null)
        {
            _err.WriteLine("error: " + CliHost.Clean(DataSource.NotFoundMessage(_dataPath))); // robustness (issue 13): "error:" prefix
            return ExitCodes.BadInput;
        }
        if (_idx && _s.TestData is not null)
        {
            _err.WriteLine($"error: '{_dataPath}' is an IDX folder, which holds its own test files (t10k-*); leave out --test-data, or " +
                "pass --val-split.");
            return ExitCodes.BadInput;
        }
        return null;
    }

    /// <summary>
    /// The options a resumed run leaves out become its checkpoint's; then the options that depend on each other are checked, and
    /// the kernels' thread count is set.
    /// </summary>
    private int? TakeCheckpointOptions()
    {
        if (_savedMetadata is not null)
        {
            // The loss, schedule and --missing options left out are the checkpoint's, as the optimizer's are; one given with another
            // value is refused, in the words the user gave it.
            var recorded = ResumedOptions.FromCheckpoint(_savedMetadata, _savedSpec);
            bool savedMultiLabel = _savedSpec?.MultiLabel ?? recorded.Loss == "bce-with-logits";
            if (ResumeChanges.GivenRefusal(_s.Resume!, recorded, _s.GivenOptions(), savedMultiLabel) is { } refusal)
            {
                _err.WriteLine("error: " + CliHost.Clean(refusal));
                return ExitCodes.BadInput;
            }
            _s = _s.WithCheckpointOptions(recorded);
            // --model too: left out, the checkpoint's (auto would pick mlp for a table, refusing a resumed linear model).
            if (!_s.Gave("--model") && _savedMetadata.TryGetValue("model", out var recordedModel)
                && ModelCatalog.Names.Contains(recordedModel))
                _s = _s with { Model = recordedModel };
        }
        // After the checkpoint's options are taken: a resumed run's --gamma may go with the focal loss it records.
        TrainArguments.ValidateLoss(_s.Loss, _s.FocalGamma, _s.LabelSmoothing);
        if (_s.Gave("--lr-gamma") && _s.Schedule != "step")
            throw new ArgumentException("--lr-gamma is the step schedule's factor per epoch; pass --lr-schedule step too (the schedule " +
                $"is {_s.Schedule}).");
        CommonOptions.UseThreads(_s.Threads);
        return null;
    }

    /// <summary>The training and held-out sets, standardised (a resumed model's inputs with its checkpoint's statistics).</summary>
    private int? PrepareData()
    {
        try
        {
            // A resumed model goes on with its inputs standardised as it was trained: with the checkpoint's statistics.
            _prep = _idx ? TrainData.PrepareIdx(_s, _dataPath, _savedSpec) : TrainData.PrepareFiles(_s, _dataPath, _savedSpec);
        }
        catch (Exception e) when (DataSource.IsDataError(e) || e is ArgumentException)
        {
            // Exit 2 as any input refusal; --verbose adds the stack trace, which tells a library's deliberate refusal of this
            // data (an ArgumentException is how the readers and splits say so) from a bug that raised one.
            return CliHost.Fail(e);
        }
        // robustness (issue 13): empty sets are exit code 2, not a crash or NaN mid-run (DataChecks.cs).
        DataChecks.RequireSamples(_prep.Train, _prep.Source);
        DataChecks.RequireSamples(_prep.Test, _prep.Source);
        DataChecks.RequireSampleShape(_prep.Test, _prep.Train.SampleShape, _prep.Source, "the training set");
        return null;
    }

    /// <summary>
    /// A resumed checkpoint against the data and the options, in their terms, before loading it would say "size mismatch": the
    /// model, an mlp's layers and the optimizer (each the checkpoint's when left out), and the data's columns and classes.
    /// </summary>
    private int? FitCheckpoint()
    {
        var spec = Spec;
        if (_savedMetadata is not null && _savedMetadata.TryGetValue("model", out var saved) && saved != spec.Model)
        {
            // Checked before loading: the models share no parameter names, so loading would only report missing keys.
            // robustness (issue 13)
            _err.WriteLine("error: " + CliHost.Clean(TrainArguments.ModelMismatch(_s.Resume!, saved, spec.Model, ModelCatalog.Names)));
            return ExitCodes.BadInput;
        }
        // An mlp's layer sizes, like its model: left out, the checkpoint's; given otherwise, refused in the options' terms before
        // loading would say "size mismatch for fc1.weight".
        if (_savedSpec is { Model: "mlp" } && spec.Model == "mlp" && !_savedSpec.Hidden.SequenceEqual(spec.Hidden))
        {
            if (_s.Hidden is not null)
            {
                string savedHidden = $"--hidden {string.Join(',', _savedSpec.Hidden)}";
                _err.WriteLine("error: " + CliHost.Clean(ResumeChanges.Message(_s.Resume!, savedHidden, _s.Hidden,
                    "a resumed run goes on training the checkpoint's layers")));
                return ExitCodes.BadInput;
            }
            _prep = _prep with { Spec = spec with { Hidden = _savedSpec.Hidden } };
            spec = Spec;
        }
        // Before loading, whose text lists every state key the other optimizer lacks. Left out, the optimizer is the checkpoint's,
        // as its other settings are.
        if (_savedMetadata is not null && _savedMetadata.TryGetValue("setting.optimizer", out var savedOptimizer)
            && savedOptimizer != _s.Optimizer && !_s.Gave("--optimizer") && OptimizerCatalog.Names.Contains(savedOptimizer))
            _s = _s with { Optimizer = savedOptimizer };
        if (_savedMetadata is not null && _savedMetadata.TryGetValue("setting.optimizer", out savedOptimizer)
            && savedOptimizer != _s.Optimizer)
        {
            _err.WriteLine("error: " + CliHost.Clean(TrainArguments.ResumeMismatch(_s.Resume!, "--optimizer", savedOptimizer,
                _s.Optimizer)));
            return ExitCodes.BadInput;
        }
        // In the data's terms (a column, the classes), before loading would say "size mismatch for fc1.weight"; and a table whose
        // columns come in another order loads without error but would feed each weight another feature.
        if (_savedSpec is not null && TrainArguments.DataMismatch(_savedSpec, spec, _dataPath, _s.Target is not null) is { } mismatch)
        {
            _err.WriteLine("error: " + CliHost.Clean($"cannot resume from '{_s.Resume}': {mismatch}"));
            return ExitCodes.BadInput;
        }
        // A table-trained model resumed on an array (read in the training order, as eval reads it) keeps its column names and
        // target column, so that eval and predict still take the table (qa-s21-crash M3: they were dropped).
        if (_savedSpec?.FeatureNames is not null && spec.FeatureNames is null)
            _prep = _prep with { Spec = spec with { FeatureNames = _savedSpec.FeatureNames, TargetColumn = _savedSpec.TargetColumn } };
        return null;
    }

    /// <summary>
    /// The model, its optimizer and its loss, once sizes that cannot fit in memory are refused; under mpiexec, the ranks are
    /// checked to agree on the data and options.
    /// </summary>
    private int? BuildModel()
    {
        var s = _s;
        var spec = Spec;
        _lr = s.Lr ?? OptimizerCatalog.DefaultLr(s.Optimizer);
        _wd = s.WeightDecay ?? OptimizerCatalog.DefaultWeightDecay(s.Optimizer);
        // Before allocating: sizes that cannot fit are refused in the options' terms, not after growing to the memory limit.
        var (memory, memoryLimit) = ProcessMemory.Available();
        if (ModelFootprint.Refusal(spec, s.Optimizer, s.Momentum,
                Math.Max(Math.Min(s.BatchSize, _prep.Train.Count), Math.Min(s.TestBatchSize, _prep.Test.Count)),
                Math.Min(s.BatchSize, _prep.Train.Count), memory, memoryLimit) is { } tooLarge)
            return CliHost.Fail(tooLarge);
        try
        {
            _module = ModelCatalog.Create(spec, new Generator(s.Seed), commandLine: true);
        }
        catch (ArgumentException e)
        {
            return CliHost.Fail(e); // a model that cannot be built from these sizes; --verbose adds the stack trace
        }
        try
        {
            _opt = OptimizerCatalog.Create(s.Optimizer, _module.Parameters(), _lr, _wd, s.Momentum);
        }
        catch (ArgumentException e)
        {
            // A --momentum for an optimizer other than sgd; Fail drops ArgumentException's " (Parameter 'momentum')".
            return CliHost.Fail(e);
        }
        string lossName = s.Loss == "auto" ? (spec.MultiLabel ? "bce-with-logits" : "cross-entropy") : s.Loss;
        if (spec.MultiLabel != (lossName == "bce-with-logits"))
        {
            _err.WriteLine($"error: --loss {lossName} does not fit {(spec.MultiLabel ? "multi-label" : "single-label")} data; use " +
                $"--loss {(spec.MultiLabel ? "bce-with-logits" : "cross-entropy")}.");
            return ExitCodes.BadInput;
        }
        if (TrainLoss.OptionMismatch(s, spec.MultiLabel, _dataPath) is { } lossOption)
        {
            _err.WriteLine("error: " + CliHost.Clean(lossOption));
            return ExitCodes.BadInput;
        }
        // Class weights: data-parallel ranks weight their shares of the mean by them.
        (_criterion, _lossLabel, _weight) = TrainLoss.Criterion(s, _prep, lossName);
        // The held-out loss is plain CE (BCE): named so beside a training loss with smoothing, weights or a focal term in it.
        _lossTerms = HeldOutLoss.TrainingOnlyTerms(spec.MultiLabel, lossName, s.FocalGamma, s.LabelSmoothing, s.ClassWeights,
            s.PosWeight);

        _metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt", ["model"] = spec.Model };
        foreach (var (k, v) in spec.ToMetadata()) _metadata[k] = v;
        if (_dp?.Mismatch(_prep.Train, _prep.Test, spec, CollectiveOptions(s, lossName, _savedMetadata)) is { } differentRanks)
        {
            _err.WriteLine("error: " + differentRanks);
            return ExitCodes.BadInput;
        }
        return null;
    }

    /// <summary>
    /// Chooses <c>--out</c> and locks it: <c>--resume</c> of a run's checkpoint without <c>--out</c> continues that run's folder
    /// (its metrics.csv goes on), as the interrupt hint "--resume … (and the same options)" implies; a new run gets a fresh
    /// runs/&lt;timestamp&gt;. Under mpiexec only rank 0 writes the run's files, so only it claims a folder, and only once the
    /// ranks agree: a rank that fails alone before that aborts the job, killing rank 0 before it could remove a folder claimed
    /// earlier.
    /// </summary>
    private int? ClaimOutFolder()
    {
        // A resumed run with nothing left to train writes nothing, so it neither locks nor checks --out: it says so in a folder this
        // user may only read, as before the lock came first (qa-s19-b L3). Decided on the checkpoint already read, the one it then
        // reports on; a run with training to do is locked as before.
        _writesNothing = _savedMetadata is not null && Trainer.NothingToTrain(_savedMetadata, _s.Epochs, _s.Patience);
        if (_s.Resume is not null) AfterResumeRead?.Invoke(_s.Resume);
        // Only rank 0 can be refused the folder: every rank learns whether it was, so that a folder in use, holding a run or not
        // writable ends the job with rank 0's line and exit code 2, not as a rank that failed alone (qa-s18-mpi L2).
        if (_dp is null) LockOutFolder();
        else if (!_dp.AfterRankZero(LockOutFolder)) return ExitCodes.BadInput;
        _runFolder = _ownLock ?? _claim.Lock;
        return null;
    }

    private void LockOutFolder()
    {
        if (_writesNothing) return;
        var s = _s;
        _outDir = s.Out ?? (s.Resume is { } r ? RunDirectory.ResumeFolder(r) : null)
            ?? (_dp?.IsRoot == false ? RunDirectory.DefaultOut(DateTime.Now) : _claim.Take(DateTime.Now));
        // The folder is locked for the whole run, before it is looked at (another live run's files are never taken for
        // leftovers), and refused if it holds a run, before anything about the run is printed: a resumed run said "Resuming
        // from …" and warned about its options before it was refused a folder another run was using (qa-s18-s18changes L2).
        // A command refused from here on leaves no folder where there was none: the lock removes those it created.
        _createdRoot = OutputPaths.FirstMissingFolder(_outDir);
        _ownLock = _writes && _claim.Lock is null ? RunFolderLock.Take(_outDir, _createdRoot) : null;
        try
        {
            if ((_ownLock ?? _claim.Lock) is { } held)
            {
                RunDirectory.Check(held, s.Resume, s.Overwrite);
                RequireResumedUnchanged(held, s.Resume, _resumedBytes);
            }
        }
        catch (Exception)
        {
            _ownLock?.Dispose();
            _ownLock = null;
            throw;
        }
    }

    /// <summary>The trainer, writing its checkpoints, metrics and best epoch into --out (only the rank that writes).</summary>
    private int? CreateTrainer()
    {
        var s = _s;
        var spec = Spec;
        // A resumed run whose checkpoint tracked the best held-out loss (an early-stopping run) goes on tracking it without
        // --patience too, so that best.safetensors stays the best epoch's rather than an out-of-date one.
        _tracksBest = s.Patience is not null || _savedMetadata?.ContainsKey("best_loss") == true;
        _trainer = new Trainer(_module, _opt, _criterion, new TrainerOptions
        {
            Epochs = s.Epochs, Seed = s.Seed, NumClasses = spec.NumClasses, LimitBatches = s.LimitBatches,
            CheckpointPath = _writes ? CheckpointPath : null, MetricsPath = _writes ? MetricsPath : null, Metadata = _metadata,
            MultiLabel = spec.MultiLabel,
            Schedule = new LrSchedule { Kind = s.Schedule, WarmupSteps = s.Warmup, Gamma = s.Gamma },
            ClipGradNorm = s.ClipGradNorm, Patience = s.Patience, BestCheckpointPath = _tracksBest && _writes ? BestPath : null,
            HeldOutLossName = _lossTerms is null ? "test loss" : $"test loss ({HeldOutLoss.ShortName(spec.MultiLabel)})",
            LearningRateOption = "--lr", // the library's advice says "learning rate"; here, the flag that sets it
        });
        _dp?.Attach(_trainer, _module, _weight);
        _trainer.Warning = m => _err.WriteLine("Warning: " + m);
        // Removed by hand during the run, the folder may be another run's by now (qa-s18-s18changes L4).
        if (_runFolder is not null) _trainer.BeforeEpochWrites = _runFolder.EnsureStillHeld;
        return null;
    }

    /// <summary>
    /// Loads a resumed checkpoint's weights and optimizer state into the trainer; the optimizer's settings are then the
    /// checkpoint's, and an <c>--lr</c>, <c>--weight-decay</c> or <c>--momentum</c> given with another value is refused.
    /// </summary>
    private int? ResumeTrainer()
    {
        if (_resumed is not { } checkpoint) return null;
        try
        {
            _resumedMetadata = _trainer.Resume(TrainingCheckpoint.Split(checkpoint.Tensors, checkpoint.Metadata), _s.Resume!);
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or NotSupportedException)
        {
            _err.WriteLine("error: " + CliHost.Clean($"cannot resume from '{_s.Resume}': {e.Message}"));
            return ExitCodes.BadInput; // robustness (issue 13)
        }
        // The optimizer's settings come from the checkpoint: an --lr, --weight-decay or --momentum that differs would be ignored.
        if (ResumeChanges.IgnoredOptimizerOption(_s, _opt, _resumedMetadata) is { } ignored)
        {
            _err.WriteLine("error: " + CliHost.Clean(ignored));
            return ExitCodes.BadInput;
        }
        // The optimizer's settings come from the checkpoint; report and save those, not the command line's.
        _lr = ResumeChanges.SavedLr(_opt, _resumedMetadata);
        _wd = _opt.ParamGroups[0].WeightDecay;
        return null;
    }

    /// <summary>The run's settings, as the report and the checkpoint's <c>setting.*</c> metadata show them.</summary>
    private int? RecordSettings()
    {
        double momentum = _opt is Sgd ? _opt.ParamGroups[0].Momentum : _s.Momentum;
        _settings = RunSettings(_s, _prep, _dataPath, _lr, _wd, momentum, _lossLabel);
        // Under mpiexec --batch-size is per rank: the report and checkpoint say what batch the run used.
        if (_dp is not null) _settings.Add(new("ranks", $"{_dp.Size} (global batch {_s.BatchSize * _dp.Size})"));
        // The statistics are the checkpoint's (PrepareFiles), and so is what they were computed from.
        if (_savedSpec is not null && _savedMetadata!.TryGetValue("setting.normalize", out var normalize))
            _settings[_settings.FindIndex(kv => kv.Key == "normalize")] = new("normalize", normalize);
        return null;
    }

    /// <summary>
    /// A resumed run: options that would change its inputs, loss or schedule are refused, a run with nothing left to train says so
    /// and ends, and what changed since the checkpoint (the batch, options, the data or the split) is warned about.
    /// </summary>
    private int? CheckResumedRun()
    {
        var s = _s;
        if (s.Resume is null) return null;
        // The options the checkpoint records (setting.*): a change that would alter the model's inputs, its loss or its
        // learning-rate schedule is refused; one that changes how long or how the run goes on is named in a warning.
        if (ResumeChanges.Refusal(s.Resume, _resumedMetadata, _savedSpec, Spec, _settings, _dataPath) is { } refused)
        {
            _err.WriteLine("error: " + CliHost.Clean(refused));
            return ExitCodes.BadInput;
        }
        if (_trainer.StartEpoch > s.Epochs)
        {
            // Before --out is prepared: a finished run stays as it is, and another --out is not left with a run without a checkpoint.
            Console.WriteLine($"Nothing to train: '{s.Resume}' is already at epoch {_trainer.StartEpoch - 1}; pass --epochs above " +
                $"{_trainer.StartEpoch - 1} to train further.");
            return ExitCodes.Success;
        }
        if (_trainer.PatienceSpent)
        {
            // The same command after an early stop: an uninterrupted run with this --patience ended at the checkpoint.
            Console.WriteLine(PatienceSpentMessage(s.Resume, _trainer, s.Patience!.Value, _resumedMetadata));
            return ExitCodes.Success;
        }
        // Hashed here, after the returns above that train nothing, and recorded below: compared with the checkpoint's.
        _dataFingerprint = _writes ? TrainingDataWarning.Fingerprint(_dataPath, _prep.Fingerprint, _prep.LabelsFingerprint) : [];
        // Only for a run that goes on: "its checkpoint records the new values" is not so when nothing is trained (qa-s20-a L6).
        if (ResumeChanges.BatchWarning(_resumedMetadata, _dp?.Size ?? 1, s.BatchSize) is { } batchNote) _err.WriteLine(batchNote);
        foreach (string? warning in new[]
            {
                ResumeChanges.OptionWarning(_resumedMetadata, _settings),
                ResumeChanges.SplitWarning(_resumedMetadata, _settings, s.Seed, _prep.HeldOut is not null, _prep.OtherRows, _dataPath,
                    _dataFingerprint, s.Labels),
                ResumeChanges.TemperatureNote(_savedSpec),
            })
            if (warning is not null) _err.WriteLine(CliHost.Clean(warning));
        // Never trains without the lock: NothingToTrain reads the metadata as Resume does, so this is a bug if it is reached.
        if (_writesNothing) throw new InvalidOperationException($"'{s.Resume}' was taken for a run with nothing to train.");
        Console.WriteLine($"Resuming from '{s.Resume}' at epoch {_trainer.StartEpoch}.");
        return null;
    }

    /// <summary>
    /// Only now that every option, the model, the loss and the resumed checkpoint are known to fit the data: a refused command
    /// leaves no run folder (nor a split.csv without a checkpoint) behind, and the files of a run that left no checkpoint stay.
    /// Robustness (issue 13): never replace another run.
    /// </summary>
    private int? PrepareOutFolder()
    {
        var s = _s;
        if (_runFolder is not null && RunDirectory.Prepare(_runFolder, s.Resume, s.Overwrite) is { Count: > 0 } removed)
            Console.WriteLine($"Removed the files of a run in '{_outDir}' that left no checkpoint ({string.Join(", ", removed)}).");
        if (_prep.HeldOut is { } heldOut && _writes)
        {
            try
            {
                DataSource.WriteSplit(Path.Combine(_outDir, "split.csv"), _prep.SourceCount, heldOut, _prep.SourceFiles, _dataPath);
            }
            catch (Exception) when (s.Resume is null)
            {
                // A full disk, say: the folder this run prepared goes, so the same command can run again.
                RemoveUnfinishedRun();
                throw;
            }
        }

        foreach (var (k, v) in _settings) if (k is not ("model" or "seed" or "resume")) _metadata["setting." + k] = v;
        // The data file's length and SHA-256, so that eval and calibrate tell a copy of it (cp train.csv test.csv) as they tell a
        // link; in the checkpoint only, not the report's settings. Only the rank that writes reads a CSV file again.
        if (_writes)
            foreach (var (k, v) in _dataFingerprint
                ?? TrainingDataWarning.Fingerprint(_dataPath, _prep.Fingerprint, _prep.LabelsFingerprint))
                _metadata[k] = v;
        return null;
    }

    /// <summary>The "Training …" line, with the notes and warnings about the run's data and options that come before training.</summary>
    private int? Announce()
    {
        var s = _s;
        var spec = Spec;
        var ci = CultureInfo.InvariantCulture;
        long globalBatch = (long)s.BatchSize * (_dp?.Size ?? 1);
        string ranks = _dp is null ? "" : $", {s.BatchSize} on each of {_dp.Size} rank{(_dp.Size == 1 ? "" : "s")}";
        _batches = _dp?.GlobalBatchCount(_prep.Train.Count, s.BatchSize)
            ?? (int)(((long)_prep.Train.Count + s.BatchSize - 1) / s.BatchSize);
        string unit = DataSource.SampleNoun(spec);
        // Fewer samples than ranks: no global batch gives every rank one, and the epoch had no batches at all (an internal error).
        if (_dp is not null && _batches == 0)
            return CliHost.Fail($"{_prep.Train.Count} training {(_prep.Train.Count == 1 ? unit[..^1] : unit)} cannot be shared by " +
                $"{_dp.Size} ranks: each rank needs at least one of every global batch; start at most {_prep.Train.Count} rank" +
                $"{(_prep.Train.Count == 1 ? "" : "s")}, or give more data.");
        _perEpoch = Math.Min(_batches, s.LimitBatches ?? int.MaxValue);
        if (_prep.SplitNote is not null) Console.WriteLine(_prep.SplitNote);
        string classes = spec.MultiLabel ? $"{spec.NumClasses} labels" : $"{spec.NumClasses} classes";
        // A batch size above the sample count gives one batch of them all ("1 batch of 1000" for 135 samples read wrongly).
        Console.WriteLine($"Training {spec.Model} on {_prep.Train.Count} {unit} of {classes} ({_perEpoch} " +
            $"batch{(_perEpoch == 1 ? "" : "es")} of {Math.Min(globalBatch, _prep.Train.Count)} per epoch{ranks}), " +
            $"testing on {_prep.Test.Count}; {s.Optimizer} lr {_lr.ToString("G", ci)}, seed {s.Seed}, {KernelParallel.MaxThreads} " +
            "thread(s).");
        // The warm-up ramps the rate by 1/W a batch: a W beyond the run's batches ends below --lr, which nothing else would show.
        long runBatches = (long)s.Epochs * _perEpoch;
        if (s.Warmup > runBatches)
            _err.WriteLine(CliHost.Clean($"Warning: --warmup {s.Warmup} is longer than the whole run ({runBatches} batch" +
                $"{(runBatches == 1 ? "" : "es")}: {s.Epochs} epoch{(s.Epochs == 1 ? "" : "s")} of {_perEpoch}), so the learning rate " +
                $"never reaches --lr {_lr.ToString("G", ci)}: the warm-up ends the run at {runBatches}/{s.Warmup} of it."));
        // Own data only (an IDX folder's pixels are bounded, its test images of the same kind), and said by the rank that writes.
        if (!_prep.IsIdx && _writes && TestRangeWarning.For(_prep.Train, _prep.Test, spec, s.TestData ?? _dataPath,
                DatasetFactory.Detect(s.TestData ?? _dataPath, commandLine: true), s.TestData is null ? _prep.HeldOut : null,
                s.TestData is null ? _prep.SourceFiles : null) is { } far)
            _err.WriteLine(far);
        if (_lossTerms is not null) Console.WriteLine(HeldOutLoss.Note(_lossTerms, spec.MultiLabel));
        // Documented (DISTRIBUTED.md), but said too: the one way these batches differ from one process's (qa-s18-mpi L3).
        if (_dp?.SkippedPerEpoch(_prep.Train.Count, s.BatchSize) is > 0 and int skipped && _perEpoch == _batches)
            Console.WriteLine("Each epoch leaves out " + (skipped == 1 ? $"the last {unit[..^1]} of its shuffled order (another one " :
                $"the last {skipped} {unit} of its shuffled order (others ") + $"each epoch): a last global batch smaller than the " +
                $"number of ranks ({_dp.Size}) would leave a rank with nothing to train on. Another --batch-size or number of ranks " +
                "trains on all of them.");
        if (!spec.MultiLabel && s.ClassWeights == "none" && TrainData.ImbalanceNote(spec.ClassNames, _prep.TrainCounts) is { } imbalance)
            Console.Error.WriteLine(CliHost.Clean(imbalance));
        return null;
    }

    /// <summary>
    /// Trains, with the live progress display on a wide terminal, rewriting report.html after each epoch; a NaN loss, Ctrl-C,
    /// SIGTERM or a failed write ends the run with the checkpoint to resume from named (or, before the first one, with nothing of
    /// the run left behind). Then the final figures and the files written.
    /// </summary>
    private int Train()
    {
        var s = _s;
        _trainer.EpochCompleted = r => { _last = r; WriteReport(); };
        int code = 0;
        bool runRemoved = false; // a new run stopped by a NaN loss before its first checkpoint: its files are gone
        // Ctrl-C (SIGINT) or SIGTERM still ends the process (exit code 128 + signal: 130, 143), but first says how to go on. Every
        // run file is written atomically, so the last finished epoch's checkpoint is whole whenever the signal comes.
        using var onInterrupt = _writes || _dp is not null ? PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal) : null;
        using var onTerminate = _writes || _dp is not null ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal) : null;
        try
        {
            var result = ConsoleOutput.RunWithProgress(_trainer, s.Epochs, _warnings,
                epoch => _dp?.Batches(_prep.Train, s.BatchSize, _trainer.ShuffleSeed(epoch))
                    ?? DataSource.Batches(_prep.Train, s.BatchSize, shuffle: true, _trainer.ShuffleSeed(epoch)),
                _batches,
                () => DataSource.Batches(_prep.Test, s.TestBatchSize, shuffle: false));
            _last = result ?? _last;
        }
        catch (RunFolderReplacedException)
        {
            throw; // the folder's files are not this run's: none is removed or named to --resume (the catches below)
        }
        catch (TrainingDivergedException e)
        {
            bool kept = File.Exists(CheckpointPath);
            // A new run that wrote no checkpoint leaves nothing (a header-only metrics.csv, split.csv) that would block its rerun,
            // nor a report of the batches logged before the loss broke (written below, it blocked the same command).
            runRemoved = !kept && _writes && s.Resume is null;
            if (runRemoved) RemoveUnfinishedRun();
            _stopNote = DivergedNote(e, s.Epochs, s.Resume is not null, _trainer, kept && !_tracksBest, _last is not null);
            _err.WriteLine("error: " + e.Message + (kept
                ? $" The last good checkpoint is kept: '{CheckpointPath}'."
                : s.Resume is null ? $" No checkpoint was written, and nothing of this run is left in '{_outDir}'."
                : " No checkpoint was written.")
                // The library's hint names --lr, which a resumed run refuses (it keeps the checkpoint's).
                + (s.Resume is null ? "" : " A resumed run keeps the checkpoint's learning rate: for a lower --lr, start a new run " +
                    "(without --resume)."));
            code = ExitCodes.Diverged;
        }
        catch (Exception) when (_writes && s.Resume is null && !File.Exists(CheckpointPath))
        {
            // The first checkpoint could not be written (a full disk): its epoch's metrics row, already written, must not make
            // the same command's rerun refuse the folder as another run's. The error itself goes out as any other.
            RemoveUnfinishedRun();
            throw;
        }
        catch (Exception e) when (_writes && e is IOException or UnauthorizedAccessException && File.Exists(CheckpointPath))
        {
            // A full disk after a checkpoint was written: say, as Ctrl-C does, what there is to go on from.
            string message = e.Message.TrimEnd('.') + ". The last checkpoint written is kept: continue with --resume " +
                $"{CheckpointPath} (and the same options) once the cause is fixed.";
            throw e is UnauthorizedAccessException ? new UnauthorizedAccessException(message, e) : new IOException(message, e);
        }

        if (_trainer.Rows.Count > 0 && !runRemoved) WriteReport();
        if (_last is not null && code == 0)
        {
            // The last test pass had NaN or infinite outputs: eval's warning, before the accuracy it qualifies (the report has it too).
            if (NonFiniteOutputs.Warning(_last.Test) is { } nonFinite) _err.WriteLine("Warning: " + nonFinite);
            ResultTables.PrintFinal(_last.Test, Spec.ClassNames);
        }
        if (_tracksBest && _trainer.BestEpoch > 0 && code == 0)
            // Resumed into another folder, a best epoch from before the checkpoint has no best.safetensors here.
            Console.WriteLine(File.Exists(BestPath) || !_writes ? $"Best held-out loss at epoch {_trainer.BestEpoch}: {BestPath}"
                : $"Best held-out loss at epoch {_trainer.BestEpoch}, before '{s.Resume}': no later epoch beat it, so '{_outDir}' holds " +
                    "no best.safetensors.");
        PrintWritten(_outDir, _tracksBest, _prep.HeldOut is not null);
        return code;
    }

    /// <summary>
    /// What a new run that wrote no checkpoint leaves goes, so that the same command can run again; but never from a folder that is
    /// no longer the one this run locked, whose files are another run's.
    /// </summary>
    private void RemoveUnfinishedRun()
    {
        if (_runFolder?.StillHeld != false) RunDirectory.RemoveUnfinishedRun(_outDir, _createdRoot);
    }

    /// <summary>report.html as the run stands, with the warnings said so far (rewritten each epoch, it has a later epoch's too).</summary>
    private void WriteReport()
    {
        if (!_writes) return;
        _runFolder?.EnsureStillHeld();
        var spec = Spec;
        ReportWriter.Write(ReportPath, new TrainingReport(
            $"xent train — {Path.GetFileName(Path.GetFullPath(_outDir))}", _settings, spec.ClassNames, _trainer.Rows, _perEpoch,
            _last?.Test)
        {
            TestLossName = _lossTerms is null ? "test" : $"test ({HeldOutLoss.ShortName(spec.MultiLabel)})",
            LossNote = _lossTerms is null ? null : HeldOutLoss.Note(_lossTerms, spec.MultiLabel),
            RunNote = JoinNotes(_stopNote,
                _tracksBest ? BestEpochNote(_trainer, _s.Patience, _s.Epochs, !_writes || File.Exists(BestPath)) : null),
            Warnings = _warnings.Warnings,
        });
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (_writes) SayHowToGoOn();
        if (_dp is null) return; // the runtime ends the process by the signal itself: the shell shows 130 or 143
        // Under mpiexec a rank that dies by a signal is reported as 0, 2 or 15, so a preempted job could read as a success:
        // the job is ended with 128 + the signal instead, which mpiexec returns.
        context.Cancel = true;
        _dp.Abort(128 + (context.Signal == PosixSignal.SIGINT ? 2 : 15));
    }

    private void SayHowToGoOn()
    {
        // First the write in progress, if any: its temporary file goes, and no checkpoint is renamed into place after this.
        WritesInFlight.Process.Abandon();
        if (File.Exists(CheckpointPath))
            _err.WriteLine("error: interrupted; the last finished epoch's checkpoint is kept: continue with --resume " +
                $"{CheckpointPath} (and the same options).");
        else if (_s.Resume is not null)
            _err.WriteLine($"error: interrupted before the first epoch finished; '{_s.Resume}' is as it was: continue with --resume " +
                $"{_s.Resume} (and the same options).");
        else
        {
            // The process ends after this handler: what this new run wrote (metrics.csv's header, split.csv) goes now, as
            // after a NaN stop, so no folder of a run that never finished an epoch is left behind.
            RemoveUnfinishedRun();
            _err.WriteLine("error: interrupted before the first epoch finished; no checkpoint was written, and nothing of this run " +
                $"is left in '{_outDir}' (the same command starts the run again).");
        }
        // Nor do the using blocks run: the folder's lock file goes here, with the folders this run created if they are empty
        // (the kernel drops the lock itself in any case).
        _ownLock?.Dispose();
        _claim.Dispose();
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
    /// The options every rank of a data-parallel run must share, as (option, value) pairs in a fixed order, with their effective
    /// values (an <c>--lr</c> left to its default and the same value given are the same): those that decide how many batches,
    /// evaluations and epochs a rank runs (a rank that runs more waits for ever in a collective), and those that decide what it
    /// computes. The model, the input and the split are compared through the data and the spec; paths are left out, since each
    /// node may read its own copy of the data.
    /// </summary>
    private static (string Option, string Value)[] CollectiveOptions(TrainSettings s, string lossName,
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

    /// <summary>The run's settings as the report and the checkpoint's <c>setting.*</c> metadata show them.</summary>
    private static List<KeyValuePair<string, string>> RunSettings(TrainSettings s, TrainData.Prepared prep, string dataPath, double lr,
        double wd, double momentum, string lossLabel)
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
}
