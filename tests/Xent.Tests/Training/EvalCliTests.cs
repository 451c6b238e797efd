using System.Text.Json;
using Xent.Tests.Support;
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
}
