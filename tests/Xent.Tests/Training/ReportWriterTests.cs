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

    [Fact]
    public void NiceTicksCoverTheRangeWithRoundSteps()
    {
        var t = ReportWriter.NiceTicks(0.13, 2.41, 6);
        Assert.True(t[0] <= 0.13 && t[^1] >= 2.41);
        Assert.Equal(0.5, t[1] - t[0], 12);
    }
}
