using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// The text tables of eval and predict line up on a terminal when names hold characters two columns wide (CJK, emoji) or
/// right-to-left text, and a name with a line break or a tab stays on its row (escaped): the columns were padded by UTF-16
/// length, and a raw line break split a predict row.
/// </summary>
public partial class WideNamesCliTests
{
    private static readonly string[] Classes = ["中文 setosa", "عربي", "İstanbul🎉"];

    [Fact]
    public void EvalAndPredictTablesArePaddedByTerminalColumnsAndKeepControlCharactersEscaped()
    {
        using var dir = new TempDirectory();
        string csv = dir.File("u.csv");
        string Id(int i) => (i % 3) switch { 0 => $"名前{i}", 1 => $"\"new\nline{i}\"", _ => $"\"tab\t{i}\"" };
        File.WriteAllLines(csv, ["id,a,b,label", .. Enumerable.Range(0, 60).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"{Id(i)},{i % 3 + 0.1 * (i % 7)},{0.1 * (i % 5)},{Classes[i % 3]}"))]);
        string run = dir.File("run"), ckpt = Path.Combine(run, "checkpoint.safetensors");
        var train = CliRunner.Run("train", "--data", csv, "--features", "a,b", "--model", "linear", "--epochs", "2", "--out", run);
        Assert.True(train.ExitCode == 0, train.Stderr);

        var eval = CliRunner.Run("eval", "--checkpoint", ckpt, "--data", csv);
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        var lines = eval.Stdout.Split('\n');
        foreach (var (title, rows) in new[] { ("Per-class accuracy:", 3), ("Per-class precision, recall and F1:", 4),
                     ("Confusion matrix (rows: true class, columns: predicted):", 4) })
        {
            var table = lines.SkipWhile(l => l != title).Skip(1).Take(rows).ToArray();
            Assert.Equal(rows, table.Length);
            Assert.True(table.Select(Columns).Distinct().Count() == 1, $"{title} lines of different widths:\n{string.Join('\n', table)}");
        }

        var predict = CliRunner.Run("predict", "--checkpoint", ckpt, "--input", csv, "--id", "id");
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var rowsOut = predict.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(61, rowsOut.Length); // the header and one line per input: no name broke its row
        Assert.DoesNotContain(predict.Stdout, c => char.IsControl(c) && c != '\n');
        Assert.StartsWith("new\\x0aline1 ", rowsOut[2], StringComparison.Ordinal);
        Assert.StartsWith("tab\\x092 ", rowsOut[3], StringComparison.Ordinal);
        // The probability column ends at the same terminal column in the header and in every row.
        int end = Columns(rowsOut[0][..(rowsOut[0].IndexOf("probability", StringComparison.Ordinal) + "probability".Length)]);
        foreach (string row in rowsOut[1..])
        {
            var number = Probability().Match(row);
            Assert.True(number.Success, row);
            Assert.True(Columns(row[..(number.Index + number.Length)]) == end, $"misaligned: '{row}' in\n{predict.Stdout}");
        }
    }

    [GeneratedRegex(@"(?<= )[01]\.\d{4}(?=  )")]
    private static partial Regex Probability();

    /// <summary>
    /// Terminal columns of <paramref name="text"/>, for the scripts this test uses: CJK ideographs and emoji (outside the BMP)
    /// take two, every other character one (Unicode's East Asian Width, as terminals apply it).
    /// </summary>
    private static int Columns(string text)
    {
        int columns = 0;
        foreach (Rune r in text.EnumerateRunes())
            columns += r.Value is >= 0x4E00 and <= 0x9FFF or >= 0x1F300 and <= 0x1FAFF ? 2 : 1;
        return columns;
    }
}
