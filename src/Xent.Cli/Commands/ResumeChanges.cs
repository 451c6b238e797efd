using System.Globalization;
using Xent.IO;
using Xent.Optim;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// What a resumed run may change from the run its checkpoint records (<c>setting.*</c> and the spec). An option that would alter
/// the model's inputs (<c>--missing</c>, the input scale), the loss it minimises (<c>--loss</c>, <c>--gamma</c>,
/// <c>--label-smoothing</c>, <c>--class-weights</c>, <c>--pos-weight</c>) or its learning-rate schedule (<c>--lr-schedule</c>,
/// <c>--warmup</c>, <c>--lr-gamma</c>) is the checkpoint's when left out (<see cref="ResumedOptions"/>), and refused when given
/// with another value, as another <c>--lr</c> is: the checkpoint would record one value for a model trained with two. One that
/// changes how long or how the run goes on (<c>--patience</c>, <c>--limit-batches</c>,
/// <c>--clip-grad-norm</c>, <c>--epochs</c> under a cosine schedule) is named in a warning with its old and new values, as another
/// <c>--batch-size</c> is. A changed data set or split is warned about, since the held-out set may then hold samples the model
/// trained on. A setting the checkpoint does not record (an older xent) is not compared.
/// </summary>
internal static class ResumeChanges
{
    private const string KeepsLoss = "a resumed run goes on minimising the loss its checkpoint was trained with";
    private const string KeepsSchedule = "a resumed run goes on with its checkpoint's learning-rate schedule";

    /// <summary>The settings whose change is refused, in the order they are checked, with why.</summary>
    private static readonly (string Key, string Why)[] Refused =
    [
        ("loss", KeepsLoss), ("label_smoothing", KeepsLoss), ("class_weights", KeepsLoss), ("pos_weight", KeepsLoss),
        ("lr_schedule", KeepsSchedule), ("lr_gamma", KeepsSchedule),
    ];

    /// <summary>The settings whose change is allowed with a warning.</summary>
    private static readonly string[] Warned = ["patience", "limit_batches", "clip_grad_norm"];

    /// <summary>
    /// The refusal of the first option whose change would alter the model's inputs, its loss or its learning-rate schedule, or
    /// null. <paramref name="settings"/> are the resumed run's, as it would record them.
    /// </summary>
    public static string? Refusal(string checkpoint, IReadOnlyDictionary<string, string> saved, ModelSpec? savedSpec, ModelSpec spec,
        IReadOnlyList<KeyValuePair<string, string>> settings, string dataPath)
    {
        if (savedSpec is not null && savedSpec.ImputeMissing != spec.ImputeMissing)
            return Message(checkpoint, Missing(savedSpec.ImputeMissing), Missing(spec.ImputeMissing),
                "a resumed model takes its inputs as it was trained to");
        if (Changed(saved, settings, "input_scale") is { } scale)
            return $"cannot resume from '{checkpoint}': its model was trained on raw inputs of {scale.Was}, and '{dataPath}' gives " +
                $"{scale.Now}; the same images would reach it on another scale.";
        foreach (var (key, why) in Refused)
            if (Changed(saved, settings, key) is { } change)
                // A loss this xent cannot train with cannot be passed either (qa-s20-a L4).
                return key == "loss" && ResumedOptions.FromCheckpoint(saved, null).Loss is null
                    ? $"cannot resume from '{checkpoint}': it was trained with the loss {change.Was}, which this xent cannot " +
                        $"train with; {why}: leave out --resume to start a new run."
                    : Message(checkpoint, Option(key, change.Was, change.Now), Option(key, change.Now, change.Was), why);
        return null;
    }

