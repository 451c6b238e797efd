using System.Globalization;
using Xent.NN;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary><c>xent train</c>'s loss: the criterion its options and the data choose, and the loss options the data refuses.</summary>
internal static class TrainLoss
{
    /// <summary>
    /// Why a loss option does not fit the data, or null: <c>--pos-weight</c> weighs BCEWithLogitsLoss's positives (multi-label only),
    /// and <c>--class-weights</c> and <c>--label-smoothing</c> belong to the single-label losses; the other loss would ignore them.
    /// </summary>
    public static string? OptionMismatch(TrainSettings s, bool multiLabel, string dataPath)
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
    public static (Func<Tensor, Tensor, Tensor> Criterion, string Label, Tensor? Weight) Criterion(
        TrainSettings s, TrainData.Prepared prep, string lossName)
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

    /// <summary>
    /// BCEWithLogitsLoss pos_weight per label: negatives / positives in the training split (1 for a label that is never positive).
    /// </summary>
    public static Tensor PosWeights(ReadOnlySpan<long> positives, int count)
    {
        var w = new float[positives.Length];
        for (int k = 0; k < w.Length; k++) w[k] = positives[k] == 0 ? 1f : (float)((double)(count - positives[k]) / positives[k]);
        return Tensor.FromArray(w);
    }
}
