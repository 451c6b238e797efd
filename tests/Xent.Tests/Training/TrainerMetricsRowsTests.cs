using System.Globalization;
using Xent.NN;
using Xent.Optim;
using Xent.Tests.IO;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>
/// metrics.csv has one row per (epoch, batch) (qa-s18-mpi L3): an epoch whose length is a multiple of the log interval used to
/// get the interval row and then the epoch-end row with the same epoch and batch. The log still prints every interval's line.
/// </summary>
public sealed class TrainerMetricsRowsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (Tensor X, Tensor Y)[] Batches(int count)
    {
        var rnd = new Random(7);
        return [.. Enumerable.Range(0, count).Select(_ => (
            Tensor.FromArray(Enumerable.Range(0, 4 * 5).Select(_ => (float)(rnd.NextDouble() * 2 - 1)).ToArray(), [4, 5]),
            Tensor.FromArray(Enumerable.Range(0, 4).Select(_ => (long)rnd.Next(3)).ToArray())))];
    }

    /// <summary>
    /// Epochs of <paramref name="batches"/> batches (cut to <paramref name="limit"/>) with a log interval of 2: the rows are unique per
    /// (epoch, batch), their count is what the epoch length implies, the file holds the same rows, and the interval lines are logged.
    /// </summary>
    [Theory]
    [InlineData(4, null)] // a multiple of the interval: the case that duplicated
    [InlineData(5, null)] // not a multiple: nothing to skip
    [InlineData(6, 4)]    // --limit-batches a multiple of the interval
    [InlineData(2, null)] // one interval per epoch
    public void EachEpochBatchPairHasOneRow(int batches, int? limit)
    {
        const int interval = 2, epochs = 2;
        var train = Batches(batches);
        var model = new Sequential(new Linear(5, 3, generator: new Generator(3)));
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1), (x, y) => F.CrossEntropy(x, y), new TrainerOptions
        {
            Epochs = epochs, NumClasses = 3, LogInterval = interval, LimitBatches = limit,
            MetricsPath = _dir.File($"metrics-{batches}-{limit}.csv"),
        });
        var log = new List<string>();
        trainer.Log = log.Add;
        var losses = new List<(int Epoch, double Loss)>();
        trainer.BatchCompleted = p => losses.Add((p.Epoch, p.Loss));
        trainer.Run(_ => train, train.Length, () => train[..1]);

        int length = Math.Min(batches, limit ?? int.MaxValue);
        var rows = trainer.Rows;
        // Per epoch: an interval row at 2, 4, … below the last batch, then the epoch's row at the last batch.
        Assert.Equal(epochs * ((length - 1) / interval + 1), rows.Count);
        Assert.Equal(rows.Count, rows.Select(r => (r.Epoch, r.Batch)).Distinct().Count());
        for (int e = 1; e <= epochs; e++)
        {
            var ofEpoch = rows.Where(r => r.Epoch == e).ToList();
            int[] expectedBatches = [.. Enumerable.Range(1, (length - 1) / interval).Select(i => i * interval), length];
            Assert.Equal(expectedBatches, ofEpoch.Select(r => r.Batch));
            Assert.All(ofEpoch[..^1], r => Assert.False(r.IsEpochEnd));
            Assert.True(ofEpoch[^1].IsEpochEnd);
            // The epoch's row carries the mean of all its batches' losses, not the last interval's.
            Assert.Equal(losses.Where(l => l.Epoch == e).Average(l => l.Loss), ofEpoch[^1].TrainLoss, 12);
            // Every interval is still logged, the one ending on the last batch included.
            for (int b = interval; b <= length; b += interval)
            {
                double mean = losses.Where(l => l.Epoch == e).Skip(b - interval).Take(interval).Average(l => l.Loss);
                Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Epoch: {e}, Batch: {b}, Loss: {mean:F4}"), log);
            }
        }
        var written = MetricsCsvWriter.Read(_dir.File($"metrics-{batches}-{limit}.csv"));
        Assert.Equal(rows.Select(r => (r.Epoch, r.Batch, r.IsEpochEnd)), written.Select(r => (r.Epoch, r.Batch, r.IsEpochEnd)));
    }
}