    /// <summary>
    /// The refusal of the first loss, schedule or <c>--missing</c> option given explicitly (<paramref name="given"/>) with another
    /// value than the checkpoint's run recorded (<paramref name="saved"/>), or that does not apply to the loss or schedule the run
    /// takes from its checkpoint; null when none. Each message quotes the user's option as given, never a default: an option left
    /// out is the checkpoint's. <paramref name="multiLabel"/>: the checkpoint's kind, which <c>--loss auto</c> resolves by.
    /// </summary>
    public static string? GivenRefusal(string checkpoint, ResumedOptions saved, ResumedOptions given, bool multiLabel)
    {
        const string KeepsInputs = "a resumed model takes its inputs as it was trained to";
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        string F32(float v) => v.ToString("R", CultureInfo.InvariantCulture); // not via double: 0.1f would read 0.100000001490116
        string? Differs<T>(string option, T? was, T? now, string why, Func<T, string> text) where T : struct =>
            was is { } w && now is { } n && !w.Equals(n) ? Message(checkpoint, $"{option} {text(w)}", text(n), why) : null;
        string? DiffersText(string option, string? was, string? now, string why, string? shown = null) =>
            was is not null && now is not null && was != now ? Message(checkpoint, $"{option} {was}", shown ?? now, why) : null;

        string? loss = given.Loss == "auto" ? (multiLabel ? "bce-with-logits" : "cross-entropy") : given.Loss;
        string? schedule = given.Schedule ?? saved.Schedule;
        return DiffersText("--missing", saved.Missing, given.Missing, KeepsInputs)
            ?? DiffersText("--loss", saved.Loss, loss, KeepsLoss, given.Loss)
            // --gamma without --loss: the focal loss's exponent only where the checkpoint's loss is focal.
            ?? (given.Gamma is not null && given.Loss is null && saved.Loss is { } l && l != "focal"
                ? $"checkpoint '{checkpoint}' was trained with --loss {l}, which has no --gamma (the focal loss's exponent); " +
                    $"{KeepsLoss}: leave out --gamma, or leave out --resume to start a new run."
                : null)
            ?? Differs("--gamma", saved.Gamma, given.Gamma, KeepsLoss, F32)
            ?? Differs("--label-smoothing", saved.LabelSmoothing, given.LabelSmoothing, KeepsLoss, F32)
            ?? DiffersText("--class-weights", saved.ClassWeights, given.ClassWeights, KeepsLoss)
            ?? DiffersText("--pos-weight", saved.PosWeight, given.PosWeight, KeepsLoss)
            ?? DiffersText("--lr-schedule", saved.Schedule, given.Schedule, KeepsSchedule)
            ?? Differs("--warmup", saved.Warmup, given.Warmup, KeepsSchedule, w => w.ToString(CultureInfo.InvariantCulture))
            // --lr-gamma without --lr-schedule: the step schedule's factor only where the checkpoint's schedule is step.
            ?? (given.LrGamma is not null && given.Schedule is null && schedule is { } k && k != "step"
                ? $"checkpoint '{checkpoint}' was trained with --lr-schedule {k}, which has no --lr-gamma (the step schedule's factor); " +
                    $"{KeepsSchedule}: leave out --lr-gamma, or leave out --resume to start a new run."
                : null)
            ?? Differs("--lr-gamma", saved.LrGamma, given.LrGamma, KeepsSchedule, F);
    }

    /// <summary>
    /// One warning naming every option that differs from the checkpoint's run but leaves its model and loss as they were, with the
    /// old and new values; null when none does.
    /// </summary>
    public static string? OptionWarning(IReadOnlyDictionary<string, string> saved, IReadOnlyList<KeyValuePair<string, string>> settings)
    {
        var changes = new List<string>();
        // The cosine schedule decays to 0 at --epochs: another --epochs moves the rate where the run resumes.
        if (Value(settings, "lr_schedule")?.StartsWith("cosine", StringComparison.Ordinal) == true
            && Changed(saved, settings, "epochs") is { } epochs)
            changes.Add($"--epochs {epochs.Now} instead of {epochs.Was} (the cosine schedule now spans {epochs.Now} epochs, so the " +
                "learning rate jumps where the run resumes)");
        foreach (string key in Warned)
            if (Changed(saved, settings, key) is { } change)
                changes.Add($"{Option(key, change.Now)} instead of {Option(key, change.Was)}" + (key, change.Now) switch
                {
                    // The run goes on past its early stop: say what becomes of the best epoch's file.
                    ("patience", "none") => saved.ContainsKey("best_loss")
                        ? " (best.safetensors goes on holding the best held-out epoch)"
                        : " (best.safetensors is no longer updated: the checkpoint does not record its best held-out loss)",
                    _ => "",
                });
        return changes.Count == 0 ? null
            : $"Warning: resumed with options that differ from the checkpoint's run: {string.Join(", ", changes)}. The model and its " +
                "loss are as they were, but the run will not end where an uninterrupted one would, and its checkpoint records the new " +
                "values.";
    }

