using System.Globalization;

namespace Xent.Training;

/// <summary>
/// Watches the mean training loss epoch by epoch and tells a real lack of progress from noise: a loss clearly above the best so
/// far (<see cref="TrainingDiagnostics.CheckEpochProgress(int, double?, double)"/>), or no new best for <see cref="StallEpochs"/>
/// epochs in a row. Each is said once until the loss reaches a new best. An epoch a little above the one before is normal with
/// shuffled mini-batches (on iris, 10–15% at the end of a cosine schedule) and is not reported.
/// </summary>
internal sealed class EpochProgress
{
    /// <summary>Epochs in a row without a new best after which <see cref="Add"/> warns (once until the next best).</summary>
    internal const int StallEpochs = 10;

    /// <summary>A new best lies at least this much (relative) below the old one: a plateau that wobbles is not progress.</summary>
    internal const double BestMargin = 0.01;

    /// <summary>
    /// Below this fraction of the base learning rate the schedule is annealing (the last third of a cosine run, StepLR after a
    /// few decays): a loss that stops falling is then what the user scheduled, and "try another learning rate" would be wrong
    /// advice.
    /// </summary>
    internal const double AnnealedRate = 0.25;

    /// <summary>The command line's learning-rate option (<c>--lr</c>), named in the advice; null in the library.</summary>
    public string? LearningRateOption { get; init; }

    private double _best = double.PositiveInfinity;
    private int _bestEpoch, _since;
    private bool _warnedRise, _warnedStall; // since the last best: each warning on its own, so one does not silence the other

    /// <summary>Starts from a resumed checkpoint's epoch and training loss, as if the run had watched them.</summary>
    public void Resume(int epoch, double loss)
    {
        if (double.IsFinite(loss)) (_best, _bestEpoch, _since, _warnedRise, _warnedStall) = (loss, epoch, 0, false, false);
    }

    /// <summary>
    /// Records epoch <paramref name="epoch"/>'s mean training loss; a warning, or null when the run makes progress.
    /// <paramref name="rateFactor"/> is the schedule's factor of the base learning rate at the epoch's last step: no stall warning
    /// below <see cref="AnnealedRate"/>.
    /// </summary>
    public string? Add(int epoch, double loss, double rateFactor = 1)
    {
        if (!double.IsFinite(loss)) return null; // a diverged run stops with its own error
        if (loss < _best * (1 - BestMargin))
        {
            (_best, _bestEpoch, _since, _warnedRise, _warnedStall) = (loss, epoch, 0, false, false);
            return null;
        }
        _since++;
        if (!_warnedRise && TrainingDiagnostics.CheckEpochProgress(epoch, _best, loss, LearningRateOption) is { } rise)
        {
            _warnedRise = true;
            return rise;
        }
        if (_warnedStall || _since < StallEpochs || rateFactor < AnnealedRate) return null;
        _warnedStall = true;
        return string.Create(CultureInfo.InvariantCulture,
            $"the training loss has not gone 1% below its best ({NumberText.Fixed(_best)}, epoch {_bestEpoch}) for {_since} epochs") +
            $": if it is still high, try another learning rate{TrainingDiagnostics.Option(LearningRateOption)}, lower if the loss " +
            "jumps around and higher if it barely moves, or a larger model; if it is low, the model has learned what it can here and " +
            "more epochs will not help.";
    }
}
