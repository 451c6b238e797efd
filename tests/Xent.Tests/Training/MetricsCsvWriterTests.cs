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

    [Theory]
    [InlineData(2.4660359638230113E-05, "0.000024660359638230113")] // "R" wrote "2.4660359638230113E-05" beside "0.5"
    [InlineData(-1.5E-07, "-0.00000015")]
    [InlineData(1E+16, "10000000000000000")]
    [InlineData(1.2345678901234567E+20, "123456789012345670000")]
    [InlineData(0.5, "0.5")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1.2345678901234568E-15, "0.0000000000000012345678901234568")] // 33 characters, the longest
    [InlineData(0, "0")]
    // qa-s20-b L3: written out, the smallest subnormal took 326 characters ("0." then 323 zeros and "5"), and a probability of a
    // far-off input as many; below 1e-15 and from 1e21 the exponent stays.
    [InlineData(5E-324, "5E-324")]
    [InlineData(4.2415194840608065E-251, "4.2415194840608065E-251")]
    [InlineData(-9.99E-16, "-9.99E-16")]
    [InlineData(1E+21, "1E+21")]
    public void NumbersArePlainDecimalsWithoutAnExponent(double value, string expected)
    {
        string text = MetricsCsvWriter.Plain(value);
        Assert.Equal(expected, text);
        Assert.Equal(value, double.Parse(text, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void PlainNumbersReadBackToTheSameDoubleAndFloat()
    {
        // Random bit patterns cover every exponent; float32 losses widened to double must read back to the same float.
        var random = new Random(20261207);
        var c = System.Globalization.CultureInfo.InvariantCulture;
        for (int i = 0; i < 20000; i++)
        {
            double d = BitConverter.Int64BitsToDouble(random.NextInt64());
            float f = BitConverter.Int32BitsToSingle(random.Next() ^ (random.Next(2) << 31));
            foreach (double v in new[] { d, (double)f, random.NextDouble() * Math.Pow(10, random.Next(-12, 4)) })
            {
                if (!double.IsFinite(v)) continue;
                string text = MetricsCsvWriter.Plain(v);
                Assert.InRange(text.Length, 1, 34);
                if (v == 0 || Math.Abs(v) is >= MetricsCsvWriter.PlainFrom and < MetricsCsvWriter.PlainBelow)
                    Assert.DoesNotContain('E', text);
                Assert.DoesNotContain('e', text);
                Assert.Equal(BitConverter.DoubleToInt64Bits(v), BitConverter.DoubleToInt64Bits(double.Parse(text, c)));
            }
            if (float.IsFinite(f)) Assert.Equal(f, (float)double.Parse(MetricsCsvWriter.Plain(f), c));
        }
        Assert.Equal("NaN", MetricsCsvWriter.Plain(double.NaN));
        Assert.Equal("-Infinity", MetricsCsvWriter.Plain(double.NegativeInfinity));
    }

    [Fact]
    public void FilesWithExponentsFromEarlierVersionsStillReadAndResume()
    {
        using var dir = new TempDirectory();
        string path = dir.File("metrics.csv");
        File.WriteAllText(path, "epoch,batch,train_loss,test_loss,test_accuracy,seconds\n" +
            "1,4,2.4660359638230113E-05,1.5E-07,0.9,1.000\n2,4,0.3,0.2,0.95,2.000\n");
        var rows = MetricsCsvWriter.Read(path);
        Assert.Equal(2.4660359638230113E-05, rows[0].TrainLoss);
        Assert.Equal(1.5E-07, rows[0].TestLoss);
        // --resume keeps the earlier rows, now written in the one plain form.
        var (writer, kept) = MetricsCsvWriter.Continue(path, keepThroughEpoch: 1);
        writer.Dispose();
        Assert.Equal(2.4660359638230113E-05, Assert.Single(kept).TrainLoss);
        Assert.Equal(["epoch,batch,train_loss,test_loss,test_accuracy,seconds", "1,4,0.000024660359638230113,0.00000015,0.9,1.000"],
            File.ReadAllLines(path));
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