    /// <summary>
    /// A warning when the resumed run's held-out set may not be the checkpoint's run's: other data, another test set or split
    /// fraction, another <c>--seed</c> for a split, or training rows whose statistics differ from the checkpoint's
    /// (<paramref name="otherRows"/>); and when --data, the same file, no longer holds the bytes the checkpoint's run trained on
    /// (its <paramref name="fingerprint"/>, <see cref="TrainingDataWarning.Fingerprint"/>, against the checkpoint's
    /// <c>setting.data_sha256</c>, compared only when both have one), so that the resumed run does not go on with the same
    /// training. One warning says both: changed bytes usually change the statistics too. A .npy pair's --labels
    /// <paramref name="labelsPath"/> is compared the same way (<c>setting.labels_sha256</c>), whatever its path: the checkpoint
    /// records the labels' bytes, not where they were. Null when nothing changed.
    /// </summary>
    public static string? SplitWarning(IReadOnlyDictionary<string, string> saved, IReadOnlyList<KeyValuePair<string, string>> settings,
        long seed, bool split, bool otherRows, string dataPath, IReadOnlyList<KeyValuePair<string, string>> fingerprint,
        string? labelsPath = null)
    {
        var reasons = new List<string>();
        // A checkpoint from before data paths were recorded with links followed holds the path as typed: compared where it leads.
        bool otherPath = false;
        if (Changed(saved, settings, "data") is { } data && LinkWalk.RealPath(data.Was) != data.Now)
        {
            otherPath = true;
            reasons.Add($"--data '{data.Now}', not '{data.Was}'");
        }
        if (Changed(saved, settings, "test_data") is { } test) reasons.Add($"testing on {test.Now}, not {test.Was}");
        if (split && saved.TryGetValue("seed", out var savedSeed) && savedSeed != seed.ToString(CultureInfo.InvariantCulture))
            reasons.Add($"--seed {seed}, not {savedSeed}, draws another split");
        // Other data by path is said above; the same path whose bytes changed (edited, or downloaded again) only by its hash.
        bool otherBytes = !otherPath && Differs(saved, fingerprint, TrainingDataWarning.Sha256Key);
        bool otherLabels = labelsPath is not null && Differs(saved, fingerprint, TrainingDataWarning.LabelsSha256Key);
        // Other rows of a split may move samples between its parts; with --test-data the held-out set is that file, and the changed
        // statistics are the changed bytes', said once, below.
        if (otherRows && (split || !otherBytes))
            reasons.Add("the training split's mean and std differ from the checkpoint's, so its rows changed");
        const string Standardised = "The inputs are standardised with the checkpoint's mean and std, as the model was trained.";
        string heldOut = $"the held-out set may not be the one the checkpoint's run held out ({string.Join("; ", reasons)}): samples " +
            "the model trained on may now be tested on, so the test accuracy can be optimistic.";
        if (!otherBytes && !otherLabels)
            return reasons.Count == 0 ? null : $"Warning: {heldOut} {Standardised}";
        const string Its = "(its SHA-256 is not the one the checkpoint recorded)";
        string files = (otherBytes, otherLabels) switch
        {
            (true, false) => $"the contents of '{dataPath}' differ from the data the checkpoint's run trained on {Its}",
            (false, true) => $"the contents of --labels '{labelsPath}' differ from the labels the checkpoint's run trained on {Its}",
            _ => $"the contents of '{dataPath}' and of --labels '{labelsPath}' differ from the data and labels the checkpoint's run " +
                "trained on (their SHA-256 are not the ones the checkpoint recorded)",
        };
        string changed = $"Warning: {files}, so the resumed run does not continue the same training";
        return reasons.Count == 0 ? $"{changed}. {Standardised}" : $"{changed}; and {heldOut} {Standardised}";
    }

    /// <summary>
    /// Whether the checkpoint and this run both have a SHA-256 under <paramref name="key"/> and they differ: an older checkpoint, or
    /// data that is now a pipe or a folder, is not compared.
    /// </summary>
    private static bool Differs(IReadOnlyDictionary<string, string> saved, IReadOnlyList<KeyValuePair<string, string>> fingerprint,
        string key) =>
        saved.TryGetValue(key, out var trained) && fingerprint.FirstOrDefault(kv => kv.Key == key).Value is { } now
        && !string.Equals(now, trained, StringComparison.OrdinalIgnoreCase);

