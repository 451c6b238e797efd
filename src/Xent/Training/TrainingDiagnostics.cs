using System.Globalization;

namespace Xent.Training;

/// <summary>
/// The sanity checks the PyTorch tutorial teaches: a freshly initialised C-class classifier starts near
/// <c>ln C</c> (about 2.3 for 10 classes); a loss that turns NaN or infinite means training
/// diverged; an epoch that does not lower the loss hints at a learning-rate or model problem.
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
    /// <see cref="CheckFinite"/>.
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
            $"initial loss {loss:F4} is far from ln({numClasses}) = {expected:F4}, the loss of a uniform guess; {hint}.");
    }

    /// <summary>Returns an error message when <paramref name="loss"/> is NaN or infinite, otherwise null.</summary>
    public static string? CheckFinite(double loss, int epoch, int batch)
    {
        if (double.IsFinite(loss)) return null;
        string what = double.IsNaN(loss) ? "NaN" : "infinite";
        return string.Create(CultureInfo.InvariantCulture,
            $"the loss became {what} at epoch {epoch}, batch {batch}; training stopped. Try a lower learning rate (--lr).");
    }

    /// <summary>
    /// Warns when epoch <paramref name="epoch"/>'s mean training loss is not lower than the previous epoch's; null otherwise
    /// (and for the first epoch, when <paramref name="previousEpochLoss"/> is null).
    /// </summary>
    public static string? CheckEpochProgress(int epoch, double? previousEpochLoss, double epochLoss)
    {
        if (previousEpochLoss is not double prev || !double.IsFinite(prev) || !double.IsFinite(epochLoss)) return null;
        if (epochLoss < prev) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch} did not lower the training loss ({prev:F4} -> {epochLoss:F4}); the learning rate may be too high or too low.");
    }
}
