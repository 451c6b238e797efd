using System.Globalization;

namespace Xent.Training;

/// <summary>
/// The sanity checks the PyTorch tutorial teaches: a freshly initialised C-class classifier starts near
/// <c>ln C</c> (about 2.3 for 10 classes); a loss that turns NaN or infinite means training
/// diverged; an epoch that clearly raises the loss hints at a learning rate that is too high.
/// Each check returns a message (null when all is well) so callers decide how to show it.
/// </summary>
public static class TrainingDiagnostics
{
    /// <summary>How far (in nats) the first loss may sit from <c>ln C</c> before <see cref="CheckInitialLoss"/> warns.</summary>
    public const double InitialLossTolerance = 1.0;

    /// <summary>The expected initial loss of an uninformed C-class classifier: <c>ln C</c>.</summary>
    public static double ExpectedInitialLoss(int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 2);
        return Math.Log(numClasses);
    }

    /// <summary>
    /// Compares the first batch's loss with <c>ln C</c>; returns a warning when
    /// <c>|loss − ln C| &gt; </c><see cref="InitialLossTolerance"/>, otherwise null. Non-finite losses are left to
    /// <see cref="CheckFinite(double, int, int)"/>.
    /// </summary>
    public static string? CheckInitialLoss(double loss, int numClasses)
    {
        double expected = ExpectedInitialLoss(numClasses);
        if (!double.IsFinite(loss) || Math.Abs(loss - expected) <= InitialLossTolerance) return null;
        string hint = loss > expected
            ?
                "the initial logits are large: check the weight initialisation, the input normalisation, or whether the model already " +
                "applies softmax/log-softmax"
            : "the model is already confident at the start: check for a label leak or a model loaded from a checkpoint";
        return string.Create(CultureInfo.InvariantCulture,
            $"initial loss {NumberText.Fixed(loss)} is far from ln({numClasses}) = {expected:F4}, the loss of a uniform guess; {hint}.");
    }

    /// <summary>Returns an error message when <paramref name="loss"/> is NaN or infinite, otherwise null.</summary>
    public static string? CheckFinite(double loss, int epoch, int batch) => CheckFinite(loss, epoch, batch, null);

    /// <summary>
    /// <see cref="CheckFinite(double, int, int)"/>, with the advice naming <paramref name="learningRateOption"/> (the CLI's
    /// <c>--lr</c>) after "learning rate" when it is not null.
    /// </summary>
    internal static string? CheckFinite(double loss, int epoch, int batch, string? learningRateOption)
    {
        if (double.IsFinite(loss)) return null;
        string what = double.IsNaN(loss) ? "NaN" : "infinite";
        return string.Create(CultureInfo.InvariantCulture,
            $"the loss became {what} at epoch {epoch}, batch {batch}; training stopped. Try a lower learning rate" +
            $"{Option(learningRateOption)}.");
    }

    /// <summary>
    /// " (--lr)" for a command line's option, "" for the library: the advice says "learning rate", which a library user sets on
    /// the optimizer, and the CLI adds the flag that sets it there (qa-s21-tutorial L1).
    /// </summary>
    internal static string Option(string? option) => option is null ? "" : $" ({option})";

    /// <summary>
    /// How much (relative) an epoch's mean training loss may lie above the best before it before
    /// <see cref="CheckEpochProgress(int, double?, double)"/> warns. With shuffled mini-batches on a small table (8 batches an
    /// epoch), and on a plateau, an epoch's loss moves by 10–15% either way from noise alone; a learning rate that is too high
    /// drives it further up.
    /// </summary>
    internal const double EpochRiseTolerance = 0.25;

    /// <summary>
    /// A rise of at most this many nats is never warned about: a loss near zero (0.0069 -> 0.0098) rises by more than
    /// <see cref="EpochRiseTolerance"/> from noise alone, and there is little left to learn that a lower rate would find.
    /// </summary>
    internal const double EpochRiseFloor = 0.01;

    /// <summary>
    /// Warns when epoch <paramref name="epoch"/>'s mean training loss lies above <paramref name="previousEpochLoss"/> (the lowest
    /// loss of the epochs before, as <c>Trainer</c> passes it) by more than 25% of it, and by more than 0.01 (nats): the sign of
    /// a learning rate that is too high. Null otherwise, and for the first epoch (when
    /// <paramref name="previousEpochLoss"/> is null). A loss that stops falling without rising is <c>Trainer</c>'s to tell (no new
    /// best for several epochs).
    /// </summary>
    public static string? CheckEpochProgress(int epoch, double? previousEpochLoss, double epochLoss) =>
        CheckEpochProgress(epoch, previousEpochLoss, epochLoss, null);

    /// <summary>
    /// <see cref="CheckEpochProgress(int, double?, double)"/>, with the advice naming <paramref name="learningRateOption"/> (the
    /// CLI's <c>--lr</c>) when it is not null.
    /// </summary>
    internal static string? CheckEpochProgress(int epoch, double? previousEpochLoss, double epochLoss, string? learningRateOption)
    {
        if (previousEpochLoss is not double prev || !double.IsFinite(prev) || !double.IsFinite(epochLoss)) return null;
        if (epochLoss - prev <= Math.Max(EpochRiseTolerance * prev, EpochRiseFloor)) return null;
        // A diverging run's loss (2.1e19) and rise are said in a few digits, not as 21335953915787292672.0000 and 13549433317005%.
        double ratio = epochLoss / prev;
        string how = ratio < 10 ? string.Create(CultureInfo.InvariantCulture, $"{100 * (ratio - 1):F0}% above")
            : $"{NumberText.Ratio(ratio)} times";
        string rise = $"epoch {epoch}'s training loss ({NumberText.Fixed(epochLoss)}) is {how} the best before it " +
            $"({NumberText.Fixed(prev)})";
        return rise + $"; the learning rate may be too high: try a lower one{Option(learningRateOption)}.";
    }
}
