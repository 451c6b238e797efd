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
        Assert.Equal(["epoch,batch,train_loss,test_loss,test_accuracy,seconds", "1,100,0.5,,,1.250", "1,150,0.375,0.25,0.9125,2.000"],
            lines);
        var rows = MetricsCsvWriter.Read(path);
        Assert.Equal(2, rows.Count);
        Assert.False(rows[0].IsEpochEnd);
        Assert.Equal(0.9125, rows[1].TestAccuracy);
    }

    [Fact]
    public void AFileThatCannotBeWrittenIsNamedAsEveryOtherWriteNamesIt()
    {
        // .NET says "No space left on device : 'path'" or "Could not find a part of the path 'path'"; xent's other writes say
        // "Cannot write 'path': reason" (AtomicFileWriter), and so does metrics.csv now.
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.File("missing"), "metrics.csv");
        var e = Assert.ThrowsAny<IOException>(() => MetricsCsvWriter.Create(path));
        Assert.StartsWith($"Cannot write '{path}': ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FormatsWithTheInvariantCultureWhateverTheCurrentOne()
    {
        // InvariantGlobalization rules out named cultures such as de-DE, but a clone of the invariant culture can be
        // given German-style symbols: a writer that used the current culture would write "0,3333…" and "−2,5".
        var german = (System.Globalization.CultureInfo)System.Globalization.CultureInfo.InvariantCulture.Clone();
        german.NumberFormat.NumberDecimalSeparator = ",";
        german.NumberFormat.NumberGroupSeparator = ".";
        german.NumberFormat.NegativeSign = "\u2212";
        var saved = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = german;
        try
        {
            Assert.Equal("0,5", 0.5.ToString()); // the culture is in effect
            double loss = 1.0 / 3.0;
            Assert.Equal("12,3456,0.3333333333333333,-2.5,0.875,1234.500",
                MetricsCsvWriter.Format(new MetricsRow(12, 3456, loss, -2.5, 0.875, 1234.5)));
            Assert.Equal(loss, double.Parse(MetricsCsvWriter.Format(new MetricsRow(2, 7, loss, null, null, 0)).Split(',')[2],
                System.Globalization.CultureInfo.InvariantCulture));
        }
        finally { System.Globalization.CultureInfo.CurrentCulture = saved; }
    }

    [Fact]
    public void ResumeDropsATornLastRowButNotADamagedOne()
    {
        using var dir = new TempDirectory();
        string path = dir.File("metrics.csv");
        File.WriteAllText(path, "epoch,batch,train_loss,test_loss,test_accuracy,seconds\n1,4,0.5,0.4,0.8,1.000\n2,4,0.3");
        var (writer, kept) = MetricsCsvWriter.Continue(path, keepThroughEpoch: 2);
        using (writer) writer.Write(new MetricsRow(2, 4, 0.25, 0.3, 0.9, 3));
        Assert.Equal([1], kept.Select(r => r.Epoch));
        Assert.Equal(["epoch,batch,train_loss,test_loss,test_accuracy,seconds", "1,4,0.5,0.4,0.8,1.000", "2,4,0.25,0.3,0.9,3.000"],
            File.ReadAllLines(path));

        // A whole (newline-terminated) malformed row is damage, not an interrupted write: still an error.
        File.WriteAllText(path, "epoch,batch,train_loss,test_loss,test_accuracy,seconds\n1,x,0.5,0.4,0.8,1.000\n2,4,0.3,0.2,0.9,2.000\n");
        Assert.Contains("line 2", Assert.Throws<InvalidDataException>(() => MetricsCsvWriter.Continue(path, 2)).Message);
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