    /// <summary>A note that a calibrated checkpoint's temperature is not carried over; null for an uncalibrated one.</summary>
    public static string? TemperatureNote(ModelSpec? saved) =>
        saved is { Temperature: var t } && t != 1f
            ? $"note: the checkpoint's temperature {t.ToString("R", CultureInfo.InvariantCulture)} (xent calibrate) is not carried " +
                "over, since training changes the logits it was fitted to; calibrate the new checkpoint again."
            : null;

    /// <summary>The refusal of an option given with another value than the checkpoint's run: what it was, why, what to pass.</summary>
    internal static string Message(string checkpoint, string saved, string given, string why) =>
        $"checkpoint '{checkpoint}' was trained with {saved}, not {given}; {why}: pass {saved} or leave it out, or leave out --resume " +
            "to start a new run.";

    private static string Missing(bool impute) => impute ? "--missing mean" : "--missing error";

    /// <summary>
    /// A recorded setting as the options that give it; a schedule without a warm-up says <c>--warmup 0</c> where the other value
    /// (<paramref name="other"/>) has one, so that "pass …" names the option that differs.
    /// </summary>
    private static string Option(string key, string value, string? other = null) => (key, value) switch
    {
        ("lr_schedule", _) when !value.Contains(", warm-up ", StringComparison.Ordinal)
            && other?.Contains(", warm-up ", StringComparison.Ordinal) == true => $"--lr-schedule {value} --warmup 0",
        ("loss", "CrossEntropyLoss") => "--loss cross-entropy",
        ("loss", "BCEWithLogitsLoss") => "--loss bce-with-logits",
        ("loss", _) when value.StartsWith("FocalLoss(gamma=", StringComparison.Ordinal) && value.EndsWith(')') =>
            $"--loss focal --gamma {value["FocalLoss(gamma=".Length..^1]}",
        ("loss", _) => $"the loss {value}",
        ("lr_schedule", _) when value.Split(", warm-up ") is [var kind, var warmup] => $"--lr-schedule {kind} --warmup {warmup}",
        (_, "none") when key is "patience" or "limit_batches" or "clip_grad_norm" => $"no --{key.Replace('_', '-')}",
        _ => $"--{key.Replace('_', '-')} {value}",
    };

    private static string? Value(IReadOnlyList<KeyValuePair<string, string>> settings, string key) =>
        settings.FirstOrDefault(kv => kv.Key == key).Value;

    /// <summary>The checkpoint's and the run's values of setting <paramref name="key"/> when both record it and they differ.</summary>
    private static (string Was, string Now)? Changed(IReadOnlyDictionary<string, string> saved,
        IReadOnlyList<KeyValuePair<string, string>> settings, string key) =>
        saved.TryGetValue("setting." + key, out var was) && Value(settings, key) is { } now && now != was ? (was, now) : null;

    /// <summary>
    /// The refusal of an optimizer option that a resumed run would ignore, since its optimizer settings come from the checkpoint: an
    /// <c>--lr</c>, <c>--weight-decay</c> or <c>--momentum</c> given with a value other than the checkpoint's; null when none.
    /// </summary>
    public static string? IgnoredOptimizerOption(TrainSettings s, Optimizer opt, IReadOnlyDictionary<string, string> metadata)
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

    /// <summary>
    /// The <c>--lr</c> a resumed run has: the base rate a scheduled run saved (its group holds the scheduled rate of its last
    /// batch), else the group's rate.
    /// </summary>
    public static double SavedLr(Optimizer opt, IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue("base_lr.0", out var b)
        && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out double baseLr) ? baseLr : opt.ParamGroups[0].Lr;

    /// <summary>
    /// A warning when a run resumes with another global batch than the checkpoint's (<c>setting.batch_size</c> per rank times
    /// <c>setting.ranks</c>, which <c>--distributed</c> runs write; absent: one process), or with the same global batch split over
    /// another number of processes. Either way it no longer ends bit for bit where an uninterrupted run would. Null when neither
    /// changed, or when the checkpoint does not say.
    /// </summary>
    public static string? BatchWarning(IReadOnlyDictionary<string, string> checkpoint, int ranks, int perRankBatch)
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
}
