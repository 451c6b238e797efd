using System.Globalization;
using System.Text;
using Xent.IO;

namespace Xent.Training;

/// <summary>
/// Writes <c>metrics.csv</c>: header <see cref="Header"/>, one row per log interval and one per
/// epoch end (see <see cref="MetricsRow"/>); the trainer writes no interval row at an epoch's last batch, so each (epoch, batch)
/// has one row. Numbers use the invariant culture; losses and accuracies are written with
/// the shortest digits that read back to the same double, always as plain decimals (never "2.4E-05"), and
/// <c>seconds</c> with three decimals. Each row is flushed as it is written so a crash keeps every finished row.
/// </summary>
public sealed class MetricsCsvWriter : IDisposable
{
    /// <summary>The header line.</summary>
    public const string Header = "epoch,batch,train_loss,test_loss,test_accuracy,seconds";

    private readonly StreamWriter _writer;

    private MetricsCsvWriter(StreamWriter writer, string path)
    {
        _writer = writer;
        Path = path;
    }

    /// <summary>The file being written.</summary>
    public string Path { get; }

    /// <summary>Creates (or truncates) <paramref name="path"/> and writes the header.</summary>
    public static MetricsCsvWriter Create(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Naming(path, () =>
        {
            var w = new StreamWriter(path, append: false, new UTF8Encoding(false)) { NewLine = "\n" };
            w.WriteLine(Header);
            w.Flush();
            return new MetricsCsvWriter(w, path);
        });
    }

    /// <summary>
    /// Runs <paramref name="write"/>, a failure worded as every other write's (<c>Cannot write 'path': No space left on device</c>,
    /// not .NET's <c>No space left on device : 'path'</c>).
    /// </summary>
    private static T Naming<T>(string path, Func<T> write)
    {
        try
        {
            return write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw AtomicFileWriter.Named(e, path, path);
        }
    }

    /// <summary>
    /// Continues a resumed run: keeps the rows of <paramref name="path"/> up to and including epoch
    /// <paramref name="keepThroughEpoch"/> (rewritten atomically), drops later ones, and appends after them.
    /// Creates the file when it does not exist.
    /// </summary>
    /// <returns>The writer and the kept rows.</returns>
    public static (MetricsCsvWriter Writer, List<MetricsRow> Kept) Continue(string path, int keepThroughEpoch)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) return (Create(path), []);
        // robustness (issue 13): a run killed mid-write leaves a torn last line; resuming drops it (MetricsCsvRecovery.cs).
        var kept = MetricsCsvRecovery.ReadWholeRows(path).Where(r => r.Epoch <= keepThroughEpoch).ToList();
        using (var atomic = AtomicFileWriter.Begin(path))
        {
            using (var tw = new StreamWriter(atomic.Stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" })
            {
                tw.WriteLine(Header);
                foreach (var r in kept) tw.WriteLine(Format(r));
            }
            atomic.Commit();
        }
        var w = Naming(path, () => new StreamWriter(path, append: true, new UTF8Encoding(false)) { NewLine = "\n" });
        return (new MetricsCsvWriter(w, path), kept);
    }

    /// <summary>Appends one row and flushes.</summary>
    public void Write(MetricsRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        Naming(Path, () =>
        {
            _writer.WriteLine(Format(row));
            _writer.Flush();
            return 0;
        });
    }

    /// <summary>Formats a row as a CSV line (no newline); the test columns are empty unless set.</summary>
    public static string Format(MetricsRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var c = CultureInfo.InvariantCulture;
        return string.Join(',',
            row.Epoch.ToString(c),
            row.Batch.ToString(c),
            Plain(row.TrainLoss),
            row.TestLoss is { } testLoss ? Plain(testLoss) : "",
            row.TestAccuracy is { } accuracy ? Plain(accuracy) : "",
            row.Seconds.ToString("F3", c));
    }

    /// <summary>
    /// <paramref name="v"/> with the shortest digits that read back to it ("R"), written out without an exponent from
    /// <see cref="PlainBelow"/> down to <see cref="PlainFrom"/> (and 0): "R" gives "2.4660359638230113E-05" beside "0.5", and this
    /// "0.000024660359638230113", so that ordinary numbers have one form. Beyond that range "R"'s exponent form stays
    /// ("4.2415194840608065E-251"): written out, a tiny probability took 326 characters (qa-s20-b L3); so a number takes at most
    /// 34. NaN and infinities stay "NaN", "Infinity" and "-Infinity", which double.Parse reads.
    /// </summary>
    internal static string Plain(double v)
    {
        var c = CultureInfo.InvariantCulture;
        string r = v.ToString("R", c);
        int e = r.IndexOf('E', StringComparison.Ordinal);
        if (e < 0 || Math.Abs(v) < PlainFrom || Math.Abs(v) >= PlainBelow) return r;
        int exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, c);
        string mantissa = r[..e];
        string sign = mantissa.StartsWith('-') ? "-" : "";
        mantissa = mantissa[sign.Length..];
        int dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        string digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        int point = (dot < 0 ? mantissa.Length : dot) + exponent; // how many of the digits come before the decimal point
        return sign + (point <= 0 ? "0." + new string('0', -point) + digits
            : point >= digits.Length ? digits + new string('0', point - digits.Length)
            : digits[..point] + "." + digits[point..]);
    }

    /// <summary>The smallest magnitude <see cref="Plain"/> writes without an exponent (0.000000000000001).</summary>
    internal const double PlainFrom = 1e-15;

    /// <summary>The magnitude from which <see cref="Plain"/> writes an exponent again, as JavaScript's numbers do.</summary>
    internal const double PlainBelow = 1e21;

    /// <summary>Reads every row of a metrics file written by this class.</summary>
    /// <exception cref="InvalidDataException">The header or a row is malformed (the message names the file and line).</exception>
    public static List<MetricsRow> Read(string path) => Parse([.. FileReading.ReadLines(path)], path);

    /// <summary>Parses the lines of a metrics file; <paramref name="path"/> names it in errors.</summary>
    internal static List<MetricsRow> Parse(IReadOnlyList<string> lines, string path)
    {
        if (lines.Count == 0 || lines[0] != Header)
            throw new InvalidDataException($"'{path}': line 1 is not the metrics header '{Header}'.");
        var rows = new List<MetricsRow>();
        var c = CultureInfo.InvariantCulture;
        for (int i = 1; i < lines.Count; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = lines[i].Split(',');
            try
            {
                if (f.Length != 6) throw new FormatException($"expected 6 fields, found {f.Length}");
                rows.Add(new MetricsRow(
                    int.Parse(f[0], c), int.Parse(f[1], c), double.Parse(f[2], c),
                    f[3].Length == 0 ? null : double.Parse(f[3], c),
                    f[4].Length == 0 ? null : double.Parse(f[4], c),
                    double.Parse(f[5], c)));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"'{path}': line {i + 1} is malformed: {e.Message}.", e);
            }
        }
        return rows;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _writer.Dispose();
}
