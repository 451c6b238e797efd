using System.Globalization;
using System.Text;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// train's warnings reached only stderr: report.html, read later or by a colleague given the run folder, never said that the
/// test figures were training scores or that a test sample held a 1E+38. Every "Warning: " line the run prints is now also in the
/// report's Warnings section, in the terminal's order, and the terminal's output is as it was.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TrainReportWarningsCliTests : IDisposable
{
    private const string Prefix = "Warning: ";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>60 rows of two features whose label is the sign of their sum; <paramref name="seed"/> picks the rows.</summary>
    private string Csv(string name, int seed)
    {
        string path = _dir.File(name);
        var rng = new Random(seed);
        File.WriteAllLines(path, ["a,b,label", .. Enumerable.Range(0, 60).Select(_ =>
        {
            double a = rng.NextDouble() * 2 - 1, b = rng.NextDouble() * 2 - 1;
            return string.Create(CultureInfo.InvariantCulture, $"{a:F4},{b:F4},{(a + b > 0 ? "p" : "n")}");
        })]);
        return path;
    }

    /// <summary>HTML text as the test expects it, written out here rather than taken from the writer's encoder.</summary>
    private static string Html(string text)
    {
        var sb = new StringBuilder();
        foreach (char c in text)
        {
            sb.Append(c switch
            {
                '&' => "&amp;", '<' => "&lt;", '>' => "&gt;", '"' => "&quot;", '\'' => "&#39;", _ => c.ToString(),
            });
        }
        return sb.ToString();
    }

    /// <summary>The report's Warnings section as the run's stderr lines say it should be, up to the summary that follows it.</summary>
    private static string Section(string stderr)
    {
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.StartsWith(Prefix, l, StringComparison.Ordinal));
        return "</h1>\n<h2>Warnings</h2>\n" +
            string.Concat(lines.Select(l => "<p class=\"warning\"><b>Warning:</b> " + Html(l[Prefix.Length..]) + "</p>\n")) +
            "<p class=\"summary\">";
    }

    [Fact]
    public void TestDataThatIsACopyOfTheDataIsWarnedAboutInTheReportToo_EscapedAndInOrder_ARunWithoutWarningsHasNoSection()
    {
        string csv = Csv("data.csv", 3);
        // A name with every character HTML escapes, so the report's text is the terminal's, not markup.
        string copy = _dir.File("copy <&\"'>.csv");
        File.Copy(csv, copy);
        var r = InProcessCli.Run("train", "--data", csv, "--test-data", copy, "--model", "linear", "--epochs", "1", "--warmup", "100",
            "--out", _dir.File("run"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        // The terminal as before: the two warnings, one line each, the start-up one first.
        string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith($"Warning: --test-data '{copy}' is a copy of the training data (--data '{csv}', the same bytes), so the " +
            "test loss and accuracy this run reports are scores on the samples it trains on, not a test result.", lines[0],
            StringComparison.Ordinal);
        Assert.StartsWith("Warning: --warmup 100 is longer than the whole run (1 batch: 1 epoch of 1)", lines[1], StringComparison.Ordinal);

        string html = File.ReadAllText(_dir.File("run/report.html"));
        Assert.Contains(Section(r.Stderr), html, StringComparison.Ordinal);
        Assert.Contains("<p class=\"warning\"><b>Warning:</b> --test-data &#39;" + _dir.Path + "/copy &lt;&amp;&quot;&#39;&gt;.csv&#39; " +
            "is a copy of the training data", html, StringComparison.Ordinal);
        Assert.True(html.IndexOf("<h2>Warnings</h2>", StringComparison.Ordinal) < html.IndexOf("<svg ", StringComparison.Ordinal),
            "the Warnings section is above the curves");

        // Other test data and no other warning: nothing on stderr, and no section.
        string other = Csv("other.csv", 4);
        var quiet = InProcessCli.Run("train", "--data", csv, "--test-data", other, "--model", "linear", "--epochs", "1", "--out",
            _dir.File("quiet"));
        Assert.True(quiet.ExitCode == 0, quiet.Stderr);
        Assert.Equal("", quiet.Stderr);
        string plain = File.ReadAllText(_dir.File("quiet/report.html"));
        Assert.DoesNotContain("Warnings", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"warning\"", plain, StringComparison.Ordinal);
    }

    [Fact]
    public void TheReportWrittenAfterANaNStopHoldsTheStartUpWarningsAndTheTrainersFromTheEpochBefore()
    {
        // One step an epoch at lr 1e30: epoch 1's step is finite but its held-out loss NaN (the trainer's warning, during training),
        // and epoch 2's first loss is NaN, which stops the run (exit 3) with epoch 1's checkpoint kept and the report rewritten.
        string csv = Csv("data.csv", 3);
        string copy = _dir.File("copy.csv");
        File.Copy(csv, copy);
        var r = InProcessCli.Run("train", "--data", csv, "--test-data", copy, "--model", "mlp", "--lr", "1e30", "--batch-size", "4",
            "--limit-batches", "1", "--epochs", "2", "--out", _dir.File("run"));
        Assert.True(r.ExitCode == 3, r.Stderr);
        string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("error: the loss became NaN at epoch 2", lines[^1], StringComparison.Ordinal);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("Warning: --test-data ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("Warning: the held-out loss is NaN after epoch 1 ", lines[1], StringComparison.Ordinal);

        string html = File.ReadAllText(_dir.File("run/report.html"));
        // The warnings, then (epoch 1's test pass had NaN outputs) eval's warning about them, which the writer adds last.
        string section = Section(string.Join('\n', lines[..2]));
        Assert.Contains(section[..^"<p class=\"summary\">".Length] + "<p class=\"warning\"><b>Warning:</b> the model&#39;s outputs " +
            "(logits) are not finite", html, StringComparison.Ordinal);
        // The run note: this is the report written after the stop.
        Assert.Contains("Stopped in epoch 2 of 2: the training loss became NaN at batch 1.", html, StringComparison.Ordinal);
    }
}
