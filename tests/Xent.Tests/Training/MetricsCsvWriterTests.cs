using Xent.Tests.IO;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

public class MetricsCsvWriterTests
{
    [Fact]
    public void WritesHeaderIntervalRowsAndEpochRows()
    {
        using var dir = new TempDirectory();
        string path = dir.File("metrics.csv");
        using (var w = MetricsCsvWriter.Create(path))
        {
            w.Write(new MetricsRow(1, 100, 0.5, null, null, 1.25));
            w.Write(new MetricsRow(1, 150, 0.375, 0.25, 0.9125, 2.0));
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(["epoch,batch,train_loss,test_loss,test_accuracy,seconds", "1,100,0.5,,,1.250", "1,150,0.375,0.25,0.9125,2.000"], lines);
        var rows = MetricsCsvWriter.Read(path);
        Assert.Equal(2, rows.Count);
        Assert.False(rows[0].IsEpochEnd);
        Assert.Equal(0.9125, rows[1].TestAccuracy);
    }

    [Fact]
    public void RoundTripsDoublesExactlyWhateverTheCulture()
    {
        var saved = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        }
        catch (System.Globalization.CultureNotFoundException) { } // invariant-globalization builds: nothing to switch
        try
        {
            double loss = 1.0 / 3.0;
            string line = MetricsCsvWriter.Format(new MetricsRow(2, 7, loss, null, null, 0));
            Assert.Equal(6, line.Split(',').Length);
            Assert.Equal(loss, double.Parse(line.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture));
        }
        finally { System.Globalization.CultureInfo.CurrentCulture = saved; }
    }

    [Fact]
    public void ContinueKeepsEarlierEpochsAndDropsLaterOnes()
    {
        using var dir = new TempDirectory();
        string path = dir.File("metrics.csv");
        using (var w = MetricsCsvWriter.Create(path))
        {
            w.Write(new MetricsRow(1, 4, 0.5, 0.4, 0.8, 1));
            w.Write(new MetricsRow(2, 4, 0.3, 0.35, 0.85, 2));
        }
        var (writer, kept) = MetricsCsvWriter.Continue(path, keepThroughEpoch: 1);
        using (writer) writer.Write(new MetricsRow(2, 4, 0.25, 0.3, 0.9, 3));
        Assert.Single(kept);
        var rows = MetricsCsvWriter.Read(path);
        Assert.Equal([1, 2], rows.Select(r => r.Epoch));
        Assert.Equal(0.25, rows[1].TrainLoss);
    }
}
