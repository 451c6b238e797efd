using System.Text.RegularExpressions;
using Xent.Tests.IO;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

public class ReportWriterTests
{
    private static TrainingReport Sample(IReadOnlyList<string> names)
    {
        var rows = new List<MetricsRow>
        {
            new(1, 100, 0.9, null, null, 1), new(1, 200, 0.6, null, null, 2), new(1, 200, 0.75, 0.55, 0.8, 2.5),
            new(2, 100, 0.5, null, null, 3.5), new(2, 200, 0.45, null, null, 4.5), new(2, 200, 0.47, 0.44, 0.85, 5),
        };
        var logits = new float[] { 3, 0, 0, 0, 3, 0, 0, 0, 3, 3, 0, 0 };
        var targets = new long[] { 0, 1, 2, 2 };
        // Only 3 classes of logits: pad the class count to the names' count with very negative logits.
        int c = names.Count;
        var padded = new float[4 * c];
        Array.Fill(padded, -50f);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) padded[i * c + j] = logits[i * 3 + j];
        var final = Metrics.Evaluate(padded, targets, c);
        return new TrainingReport("Run <test> & co", [new("model", "cnn"), new("lr", "0.001")], names, rows, 200, final);
    }

    [Fact]
    public void ContainsInlineSvgChartsClassNamesAndSettingsWithoutExternalResources()
    {
        string html = ReportWriter.Render(Sample(ClassNames.FashionMnist));
        Assert.Equal(3, Regex.Matches(html, "<svg ").Count);
        Assert.Contains("<polyline", html);
        foreach (string name in ClassNames.FashionMnist) Assert.Contains(System.Net.WebUtility.HtmlEncode(name), html);
        Assert.Contains("Run &lt;test&gt; &amp; co", html);
        Assert.Contains("<th>lr</th><td>0.001</td>", html);
        Assert.Contains("75.00%", html); // 3 of 4 correct
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("NaN", html);
    }

    [Fact]
    public void WriteLeavesOnlyTheFinishedFile()
    {
        using var dir = new TempDirectory();
        ReportWriter.Write(dir.File("report.html"), Sample(ClassNames.Digits));
        Assert.Equal(["report.html"], dir.Entries());
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(dir.File("report.html")));
    }

    private static long[,] Diagonal(int k)
    {
        var m = new long[k, k];
        for (int i = 0; i < k; i++) m[i, i] = 1;
        return m;
    }

    private static readonly Regex RowLabel =
        new("<text x=\"([0-9.]+)\" y=\"[0-9.]+\" font-size=\"12\" text-anchor=\"end\" fill=\"#333\">(.*?)</text>");
    private static readonly Regex ColumnLabel =
        new("<text transform=\"translate\\(([0-9.]+) ([0-9.]+)\\) rotate\\(-55\\)\" [^>]*>(.*?)</text>");

    /// <summary>A label's shown text: what follows its tooltip, decoded.</summary>
    private static string Shown(string content) => System.Net.WebUtility.HtmlDecode(Regex.Replace(content, "<title>.*?</title>", ""));

    [Fact]
    public void ShortClassNamesKeepTheConfusionMatrixsFixedMargins()
    {
        // The layout before labels were measured: row labels end at x 112, column labels start 106 px down.
        string svg = ReportWriter.ConfusionMatrixSvg(Diagonal(10), ClassNames.FashionMnist);
        var rows = RowLabel.Matches(svg);
        Assert.Equal(10, rows.Count);
        Assert.All(rows, r => Assert.Equal("112", r.Groups[1].Value));
        Assert.All(ColumnLabel.Matches(svg), c => Assert.Equal("106", c.Groups[2].Value));
        Assert.Equal(ClassNames.FashionMnist, rows.Select(r => Shown(r.Groups[2].Value)));
        Assert.DoesNotContain("…", svg);
    }

    [Fact]
    public void LongClassNamesFitTheConfusionMatrixAndStayDistinct()
    {
        // Row labels were drawn at a fixed x, ending at 112 px: longer ones ran off the left edge, and 15 names that differ only in
        // their middle all showed as "ls <b>&amp;</b>". Column labels ran off the top.
        string[] names =
        [
            .. Enumerable.Range(0, 12).Select(i => $"a very long class name number {i} with extra words <b>&amp;</b>"),
            new string('x', 40) + "A", new string('x', 40) + "B", "cat",
        ];
        string svg = ReportWriter.ConfusionMatrixSvg(Diagonal(names.Length), names);
        var size = Regex.Match(svg, "<svg width=\"([0-9.]+)\" height=\"([0-9.]+)\"");
        double width = double.Parse(size.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var rows = RowLabel.Matches(svg).ToArray();
        var columns = ColumnLabel.Matches(svg).ToArray();
        Assert.Equal(names.Length, rows.Length);
        Assert.Equal(names.Length, columns.Length);
        var shown = rows.Select(r => Shown(r.Groups[2].Value)).ToArray();
        Assert.Equal(names.Length, shown.Distinct().Count());
        Assert.Equal(shown, columns.Select(c => Shown(c.Groups[3].Value)));
        Assert.Equal("cat", shown[^1]);
        for (int i = 0; i < names.Length; i++)
        {
            Assert.True(shown[i].Length <= 32, shown[i]);
            if (shown[i] != names[i])
            {
                Assert.EndsWith("…", shown[i].Split(" #")[0]);
                Assert.StartsWith(shown[i].Split('…')[0], names[i], StringComparison.Ordinal);
                Assert.Contains($"<title>{System.Net.WebUtility.HtmlEncode(names[i])}</title>", rows[i].Value); // full name as a tooltip
            }
        }
        // Room for every label at 0.55 em a character (12 px text; an average sans-serif glyph is wider), left of the row labels'
        // end beside the rotated "true class" (20 px), and above and right of the column labels, which rise at 55°.
        const double Char = 0.55 * 12;
        double sin = Math.Sin(55 * Math.PI / 180), cos = Math.Cos(55 * Math.PI / 180);
        foreach (var (r, text) in rows.Zip(shown))
            Assert.True(double.Parse(r.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 20 + Char * text.Length,
                $"row label '{text}' ends at x {r.Groups[1].Value}");
        foreach (var (c, text) in columns.Zip(shown))
        {
            double x = double.Parse(c.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            double y = double.Parse(c.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(y >= Char * text.Length * sin, $"column label '{text}' starts at y {y}");
            Assert.True(x + Char * text.Length * cos <= width, $"column label '{text}' at x {x} runs past the width {width}");
        }
    }

    /// <summary>The x tick labels of each chart (text 16 px below the plot, 11 px, centred), chart by chart.</summary>
    private static List<string[]> XTicks(string html) =>
        Regex.Matches(html, "<svg .*?</svg>").Select(svg => Regex.Matches(svg.Value,
            "<text x=\"[0-9.]+\" y=\"300\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">([^<]*)</text>")
            .Select(m => m.Groups[1].Value).ToArray()).Take(2).ToList();

    [Fact]
    public void ChartsStartAtTheFirstEpochNotAtEpochZero()
    {
        // Both charts had an x tick at epoch 0, where no point can be: a 1- or 2-epoch run's points sat at the right.
        var sample = Sample(ClassNames.Digits);
        var ticks = XTicks(ReportWriter.Render(sample));
        Assert.Equal(["1", "2"], ticks[1]); // accuracy: one point per epoch, whole epochs only
        Assert.Equal("1", ticks[0][0]); // loss: its first running point is at epoch 0.5 (batch 100 of 200)
        Assert.DoesNotContain("0", ticks[0]);
        // Nor when the first running point is just after the start (batch 100 of 20000: epoch 0.005).
        Assert.DoesNotContain("0", XTicks(ReportWriter.Render(sample with { BatchesPerEpoch = 20000 }))[0]);

        // One epoch: its one point in the middle of the plot (x from 58 to 524), with the one tick under it.
        var one = sample with { Rows = [.. sample.Rows.Where(r => r.Epoch == 1 && r.IsEpochEnd)] };
        string html = ReportWriter.Render(one);
        Assert.All(XTicks(html), t => Assert.Equal(["1"], t));
        Assert.Equal(["291.0", "291.0", "291.0"], Regex.Matches(html, "<circle cx=\"([0-9.]+)\"").Select(m => m.Groups[1].Value));
    }

    [Fact]
    public void TheLossNoteAndTheTestLossNameShowOnlyWhenGiven()
    {
        string plain = ReportWriter.Render(Sample(ClassNames.Digits));
        Assert.Contains(">test</text>", plain);
        Assert.DoesNotContain("class=\"note\"", plain);
        string noted = ReportWriter.Render(Sample(ClassNames.Digits) with
        {
            TestLossName = "test (plain CE)",
            LossNote = "The train loss includes label smoothing 0.2 & more",
            RunNote = "Stopped early after epoch 2 of 9.",
        });
        Assert.Contains(">test (plain CE)</text>", noted);
        Assert.Contains("<span class=\"note\">The train loss includes label smoothing 0.2 &amp; more</span></figcaption>", noted);
        Assert.Contains("<p class=\"summary\">Stopped early after epoch 2 of 9.</p>", noted);
    }

    [Fact]
    public void TheMultiLabelTableHasTheSupportOfEachLabelAndNoRecallForALabelNoSampleHas()
    {
        var acc = new MultiLabelAccumulator(3);
        // Logits > 0 predict the label. Label a: 2 samples have it (one found); b: 1 (found, plus a false positive); c: none.
        acc.Add([2f, -1f, -1f, -1f, 1f, -1f, -1f, 1f, -2f], [1f, 0f, 0f, 1f, 1f, 0f, 0f, 0f, 0f]);
        string html = ReportWriter.Render(Sample(ClassNames.Digits) with { ClassNames = ["a", "b", "c"], Final = acc.Result() });
        Assert.Contains("<th>F1</th><th>support</th></tr>", html);
        Assert.Contains("<tr><td class=\"name\">a</td>" +
            "<td class=\"num\">66.67%</td><td class=\"num\">1.0000</td><td class=\"num\">0.5000</td>" +
            "<td class=\"num\">0.6667</td><td class=\"num\">2</td></tr>", html);
        Assert.Contains("<tr><td class=\"name\">b</td>" +
            "<td class=\"num\">66.67%</td><td class=\"num\">0.5000</td><td class=\"num\">1.0000</td>" +
            "<td class=\"num\">0.6667</td><td class=\"num\">1</td></tr>", html);
        Assert.Contains("<tr><td class=\"name\">c</td>" +
            "<td class=\"num\">100.00%</td><td class=\"num\">0.0000</td><td class=\"num\">–</td>" +
            "<td class=\"num\">0.0000</td><td class=\"num\">0</td></tr>", html);
    }

    [Fact]
    public void AClassNameWithoutSpacesBreaksInsideItsTableCell()
    {
        // qa-s21-seen L8: a 300-character name printed whole pushed the per-class table's numbers off a 1280 px page. Its cells
        // are td.name, which the style caps and lets break anywhere (what a browser makes of it is seen in a screenshot).
        string name = new('x', 300);
        const string Rule = "td.name{max-width:24em;overflow-wrap:anywhere}";
        var sample = Sample(["a", "b", name]);
        string train = ReportWriter.Render(sample);
        string eval = EvaluationReportWriter.Render(new EvaluationReport("e", [], sample.ClassNames, sample.Final!));
        var acc = new MultiLabelAccumulator(3);
        acc.Add([1f, 1f, 1f], [1f, 0f, 1f]);
        string labels = ReportWriter.Render(sample with { Final = acc.Result() });
        foreach (string html in new[] { train, eval, labels })
        {
            Assert.Contains(Rule, html, StringComparison.Ordinal);
            Assert.Contains($"<tr><td class=\"name\">{name}</td>", html, StringComparison.Ordinal);
            Assert.Contains("<tr><td class=\"name\">a</td>", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AFinalTestPassWithNonFiniteOutputsIsWarnedAboveTheSummaryAsEvalsReportDoes()
    {
        // The train report wrote the NaN mean cross-entropy, and an accuracy that counts the NaN rows as class 0, without eval's
        // warning. Built here as an evaluation whose loss is NaN: 6 samples, 4 of them right.
        const string Text = "the model's outputs (logits) are not finite (NaN or infinity) for some samples: its weights are not " +
            "finite, or the inputs are too large for the model. Accuracy and the confusion matrix count those samples as predictions " +
            "of the first class.";
        var nan = new EvaluationResult(4, 6, double.NaN, double.NaN, [1, 1 / 3.0], new long[,] { { 3, 0 }, { 2, 1 } });
        var sample = Sample(ClassNames.Digits) with { ClassNames = ["a", "b"], Final = nan };
        string paragraph = "<p class=\"warning\"><b>Warning:</b> " + System.Net.WebUtility.HtmlEncode(Text) + "</p>\n";
        string train = ReportWriter.Render(sample);
        // In the page's Warnings section, alone there; eval's page has no heading above its warnings.
        Assert.Contains("</h1>\n<h2>Warnings</h2>\n" + paragraph + "<p class=\"summary\">Test accuracy <b>66.67%</b> (4 of 6)", train,
            StringComparison.Ordinal);
        Assert.Contains("mean cross-entropy NaN", train, StringComparison.Ordinal);
        Assert.Contains(".warning{", train, StringComparison.Ordinal); // styled as in eval's page
        // Eval's page of the same evaluation: the same paragraph in the same place.
        string eval = EvaluationReportWriter.Render(new EvaluationReport("e", [], ["a", "b"], nan));
        Assert.Contains("</h1>\n" + paragraph + "<p class=\"summary\">Accuracy", eval, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(eval, "class=\"warning\""));

        // A multi-label run's NaN output: the warning in its terms.
        var acc = new MultiLabelAccumulator(2);
        acc.Add([float.NaN, 1f], [1f, 0f]);
        string labels = ReportWriter.Render(sample with { Final = acc.Result() });
        Assert.Contains("<p class=\"warning\"><b>Warning:</b> " + System.Net.WebUtility.HtmlEncode(Text[..Text.IndexOf(" Accuracy")]) +
            " Subset accuracy and the per-label metrics count a NaN output as its label predicted absent.</p>\n<p class=\"summary\">",
            labels, StringComparison.Ordinal);

        // Finite outputs, or no epoch finished: no warning.
        Assert.DoesNotContain("class=\"warning\"", ReportWriter.Render(Sample(ClassNames.Digits)), StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"warning\"", ReportWriter.Render(sample with { Final = null }), StringComparison.Ordinal);
    }

    [Fact]
    public void TheRunsWarningsAreOneSectionAboveTheSummaryAndCurves_InOrder_HtmlEscaped_TheNonFiniteOneLast()
    {
        // The terminal's warnings reached only stderr: a colleague given the run folder never learned that the test figures were
        // training scores. A warning's text holds paths and values, so <, &, and quotes must come out as text, not markup.
        var sample = Sample(ClassNames.Digits) with
        {
            Warnings = ["--test-data 'a<b>&c.csv' is the \"training\" data", "second & last"],
        };
        string html = ReportWriter.Render(sample);
        const string Section = "</h1>\n<h2>Warnings</h2>\n" +
            "<p class=\"warning\"><b>Warning:</b> --test-data &#39;a&lt;b&gt;&amp;c.csv&#39; is the &quot;training&quot; data</p>\n" +
            "<p class=\"warning\"><b>Warning:</b> second &amp; last</p>\n<p class=\"summary\">Test accuracy";
        Assert.Contains(Section, html, StringComparison.Ordinal);
        Assert.True(html.IndexOf(Section, StringComparison.Ordinal) < html.IndexOf("<svg ", StringComparison.Ordinal));
        Assert.Single(Regex.Matches(html, "<h2>Warnings</h2>"));
        Assert.DoesNotContain("a<b>", html, StringComparison.Ordinal);

        // A test pass with NaN outputs as well: its warning follows the run's in the one section, as it follows them on the terminal,
        // and is said once even when the list holds it too.
        const string NonFinite = "the model's outputs (logits) are not finite (NaN or infinity) for some samples: its weights are " +
            "not finite, or the inputs are too large for the model. Accuracy and the confusion matrix count those samples as " +
            "predictions of the first class.";
        var nan = new EvaluationResult(4, 6, double.NaN, double.NaN, [1, 1 / 3.0], new long[,] { { 3, 0 }, { 2, 1 } });
        string both = ReportWriter.Render(sample with { ClassNames = ["a", "b"], Final = nan, Warnings = ["first", NonFinite] });
        Assert.Contains("</h1>\n<h2>Warnings</h2>\n<p class=\"warning\"><b>Warning:</b> first</p>\n" +
            "<p class=\"warning\"><b>Warning:</b> the model&#39;s outputs (logits)", both, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Matches(both, "class=\"warning\"").Count);

        // None: no section.
        string none = ReportWriter.Render(Sample(ClassNames.Digits));
        Assert.DoesNotContain("Warnings", none, StringComparison.Ordinal);
        Assert.Contains("</h1>\n<p class=\"summary\">", none, StringComparison.Ordinal);
    }

    /// <summary>The value-axis (y) tick labels of the loss and the accuracy chart.</summary>
    private static List<string[]> YTicks(string html) =>
        Regex.Matches(html, "<svg .*?</svg>").Select(svg => Regex.Matches(svg.Value,
            "<text x=\"52\" y=\"[0-9.]+\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">([^<]*)</text>")
            .Select(m => m.Groups[1].Value).ToArray()).Take(2).ToList();

    [Fact]
    public void ADivergedRunsAxesHaveShortLossLabelsAndNoNegativeAccuracy()
    {
        // qa-s21-seen L2: the wine run at --lr 10 (runs/div): losses from 45 to 5.8e36 and a 0% epoch. The loss axis was labelled
        // 1000000000000000000000000000000000000 … (cut to "00000000" at the page's edge), the accuracy axis ran from -10%.
        double[] train = [45.3897, 9856548.2, 1158591999829.3, 1.1808e17, 1.1607e22, 1.3034e27, 6.9837e31, 5.832e36];
        double?[] test = [9209.63, 1453876217.6, 1.752e14, 2.7528e19, 7.926e23, 1.5496e29, 5.6947e33, double.NaN];
        double[] accuracy = [0.2778, 0.5, 0, 0.4444, 0.5556, 0.1111, 0.3889, 0.1667];
        var rows = Enumerable.Range(0, 8).Select(i => new MetricsRow(i + 1, 3, train[i], test[i], accuracy[i], i)).ToList();
        string html = ReportWriter.Render(Sample(ClassNames.Digits) with { Rows = rows, BatchesPerEpoch = 3 });
        var (loss, acc) = (YTicks(html)[0], YTicks(html)[1]);
        Assert.All(loss, l => Assert.Matches(@"\A(0|[1-9](\.\d{1,2})?e\d+)\z", l));
        Assert.Equal(0, double.Parse(loss[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(double.Parse(loss[^1], System.Globalization.CultureInfo.InvariantCulture) >= 5.832e36, loss[^1]);
        Assert.Equal("0", acc[0]);
        Assert.All(acc, a => Assert.InRange(double.Parse(a, System.Globalization.CultureInfo.InvariantCulture), 0, 100));
    }

    [Fact]
    public void TickLabelsShowTheStepsDecimalsAndAnExponentForLargeValues()
    {
        Assert.Equal(["0", "0.0002", "0.0004"], ReportWriter.TickLabels([0, 0.0002, 0.0004])); // were "0", "0", "0"
        Assert.Equal(["0", "0.2", "0.4", "1", "1.2"], ReportWriter.TickLabels([0, 0.2, 0.4, 1, 1.2]));
        Assert.Equal(["0", "20000", "40000"], ReportWriter.TickLabels([0, 20000, 40000]));
        Assert.Equal(["0", "5e4", "1e5", "1.5e5"], ReportWriter.TickLabels([0, 50000, 100000, 150000]));
        Assert.Equal(["0", "1e36", "2e36"], ReportWriter.TickLabels([0, 1e36, 2e36]));
    }

    [Fact]
    public void NiceTicksCoverTheRangeWithRoundSteps()
    {
        var t = ReportWriter.NiceTicks(0.13, 2.41, 6);
        Assert.True(t[0] <= 0.13 && t[^1] >= 2.41);
        Assert.Equal(0.5, t[1] - t[0], 12);
    }
}
