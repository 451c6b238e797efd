namespace Xent.Training;

/// <summary>
/// One row of <c>metrics.csv</c>: a running training loss every log interval, and at the end of
/// each epoch a row that also carries the test loss and accuracy (in place of an interval row at the epoch's last batch).
/// </summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Batch">1-based batch index within the epoch (the epoch's batch count on end-of-epoch rows).</param>
/// <param name="TrainLoss">Mean training loss over the last log interval, or over the whole epoch on end-of-epoch rows.</param>
/// <param name="TestLoss">Mean test cross-entropy; only on end-of-epoch rows.</param>
/// <param name="TestAccuracy">Test accuracy as a fraction in [0, 1]; only on end-of-epoch rows.</param>
/// <param name="Seconds">
/// Wall-clock seconds elapsed since the run started when the row was written, not the epoch's own time; a resumed run goes
/// on from its checkpoint's count (the time between the interruption and the resume is not counted).
/// </param>
public sealed record MetricsRow(int Epoch, int Batch, double TrainLoss, double? TestLoss, double? TestAccuracy, double Seconds)
{
    /// <summary>True for the end-of-epoch rows (those with test metrics).</summary>
    public bool IsEpochEnd => TestAccuracy.HasValue;
}
