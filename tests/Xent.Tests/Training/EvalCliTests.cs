using System.Globalization;
using System.Text.Json;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

public class EvalCliTests
{
    private static string GoldenDir => Path.Combine(AppContext.BaseDirectory, "golden", "train");

    [Fact]
    public void EvaluatesAPlainPyTorchStateDictAndReportsPyTorchsAccuracy()
    {
        // tools/golden/gen_train.py: PyTorch trained a linear classifier, saved its state dict as safetensors and
        // evaluated it on the first 200 Fashion-MNIST test images (also written there).
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenDir, "torch_linear_eval.json")));
        var r = CliRunner.Run("eval", "--checkpoint", Path.Combine(GoldenDir, "torch_linear.safetensors"), "--data", GoldenDir, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var got = json.RootElement;
        var want = expected.RootElement;
        Assert.Equal("linear", got.GetProperty("model").GetString()); // inferred from the keys
        Assert.Equal(want.GetProperty("correct").GetInt64(), got.GetProperty("correct").GetInt64());
        Assert.Equal(want.GetProperty("total").GetInt64(), got.GetProperty("total").GetInt64());
        Assert.Equal(want.GetProperty("accuracy").GetDouble(), got.GetProperty("accuracy").GetDouble());
        Check.Close(want.GetProperty("mean_ce").GetDouble(), got.GetProperty("mean_ce").GetDouble(), 1e-6, 0, "mean_ce");
        long diagonal = 0;
        var cm = got.GetProperty("confusion_matrix");
        for (int k = 0; k < 10; k++) diagonal += cm[k][k].GetInt64();
        Assert.Equal(want.GetProperty("correct").GetInt64(), diagonal);
    }

    [Fact]
    public void TextOutputNamesFashionClassesAndAMissingCheckpointIsOneErrorLine()
    {
        var r = CliRunner.Run("eval", "--checkpoint", Path.Combine(GoldenDir, "torch_linear.safetensors"), "--data", GoldenDir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenDir, "torch_linear_eval.json")));
        var want = expected.RootElement;
        double accuracy = want.GetProperty("accuracy").GetDouble();
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Test accuracy: {100 * accuracy:F2}%"), r.Stdout);
        Assert.Contains("Confusion matrix", r.Stdout);

        var missing = CliRunner.Run("eval", "--checkpoint", Path.Combine(GoldenDir, "nope.safetensors"), "--data", GoldenDir);
        Assert.Equal(2, missing.ExitCode);
        Assert.Single(missing.Stderr.Trim().Split('\n'));
        Assert.Contains("nope.safetensors", missing.Stderr);
    }

    /// <summary>The lines of the text confusion matrix: its header, then one per class.</summary>
    private static string[] MatrixLines(string stdout, int classes) =>
        stdout.Split('\n').SkipWhile(l => !l.StartsWith("Confusion matrix", StringComparison.Ordinal)).Skip(1).Take(classes + 1)
            .ToArray();

    [Fact]
    public void TheTextConfusionMatrixHasAColumnHeaderAndEachRowsClassAtItsLeft()
    {
        // It had no header and ended each row with its class ("50 0 0  setosa"). Short names head the columns.
        string ckpt = Path.Combine(GoldenDir, "torch_linear.safetensors");
        var text = CliRunner.Run("eval", "--checkpoint", ckpt, "--data", GoldenDir);
        var json = CliRunner.Run("eval", "--checkpoint", ckpt, "--data", GoldenDir, "--json");
        Assert.True(text.ExitCode == 0 && json.ExitCode == 0, text.Stderr + json.Stderr);
        var cm = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("confusion_matrix");
        var lines = MatrixLines(text.Stdout, 10);
        string[] digits = [.. Enumerable.Range(0, 10).Select(c => c.ToString(CultureInfo.InvariantCulture))];
        Assert.Equal(["true", "\\", "predicted", .. digits], Words(lines[0]));
        for (int r = 0; r < 10; r++)
        {
            Assert.StartsWith($"  {r} ", lines[r + 1], StringComparison.Ordinal);
            Assert.Equal(cm[r].EnumerateArray().Select(v => v.GetInt64()), Words(lines[r + 1])[1..].Select(Count));
        }
        Assert.Single(lines.Select(l => l.Length).Distinct()); // counts right-aligned under their column's name

        // Names too long to head three columns: the columns are numbered, and each row gives its number, then its name.
        using var dir = new TempDirectory();
        string[] names = [.. Enumerable.Range(0, 3).Select(c => $"a class whose name is long, number {c}")];
        string csv = dir.File("long.csv");
        File.WriteAllLines(csv, ["x,label", .. Enumerable.Range(0, 60).Select(i => $"{i % 3}.{i % 7},\"{names[i % 3]}\"")]);
        var train = CliRunner.Run("train", "--data", csv, "--model", "linear", "--epochs", "1", "--out", dir.File("run"));
        Assert.True(train.ExitCode == 0, train.Stderr);
        var numbered = CliRunner.Run("eval", "--checkpoint", Path.Combine(dir.File("run"), "checkpoint.safetensors"), "--data", csv);
        Assert.True(numbered.ExitCode == 0, numbered.Stderr);
        lines = MatrixLines(numbered.Stdout, 3);
        Assert.Equal(["true", "\\", "predicted", "0", "1", "2"], Words(lines[0]));
        for (int r = 0; r < 3; r++) Assert.StartsWith($"  {r}  {names[r]} ", lines[r + 1], StringComparison.Ordinal);
        Assert.Equal(60, lines[1..].Sum(l => Words(l)[^3..].Sum(Count)));
        Assert.Single(lines.Select(l => l.Length).Distinct());

        static string[] Words(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        static long Count(string word) => long.Parse(word, CultureInfo.InvariantCulture);
    }
}
