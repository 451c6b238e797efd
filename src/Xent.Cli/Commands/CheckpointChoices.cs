using Xent.Optim;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// A checkpoint's named values are read in any case as their canonical spelling, as <see cref="OptionChoices"/> reads the options
/// that record them: a hand-edited or another tool's <c>model "MLP"</c> or <c>setting.optimizer "SGD"</c> is the <c>mlp</c> or
/// <c>sgd</c> that xent writes, not a model or optimizer it does not know (qa-s19-a L5). The <c>spec.*</c> entries are read so by
/// <see cref="ModelSpec.FromMetadata(IReadOnlyDictionary{string, string})"/>. A value that is none of them is left as it is,
/// and refused where it is read.
/// </summary>
internal static class CheckpointChoices
{
    private static readonly (string Key, IReadOnlyList<string> Values)[] Named =
    [
        ("model", ModelCatalog.Names), ("setting.optimizer", OptimizerCatalog.Names),
        ("setting.class_weights", ["none", "inverse-frequency"]), ("setting.pos_weight", ["none", "auto"]),
    ];

    /// <summary>The losses as recorded (PyTorch's class names); the focal loss as <c>FocalLoss(gamma=G)</c>.</summary>
    private const string LossKey = "setting.loss", Focal = "FocalLoss(gamma=";

    private static readonly string[] Losses = ["CrossEntropyLoss", "BCEWithLogitsLoss"];

    /// <summary>The schedule is recorded as its kind, then <c>", warm-up N"</c> when there is one.</summary>
    private const string Schedule = "setting.lr_schedule", WarmupSuffix = ", warm-up ";

    /// <summary>Replaces each named value of <paramref name="metadata"/> that is one of its names in another case by that name.</summary>
    public static void Canonicalize(Dictionary<string, string> metadata)
    {
        foreach (var (key, values) in Named)
            if (metadata.TryGetValue(key, out var value) && OptionChoices.Canonical(value, values) is { } name)
                metadata[key] = name;
        // A loss in another case ("crossentropyloss") was read as one this xent does not know (qa-s20-a L4).
        if (metadata.TryGetValue(LossKey, out var loss))
        {
            if (OptionChoices.Canonical(loss, Losses) is { } lossName) metadata[LossKey] = lossName;
            else if (loss.StartsWith(Focal, StringComparison.OrdinalIgnoreCase) && loss.EndsWith(')'))
                metadata[LossKey] = Focal + loss[Focal.Length..];
        }
        if (metadata.TryGetValue(Schedule, out var schedule))
        {
            int end = schedule.IndexOf(WarmupSuffix, StringComparison.OrdinalIgnoreCase) is int at and >= 0 ? at : schedule.Length;
            if (OptionChoices.Canonical(schedule[..end], LrSchedule.Kinds) is { } kind)
                metadata[Schedule] = kind + (end < schedule.Length ? WarmupSuffix + schedule[(end + WarmupSuffix.Length)..] : "");
        }
    }
}
