using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>
/// The HTML reports of many classes (QA finding L9): a 120-class report was 2.7 MB, one rect and tooltip for each of the k² cells,
/// and its confusion matrix 1,800 px wide. The matrices here are random and sparse; what each test expects is computed from the
/// matrix itself.
/// </summary>
public class ManyClassReportTests
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private static string[] Names(int k) => [.. Enumerable.Range(0, k).Select(i => $"class {i:D4}")];

    /// <summary>
    /// A k × k confusion matrix: each class's row has a diagonal count in [0, 6) and <paramref name="offDiagonal"/> random mistakes
    /// of 1 to 3 samples in all (small counts, so the largest cells tie).
    /// </summary>
    private static long[,] Sparse(int k, int offDiagonal, int seed)
    {
        var rng = new Random(seed);
        var m = new long[k, k];
        for (int i = 0; i < k; i++) m[i, i] = rng.Next(6);
        for (int n = 0; n < offDiagonal; n++)
        {
            int t = rng.Next(k), p = rng.Next(k);
            if (t != p) m[t, p] += rng.Next(1, 4);
        }
        return m;
    }

    private static long RowSum(long[,] m, int t)
    {
        long s = 0;
        for (int p = 0; p < m.GetLength(1); p++) s += m[t, p];
        return s;
    }

    /// <summary>The evaluation a matrix stands for: accuracy and per-class recall from its counts, a finite loss.</summary>
    private static EvaluationResult Result(long[,] m)
    {
        int k = m.GetLength(0);
        long correct = 0, total = 0;
        var recall = new double[k];
        for (int t = 0; t < k; t++)
        {
            long row = RowSum(m, t);
            correct += m[t, t];
            total += row;
            recall[t] = row == 0 ? double.NaN : (double)m[t, t] / row;
        }
        return new EvaluationResult(correct, total, 0.5, 0.05, recall, m);
    }

    private static TrainingReport Train(long[,] m, string[] names) =>
        new("many", [new("model", "mlp")], names, [new(1, 10, 0.9, 0.8, 0.5, 1)], 10, Result(m));

    private static EvaluationReport Eval(long[,] m, string[] names) => new("many", [new("model", "mlp")], names, Result(m));

    /// <summary>The (true, predicted, count) of every cell that has a tooltip, from the names in it.</summary>
    private static List<(int True, int Predicted, long Count)> Cells(string svg, string[] names)
    {
        var index = names.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i);
        return Regex.Matches(svg, "<rect [^>]*><title>true (.*?), predicted (.*?): (\\d+) \\(")
            .Select(x => (index[WebUtility.HtmlDecode(x.Groups[1].Value)], index[WebUtility.HtmlDecode(x.Groups[2].Value)],
                long.Parse(x.Groups[3].Value, C)))
            .ToList();
    }

    [Theory]
    [InlineData(10, 12, 1)]
    [InlineData(30, 60, 2)]
    [InlineData(120, 300, 3)]
    [InlineData(1000, 2500, 4)]
    public void TheMatrixDrawsOneRectForEachCellThatIsNotZero(int k, int offDiagonal, int seed)
    {
        var m = Sparse(k, offDiagonal, seed);
        var names = Names(k);
        var expected = new List<(int, int, long)>();
        for (int t = 0; t < k; t++)
            for (int p = 0; p < k; p++)
                if (m[t, p] != 0) expected.Add((t, p, m[t, p]));
        string svg = ReportWriter.ConfusionMatrixSvg(m, names);
        var cells = Cells(svg, names);
        Assert.Equal(expected.Count, cells.Count);
        Assert.Equal(expected.OrderBy(c => c).ToList(), cells.OrderBy(c => c).ToList());
        // Besides them, one rect: the white square under the zero cells.
        Assert.Equal(expected.Count + 1, Regex.Matches(svg, "<rect ").Count);
    }

    /// <summary>The page's width from the shared style: the body's max-width.</summary>
    private static double PageWidth() =>
        double.Parse(Regex.Match(ReportWriter.Css, @"body\{[^}]*max-width:(\d+)px").Groups[1].Value, C);

    [Theory]
    [InlineData(60)]
    [InlineData(120)]
    [InlineData(1000)]
    [InlineData(2000)]
    public void TheMatrixOfManyClassesFitsThePageAndScalesWithIt(int k)
    {
        // Names past the 32 characters the axes show, so the margins are the widest they get.
        string[] names = [.. Enumerable.Range(0, k).Select(i => $"a rather long class name, number {i:D4}")];
        string svg = ReportWriter.ConfusionMatrixSvg(Sparse(k, k, 5), names);
        var size = Regex.Match(svg, "^<svg width=\"([0-9.]+)\" height=\"([0-9.]+)\" viewBox=\"0 0 ([0-9.]+) ([0-9.]+)\"");
        Assert.True(size.Success, svg[..200]);
        double width = double.Parse(size.Groups[1].Value, C);
        Assert.True(width <= PageWidth(), $"{k} classes: the matrix is {width} wide, the page {PageWidth()}");
        // The viewBox is the figure's own size, so a narrower window shrinks it whole (max-width), keeping its proportions.
        Assert.Equal(size.Groups[1].Value, size.Groups[3].Value);
        Assert.Equal(size.Groups[2].Value, size.Groups[4].Value);
        Assert.Contains("svg{max-width:100%;height:auto}", ReportWriter.Css, StringComparison.Ordinal);
    }

    private static readonly Regex RowLabel =
        new("<text x=\"[0-9.]+\" y=\"([0-9.]+)\" font-size=\"12\" text-anchor=\"end\" fill=\"#333\">(.*?)</text>");

    [Theory]
    [InlineData(50)]
    [InlineData(51)]
    [InlineData(120)]
    [InlineData(1000)]
    public void RowLabelsAreFarEnoughApartForTheirTextAndEachNamesItsRow(int k)
    {
        var names = Names(k);
        string svg = ReportWriter.ConfusionMatrixSvg(Sparse(k, k, 6), names);
        // The matrix's square: where its rows are.
        var square = Regex.Match(svg, "<rect x=\"([0-9.]+)\" y=\"([0-9.]+)\" width=\"([0-9.]+)\" height=\"[0-9.]+\" fill=\"#fff\"/>");
        double top = double.Parse(square.Groups[2].Value, C), cell = double.Parse(square.Groups[3].Value, C) / k;
        var labels = RowLabel.Matches(svg).Select(x => (Y: double.Parse(x.Groups[1].Value, C), Text: x.Groups[2].Value)).ToList();
        Assert.True(labels.Count >= 2);
        Assert.True(Math.Abs((labels[0].Y - 4 - top) / cell - 0.5) < 0.1, "the first class has no label");
        for (int i = 0; i < labels.Count; i++)
        {
            // Each label sits at the middle of its row (4 px below, the baseline of 12 px text) and names that row's class.
            double row = (labels[i].Y - 4 - top) / cell - 0.5;
            int t = (int)Math.Round(row);
            Assert.True(Math.Abs(row - t) < 0.1, $"label {i} at y {labels[i].Y} is between rows"); // y has one decimal
            Assert.Equal(names[t], labels[i].Text);
            if (i == 0) continue;
            // 12 px text needs 14 between baselines; the labels are thinned in steps of 1, 2, 5, 10, …, at most × 2.5, so a gap
            // of 35 or more means labels were left out that had room.
            double gap = labels[i].Y - labels[i - 1].Y;
            Assert.InRange(gap, 14 - 0.1 - 1e-9, 35); // less 0.1: two y values rounded to one decimal
        }
        // Every class has its label where cells are 14 apart (up to 50 classes), as before.
        if (cell >= 14) Assert.Equal(k, labels.Count);
    }

    /// <summary>The rows of the "Most confused pairs" table: true and predicted names, count and share.</summary>
    private static List<(string True, string Predicted, string Count, string Share)> PairRows(string html)
    {
        var table = Regex.Match(html, "<table class=\"pairs\">(.*?)</table>", RegexOptions.Singleline);
        Assert.True(table.Success, "no table of the most confused pairs");
        return Regex.Matches(table.Groups[1].Value, "<tr><td class=\"name\">(.*?)</td><td class=\"name\">(.*?)</td>" +
                "<td class=\"num\">(.*?)</td><td class=\"num\">(.*?)</td></tr>")
            .Select(x => (x.Groups[1].Value, x.Groups[2].Value, x.Groups[3].Value, x.Groups[4].Value)).ToList();
    }

    [Theory]
    [InlineData(21, 8)]
    [InlineData(40, 1)]
    [InlineData(120, 2)]
    [InlineData(1000, 3)]
    public void BothReportsListTheTwentyLargestOffDiagonalCellsTiesInClassOrder(int k, int seed)
    {
        var m = Sparse(k, 6 * k, seed);
        var names = Names(k);
        // Every mistake, sorted here: the largest count first, then by true class, then by predicted class.
        var mistakes = new List<(int T, int P, long N)>();
        for (int t = 0; t < k; t++)
            for (int p = 0; p < k; p++)
                if (t != p && m[t, p] > 0) mistakes.Add((t, p, m[t, p]));
        var expected = mistakes.OrderByDescending(x => x.N).ThenBy(x => x.T).ThenBy(x => x.P).Take(20)
            .Select(x => (names[x.T], names[x.P], x.N.ToString(C), (100.0 * x.N / RowSum(m, x.T)).ToString("F1", C) + "%"))
            .ToList();
        // The cut at 20 falls inside a tie, so the order of ties decides which cells are listed.
        var counts = mistakes.Select(x => x.N).OrderDescending().ToList();
        Assert.Equal(counts[19], counts[20]);
        foreach (string html in new[] { ReportWriter.Render(Train(m, names)), EvaluationReportWriter.Render(Eval(m, names)) })
        {
            Assert.Equal(expected, PairRows(html));
            Assert.Contains($"The 20 largest of the {mistakes.Count} off-diagonal cells", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void FewClassesOrNoMistakesHaveNoPairsToList()
    {
        // Up to 20 classes the matrix itself is read cell by cell: no table.
        var m = Sparse(20, 200, 9);
        Assert.DoesNotContain("Most confused pairs", ReportWriter.Render(Train(m, Names(20))), StringComparison.Ordinal);
        Assert.DoesNotContain("Most confused pairs", EvaluationReportWriter.Render(Eval(m, Names(20))), StringComparison.Ordinal);
        // Fewer mistakes than 20: all of them, and nothing else.
        var few = new long[30, 30];
        for (int i = 0; i < 30; i++) few[i, i] = 3;
        few[4, 7] = 1;
        few[29, 0] = 2;
        Assert.Equal([("class 0029", "class 0000", "2", "40.0%"), ("class 0004", "class 0007", "1", "25.0%")],
            PairRows(ReportWriter.Render(Train(few, Names(30)))));
        // None: said so.
        var none = new long[30, 30];
        for (int i = 0; i < 30; i++) none[i, i] = 1;
        Assert.Contains("No sample was predicted as another class.", EvaluationReportWriter.Render(Eval(none, Names(30))),
            StringComparison.Ordinal);
    }

    [Fact]
    public void AThousandClassReportGrowsWithItsMistakesNotWithTheSquareOfItsClasses()
    {
        // A 10-class report whose every cell is not zero: 100 cells with tooltips, 10 rows of the per-class table, the charts
        // and the settings. Per cell and class it is the most a report can spend: everything in it is either.
        var dense = new long[10, 10];
        for (int t = 0; t < 10; t++) for (int p = 0; p < 10; p++) dense[t, p] = 1 + t + p;
        // 1000 classes, a few mistakes each: before, one rect and tooltip for each of the million cells (about 190 MB).
        var sparse = Sparse(1000, 3000, 11);
        long nonZero = 0;
        foreach (long n in sparse) if (n != 0) nonZero++;
        var pages = new (Func<long[,], string[], string> Render, string Name)[]
        {
            ((m, n) => ReportWriter.Render(Train(m, n)), "train"), ((m, n) => EvaluationReportWriter.Render(Eval(m, n)), "eval"),
        };
        foreach (var (render, name) in pages)
        {
            double perItem = (double)render(dense, Names(10)).Length / (100 + 10);
            long bound = (long)(perItem * (nonZero + 1000));
            int size = render(sparse, Names(1000)).Length;
            Assert.True(size <= bound, $"{name}: {size} characters at 1000 classes, {nonZero} cells not zero; bound {bound}");
        }
    }

    [Fact]
    public void ThePerClassTableOfManyClassesScrollsInABoxOfItsOwn()
    {
        // One row per class either way; past 50 the table scrolls (its header stays in view), so the pairs and the settings are not
        // a thousand rows down the page.
        static int Boxed(string html) => Regex.Matches(html, "<div class=\"scroll\">\n<table>").Count;
        foreach (int k in new[] { 50, 51, 1000 })
        {
            var m = Sparse(k, k, 12);
            string train = ReportWriter.Render(Train(m, Names(k))), eval = EvaluationReportWriter.Render(Eval(m, Names(k)));
            Assert.Equal(k > 50 ? 1 : 0, Boxed(train));
            Assert.Equal(k > 50 ? 1 : 0, Boxed(eval));
            foreach (string html in new[] { train, eval })
                Assert.Equal(k, Regex.Matches(html, "<tr><td class=\"name\">class \\d{4}</td><td class=\"num\">").Count);
            // A multi-label run's per-label table as well, in both reports.
            var labels = new MultiLabelAccumulator(k);
            labels.Add(new float[k], new float[k]);
            var result = labels.Result();
            Assert.Equal(k > 50 ? 1 : 0, Boxed(ReportWriter.Render(Train(m, Names(k)) with { Final = result })));
            Assert.Equal(k > 50 ? 1 : 0, Boxed(EvaluationReportWriter.Render(new EvaluationReport("many", [], Names(k), result))));
        }
    }
}
