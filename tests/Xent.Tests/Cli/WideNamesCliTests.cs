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
        MarksOnlyAfterRightToLeftNames(train.Stdout, ["عربي"], expectedMarks: 1); // its per-class accuracy row

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
        // Two per-class rows, and the confusion matrix's column header and row.
        MarksOnlyAfterRightToLeftNames(eval.Stdout, ["عربي"], expectedMarks: 4);

        var predict = CliRunner.Run("predict", "--checkpoint", ckpt, "--input", csv, "--id", "id");
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var rowsOut = predict.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(61, rowsOut.Length); // the header and one line per input: no name broke its row
        Assert.DoesNotContain(predict.Stdout, c => char.IsControl(c) && c != '\n');
        Assert.StartsWith("new\\x0aline1 ", rowsOut[2], StringComparison.Ordinal);
        Assert.StartsWith("tab\\x092 ", rowsOut[3], StringComparison.Ordinal);
        // Every row lists the three classes, and names its top class: عربي is in each list once, and first in some rows.
        int topArabic = rowsOut[1..].Count(r => Regex.IsMatch(r, "  عربي\u200e +[01]\\.\\d{4}  "));
        Assert.True(topArabic > 0, predict.Stdout);
        MarksOnlyAfterRightToLeftNames(predict.Stdout, ["عربي"], expectedMarks: 60 + topArabic);
        // The files and the JSON are for programs: no marks there.
        string csvOut = dir.File("p.csv");
        Assert.Equal(0, CliRunner.Run("predict", "--checkpoint", ckpt, "--input", csv, "--id", "id", "--out", csvOut).ExitCode);
        Assert.Contains("عربي", File.ReadAllText(csvOut), StringComparison.Ordinal);
        Assert.DoesNotContain('\u200e', File.ReadAllText(csvOut));
        var json = CliRunner.Run("predict", "--checkpoint", ckpt, "--input", csv, "--json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        Assert.Contains("\"\\u0639\\u0631\\u0628\\u064A\"", json.Stdout, StringComparison.Ordinal); // "عربي", escaped
        Assert.DoesNotContain("200E", json.Stdout, StringComparison.OrdinalIgnoreCase);
        // The probability column ends at the same terminal column in the header and in every row.
        int end = Columns(rowsOut[0][..(rowsOut[0].IndexOf("probability", StringComparison.Ordinal) + "probability".Length)]);
        foreach (string row in rowsOut[1..])
        {
            var number = Probability().Match(row);
            Assert.True(number.Success, row);
            Assert.True(Columns(row[..(number.Index + number.Length)]) == end, $"misaligned: '{row}' in\n{predict.Stdout}");
        }
    }

    [Fact]
    public void MultiLabelPredictMarksEachRightToLeftLabelInItsLists()
    {
        // The predicted labels are joined into one cell: a mark after each right-to-left name, else two such names in a row read
        // as one right-to-left run, their order reversed.
        using var dir = new TempDirectory();
        string csv = dir.File("ml.csv");
        File.WriteAllLines(csv, ["a,b,עברית,عربي,latin", .. Enumerable.Range(0, 40).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"{i % 2},{i / 2 % 2},{i % 2},{i / 2 % 2},{(i + 1) % 2}"))]);
        string run = dir.File("run");
        var train = CliRunner.Run("train", "--data", csv, "--features", "a,b", "--multi-label", "עברית,عربي,latin", "--model", "linear",
            "--epochs", "60", "--lr", "0.1", "--out", run);
        Assert.True(train.ExitCode == 0, train.Stderr);
        var predict = CliRunner.Run("predict", "--checkpoint", Path.Combine(run, "checkpoint.safetensors"), "--input", csv);
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var rows = predict.Stdout.TrimEnd('\n').Split('\n');
        Assert.Contains(rows, r => r.Contains("עברית\u200e, عربي\u200e  ", StringComparison.Ordinal)); // both predicted
        // Each row lists all three labels: two marks there, and two more for each right-to-left label predicted.
        int predicted = rows[1..].Sum(r => r[..r.IndexOf("  עברית\u200e 0", StringComparison.Ordinal)].Count(c => c == '\u200e'));
        MarksOnlyAfterRightToLeftNames(predict.Stdout, ["עברית", "عربي"], expectedMarks: 2 * 40 + predicted);
        Assert.True(predicted > 0, predict.Stdout);
    }

    [Fact]
    public void PredictColumnsAreAsWideAsTheirWidestCell_AndEveryProbabilityHasFourDecimals()
    {
        // qa-s21-seen L3: the class column was a fixed 16 columns (the multi-label one 36), so a longer name pushed its row's
        // probability right of the others'. L4: "setosa  0.9988  setosa 0.999": one probability, two precisions.
        using var dir = new TempDirectory();
        const string Long = "a-class-name-much-longer-than-sixteen-columns";
        string csv = dir.File("long.csv");
        File.WriteAllLines(csv, ["a,b,label", .. Enumerable.Range(0, 60).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"{i % 3 + 0.1 * (i % 7)},{0.1 * (i % 5)},{new[] { "x", "yy", Long }[i % 3]}"))]);
        string run = dir.File("run");
        Assert.Equal(0, InProcessCli.Run("train", "--data", csv, "--model", "linear", "--epochs", "30", "--lr", "0.05", "--out", run)
            .ExitCode);
        var predict = InProcessCli.Run("predict", "--checkpoint", Path.Combine(run, "checkpoint.safetensors"), "--input", csv,
            "--top-k", "2");
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var rows = predict.Stdout.TrimEnd('\n').Split('\n');
        int end = rows[0].IndexOf("probability", StringComparison.Ordinal) + "probability".Length;
        Assert.Contains(rows, r => r.Contains("  " + Long + " ", StringComparison.Ordinal)); // the long name is some row's class
        Assert.Contains(rows, r => !r.Contains("  " + Long + " ", StringComparison.Ordinal));
        foreach (string row in rows[1..])
        {
            var number = Probability().Match(row);
            Assert.True(number.Success && number.Index + number.Length == end, $"misaligned: '{row}' in\n{predict.Stdout}");
            // The top-k list starts with the same class and the same probability, to the same four decimals.
            string cls = row[(row.IndexOf("  ", StringComparison.Ordinal) + 2)..number.Index].Trim();
            Assert.Contains($"  {cls} {number.Value}, ", row, StringComparison.Ordinal);
        }

        // Multi-label: the predicted labels' cell is as wide as the widest list of them.
        string ml = dir.File("ml.csv");
        const string First = "first-label-with-a-long-name", Second = "second-label-with-a-long-name";
        File.WriteAllLines(ml, [$"a,b,{First},{Second},third", .. Enumerable.Range(0, 40).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"{i % 2},{i / 2 % 2},{i % 2},{i / 2 % 2},{(i + 1) % 2}"))]);
        string mlRun = dir.File("ml-run");
        Assert.Equal(0, InProcessCli.Run("train", "--data", ml, "--features", "a,b", "--multi-label", $"{First},{Second},third",
            "--model", "linear", "--epochs", "60", "--lr", "0.1", "--out", mlRun).ExitCode);
        var mlPredict = InProcessCli.Run("predict", "--checkpoint", Path.Combine(mlRun, "checkpoint.safetensors"), "--input", ml);
        Assert.True(mlPredict.ExitCode == 0, mlPredict.Stderr);
        var mlRows = mlPredict.Stdout.TrimEnd('\n').Split('\n');
        Assert.Contains(mlRows, r => r.Contains($"{First}, {Second}  ", StringComparison.Ordinal)); // a cell wider than its header
        int all = mlRows[0].IndexOf("all labels", StringComparison.Ordinal);
        foreach (string row in mlRows[1..])
        {
            Assert.True(row.IndexOf($"{First} 0.", StringComparison.Ordinal) == all, $"misaligned: '{row}' in\n{mlPredict.Stdout}");
            Assert.Matches($@"^{First} [01]\.\d{{4}}, {Second} [01]\.\d{{4}}, third [01]\.\d{{4}}$", row[all..]);
        }
    }

    /// <summary>
    /// Asserts that a LEFT-TO-RIGHT MARK follows every one of <paramref name="rightToLeft"/> in <paramref name="output"/> and
    /// appears nowhere else, <paramref name="expectedMarks"/> times.
    /// </summary>
    private static void MarksOnlyAfterRightToLeftNames(string output, string[] rightToLeft, int expectedMarks)
    {
        Assert.Equal(expectedMarks, output.Count(c => c == '\u200e'));
        string rest = output;
        foreach (string name in rightToLeft) rest = rest.Replace(name + "\u200e", "", StringComparison.Ordinal);
        Assert.DoesNotContain('\u200e', rest);
        foreach (string name in rightToLeft) Assert.DoesNotContain(name, rest, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"(?<= )[01]\.\d{4}(?=  )")]
    private static partial Regex Probability();

    /// <summary>
    /// Terminal columns of <paramref name="text"/>, for the scripts this test uses: CJK ideographs and emoji (outside the BMP)
    /// take two, the left-to-right mark none, every other character one (Unicode's East Asian Width, as terminals apply it).
    /// </summary>
    private static int Columns(string text)
    {
        int columns = 0;
        foreach (Rune r in text.EnumerateRunes())
            columns += r.Value is >= 0x4E00 and <= 0x9FFF or >= 0x1F300 and <= 0x1FAFF ? 2 : r.Value == 0x200E ? 0 : 1;
        return columns;
    }
}
