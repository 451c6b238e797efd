namespace Xent.Training;

/// <summary>Reported after every training batch, for progress displays.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Batch">1-based batch within the epoch.</param>
/// <param name="BatchesPerEpoch">Batches this epoch will run.</param>
/// <param name="Loss">This batch's loss.</param>
/// <param name="RunningLoss">Mean loss since the last log line (or the epoch start).</param>
/// <param name="Samples">Training samples seen this epoch.</param>
/// <param name="EpochSeconds">Seconds since the epoch started.</param>
public readonly record struct BatchProgress(int Epoch, int Batch, int BatchesPerEpoch, double Loss, double RunningLoss, long Samples,
    double EpochSeconds);
