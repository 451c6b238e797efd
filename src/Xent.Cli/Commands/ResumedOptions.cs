using System.Globalization;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// The loss, learning-rate schedule and missing-value options of a run, in <c>xent train</c>'s terms: those a checkpoint
/// records (<see cref="FromCheckpoint"/>), which a resumed run takes for every such option left out, as it takes the optimizer's;
/// or those a command line gave explicitly. Null: not recorded (an older xent, or a setting that does not apply, such as
/// <c>--gamma</c> without the focal loss), or not given.
/// </summary>
/// <param name="Loss">cross-entropy, bce-with-logits or focal (a command line's may be auto).</param>
/// <param name="Gamma">The focal loss's exponent.</param>
/// <param name="LabelSmoothing">Cross-entropy's label smoothing.</param>
/// <param name="ClassWeights">none or inverse-frequency.</param>
/// <param name="PosWeight">none or auto (multi-label runs only).</param>
/// <param name="Schedule">none, step or cosine.</param>
/// <param name="Warmup">Warm-up batches.</param>
/// <param name="LrGamma">The step schedule's factor per epoch.</param>
/// <param name="Missing">error or mean.</param>
internal sealed record ResumedOptions(string? Loss = null, float? Gamma = null, float? LabelSmoothing = null,
    string? ClassWeights = null, string? PosWeight = null, string? Schedule = null, int? Warmup = null, double? LrGamma = null,
    string? Missing = null)
{
    private const string FocalPrefix = "FocalLoss(gamma=";

    /// <summary>
    /// The options a checkpoint's <c>setting.*</c> metadata and spec record; a value this xent cannot read is left null, and is then
    /// neither taken nor compared here (<see cref="ResumeChanges.Refusal"/> still compares the recorded text).
    /// </summary>
    public static ResumedOptions FromCheckpoint(IReadOnlyDictionary<string, string> metadata, ModelSpec? spec)
    {
        var ci = CultureInfo.InvariantCulture;
        string? Setting(string key) => metadata.TryGetValue("setting." + key, out var v) ? v : null;
        string? loss = null;
        float? gamma = null;
        switch (Setting("loss"))
        {
            case "CrossEntropyLoss": loss = "cross-entropy"; break;
            case "BCEWithLogitsLoss": loss = "bce-with-logits"; break;
            case { } focal when focal.StartsWith(FocalPrefix, StringComparison.Ordinal) && focal.EndsWith(')')
                && float.TryParse(focal[FocalPrefix.Length..^1], NumberStyles.Float, ci, out float g):
                (loss, gamma) = ("focal", g);
                break;
        }
        float? smoothing = float.TryParse(Setting("label_smoothing"), NumberStyles.Float, ci, out float ls) ? ls : null;
        // "cosine, warm-up 100" or "none"; a schedule without a warm-up has warm-up 0.
        string? schedule = null;
        int? warmup = null;
        if (Setting("lr_schedule")?.Split(", warm-up ") is { } parts && LrSchedule.Kinds.Contains(parts[0]))
        {
            if (parts.Length == 1) (schedule, warmup) = (parts[0], 0);
            else if (parts.Length == 2 && int.TryParse(parts[1], NumberStyles.None, ci, out int w)) (schedule, warmup) = (parts[0], w);
        }
        double? lrGamma = double.TryParse(Setting("lr_gamma"), NumberStyles.Float, ci, out double lg) ? lg : null;
        return new ResumedOptions(loss, gamma, smoothing,
            Setting("class_weights") is "none" or "inverse-frequency" ? Setting("class_weights") : null,
            Setting("pos_weight") is "none" or "auto" ? Setting("pos_weight") : null,
            schedule, warmup, lrGamma, spec is null ? null : spec.ImputeMissing ? "mean" : "error");
    }
}
