namespace Xent.Training;

/// <summary>Reported at the end of each epoch, after the test pass and the checkpoint.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Batches">Training batches run.</param>
/// <param name="TrainLoss">Mean training loss over the epoch.</param>
/// <param name="Test">Test-set metrics after the epoch.</param>
/// <param name="Seconds">Cumulative wall-clock seconds of training.</param>
public sealed record EpochResult(int Epoch, int Batches, double TrainLoss, EvaluationResult Test, double Seconds);
