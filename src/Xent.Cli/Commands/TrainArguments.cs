using System.Globalization;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// Checks <c>xent train</c>'s numeric options before anything is loaded or written, so that a bad value is one
/// <c>error:</c> line and exit code 2 (through <see cref="CliHost"/>) instead of an exception deep in an optimizer
/// or a run that silently trains on NaN. The bounds are PyTorch's (<c>Invalid learning rate</c>, …) plus finiteness.
/// Also words the refusals of a <c>--resume</c> checkpoint that does not fit the model or the data.
/// </summary>
internal static class TrainArguments
{
    /// <summary>The most epochs a run may have; also the largest epoch a checkpoint may record (see Xent.IO.MetadataValues).</summary>
    public const int MaxEpochs = 1_000_000;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option whose value is out of range.</summary>
    public static void Validate(int epochs, int batchSize, int testBatchSize, int? limitBatches, int? threads,
        double? lr, double momentum, double? weightDecay, float labelSmoothing)
    {
        AtLeastOne("--epochs", epochs);
        if (epochs > MaxEpochs) throw Bad($"--epochs must be at most {MaxEpochs}, got {epochs}.");
        AtLeastOne("--batch-size", batchSize);
        AtLeastOne("--test-batch-size", testBatchSize);
        if (limitBatches is int l) AtLeastOne("--limit-batches", l);
        if (CommonOptions.ThreadsError(threads) is { } threadsError) throw Bad(threadsError);
        if (lr is double r) NonNegativeFinite("--lr", r, "a learning rate");
        NonNegativeFinite("--momentum", momentum, "a momentum");
        if (weightDecay is double w) NonNegativeFinite("--weight-decay", w, "a weight decay");
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f)) // also false for NaN
            throw Bad($"--label-smoothing must be a number in [0, 1], got {Text(labelSmoothing)}.");
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first of the run's other options (split, early stopping, schedule,
    /// clipping) whose value is out of range, with the value given.
    /// </summary>
    public static void ValidateRun(double? valSplit, int? patience, int warmup, double? clipGradNorm, double lrGamma)
    {
        if (valSplit is double vs && !(vs > 0 && vs < 1)) // also true for NaN
            throw Bad($"--val-split must be a fraction in (0, 1), got {Text(vs)}.");
        if (patience is int p) AtLeastOne("--patience", p);
        if (warmup < 0) throw Bad($"--warmup must be at least 0 batches, got {warmup}.");
        if (clipGradNorm is double c && !(c > 0 && double.IsFinite(c)))
            throw Bad($"--clip-grad-norm must be a finite number > 0, got {Text(c)}.");
        if (!(lrGamma > 0 && double.IsFinite(lrGamma))) throw Bad($"--lr-gamma must be a finite number > 0, got {Text(lrGamma)}.");
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> for a loss option that does not apply: <c>--gamma</c> without <c>--loss focal</c>, a
    /// <c>--gamma</c> that is negative or not finite, or <c>--label-smoothing</c> with the focal loss (which has none).
    /// </summary>
    public static void ValidateLoss(string loss, float? gamma, float labelSmoothing)
    {
        if (gamma is float g)
        {
            if (loss != "focal")
                throw Bad("--gamma is the focal loss's focusing exponent and applies to --loss focal only" +
                    (loss == "auto" ? "; pass --loss focal too." : $", not --loss {loss}."));
            if (!(g >= 0f) || !float.IsFinite(g)) throw Bad($"--gamma must be a finite number >= 0, got {Text(g)}.");
        }
        if (loss == "focal" && labelSmoothing != 0f)
            throw Bad("--label-smoothing applies to cross-entropy; the focal loss has no label smoothing (leave out one of them).");
    }

    /// <summary>
    /// The message for an option that a resumed run takes from its checkpoint (the optimizer and its settings) given with another
    /// value than the checkpoint's: refused as <c>--model</c> is, rather than ignored.
    /// </summary>
    public static string ResumeMismatch(string checkpoint, string option, string saved, string given) =>
        ResumeChanges.Message(checkpoint, $"{option} {saved}", given, "a resumed run keeps the checkpoint's optimizer and its settings");

    /// <summary>
    /// The message for a checkpoint that records another model than <c>--model</c>: a hint to pass the recorded
    /// model only when xent knows that model.
    /// </summary>
    public static string ModelMismatch(string checkpoint, string saved, string requested, IReadOnlyCollection<string> known) =>
        known.Contains(saved)
            ? $"checkpoint '{checkpoint}' holds a '{saved}' model, not '{requested}'; pass --model {saved}."
            :
                $"checkpoint '{checkpoint}' records a model '{saved}' that xent does not know (it knows {string.Join(", ", known)}); it " +
                "cannot be resumed.";

    /// <summary>
    /// Why a checkpoint's model cannot go on training on this data, in the data's terms, or null when they agree: the same
    /// feature columns in the same order (tables; a one-hot column is <c>name=value</c>), the same input shape, the same kind
    /// (single-label or multi-label) and the same classes in the same order.
    /// </summary>
    public static string? DataMismatch(ModelSpec saved, ModelSpec data, string dataPath, bool targetGiven = false)
    {
        static string Column(string feature) => feature.IndexOf('=') is int eq and > 0 ? feature[..eq] : feature;
        // An array-trained model and a table: which column is which input cannot be told, as eval and predict refuse it
        // (qa-s21-crash M3: the table's names were taken unchecked). The other way, an array for a table-trained model, is
        // read in the training order as eval reads it, and the run keeps the checkpoint's names (TrainRun.FitCheckpoint).
        if (saved.InputKind == ModelSpec.FeatureInput && saved.FeatureNames is null && data.FeatureNames is not null)
            return $"'{dataPath}' is a table, but the checkpoint records no names for its {string.Join(" x ", saved.InputShape)} " +
                "input features (it was trained on an array, not a table), so its columns cannot be matched to them; give the " +
                "features as a .npy array in the training order.";
        // A multi-label table read without all its label columns (no --multi-label, some of them, or --target) has a label column
        // among its features: say what to pass, rather than that the checkpoint was not trained on that column (qa-s21-crash M7).
        string pass = "pass --multi-label " + string.Join(',', saved.ClassNames);
        if (saved.MultiLabel && saved.FeatureNames is not null && data.FeatureNames?.FirstOrDefault(saved.ClassNames.Contains) is { } label)
            return $"the checkpoint is multi-label with the label columns {Names(saved.ClassNames)}, and '{dataPath}' was read " +
                (data.MultiLabel ? "with " : $"as single-label, with '{data.TargetColumn}' as its label column and ") +
                $"'{label}' as a feature: {pass}{(targetGiven ? " instead of --target" : "")}.";
        if (saved.FeatureNames is { } had && data.FeatureNames is { } has && !had.SequenceEqual(has))
        {
            if (had.FirstOrDefault(f => !has.Contains(f)) is { } missing)
                return Column(missing) != missing && has.Any(f => Column(f) == Column(missing))
                    ? $"'{dataPath}' has no value '{missing[(Column(missing).Length + 1)..]}' in column '{Column(missing)}', which the " +
                        "checkpoint one-hot encodes."
                    : $"'{dataPath}' lacks column '{Column(missing)}', which the checkpoint was trained on.";
            if (has.FirstOrDefault(f => !had.Contains(f)) is { } extra)
                return Column(extra) != extra && had.Any(f => Column(f) == Column(extra))
                    ? $"'{dataPath}' has a value '{extra[(Column(extra).Length + 1)..]}' in column '{Column(extra)}' that the checkpoint " +
                        "was not trained on."
                    : $"'{dataPath}' has column '{Column(extra)}', which the checkpoint was not trained on (--features selects columns).";
            return $"'{dataPath}' has the checkpoint's columns in another order; the checkpoint was trained on " +
                $"{string.Join(", ", had.Select(Column).Distinct())}, in that order.";
        }
        if (!saved.InputShape.SequenceEqual(data.InputShape))
            return $"the checkpoint's model takes inputs of shape ({string.Join(", ", saved.InputShape)}), and '{dataPath}' gives " +
                $"({string.Join(", ", data.InputShape)}).";
        // A sigmoid per label trained with BCE, or a softmax over classes trained with cross-entropy: the outputs mean other things.
        if (saved.MultiLabel != data.MultiLabel)
            return saved.MultiLabel
                ? $"the checkpoint is a multi-label model (a sigmoid per label, BCEWithLogitsLoss), and '{dataPath}' gives single-label " +
                    "classes; resume with its 0/1 label columns (--multi-label for a CSV, an (N, L) --labels .npy)."
                : $"the checkpoint is a single-label model (a softmax over its classes, cross-entropy), and '{dataPath}' gives " +
                    "multi-label data; resume with its single label column.";
        if (!saved.ClassNames.SequenceEqual(data.ClassNames) && saved.MultiLabel && saved.FeatureNames is not null)
            return $"the checkpoint was trained on the label columns {Names(saved.ClassNames)}, in that order, and '{dataPath}' was read " +
                $"with {Names(data.ClassNames)}: {pass}.";
        if (!saved.ClassNames.SequenceEqual(data.ClassNames))
            return $"the checkpoint was trained on the classes {Names(saved.ClassNames)}, and '{dataPath}' has {Names(data.ClassNames)}.";
        return null;
    }

    /// <summary>
    /// The refusal of <c>train --resume</c> without <c>--data</c> for a checkpoint trained on a table, a .npy file or image class
    /// folders (<c>setting.data</c>), which the default Fashion-MNIST folder can never be: left out, --data is not the
    /// checkpoint's, as the model and optimizer options are, and the shape mismatch that followed blamed Fashion-MNIST, which the
    /// user never named (qa-s21-seen M5). Null when the checkpoint records no data, or IDX data (which the default folder may be).
    /// </summary>
    public static string? ResumeWithoutData(string checkpoint, IReadOnlyDictionary<string, string> metadata, ModelSpec? saved)
    {
        if (!metadata.TryGetValue("setting.data", out var trained) || DataSource.IsIdx(trained)) return null;
        string labels = trained.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? " with its --labels"
            : saved?.TargetColumn is { } target ? $" --target {target}"
            : saved is { MultiLabel: true } ? $" --multi-label {string.Join(',', saved.ClassNames)}" : "";
        return $"cannot resume from '{checkpoint}' without --data: it was trained on '{trained}', and --data left out reads " +
            $"the default '{DataSource.DefaultDirectory}'; pass its data again: --data '{trained}'{labels}.";
    }

    /// <summary>The first few names, quoted, and how many more.</summary>
    private static string Names(string[] names) =>
        string.Join(", ", names.Take(6).Select(n => $"'{n}'")) + (names.Length > 6 ? $" and {names.Length - 6} more" : "");

    private static void AtLeastOne(string option, int value)
    {
        if (value < 1) throw Bad($"{option} must be at least 1, got {value}.");
    }

    private static void NonNegativeFinite(string option, double value, string what)
    {
        if (!double.IsFinite(value) || value < 0) throw Bad($"{option} must be a finite number >= 0 ({what}), got {Text(value)}.");
    }

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static ArgumentException Bad(string message) => new(message);
}
