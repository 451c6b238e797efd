using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>A model trained on a CSV whose column names hold '=' (the one-hot separator) reads that file again.</summary>
public class CsvNamesCliTests
{
    [Fact]
    public void EvalPredictAndCalibrateReadTheFileAModelWithEqualsInAColumnNameWasTrainedOn()
    {
        // train named the inputs grade=level=A, …; eval, predict and calibrate split them at the first '=' and said the file
        // "lacks column 'grade'".
        using var dir = new TempDirectory();
        string csv = dir.File("eq.csv");
        File.WriteAllLines(csv, ["grade=level,\"x, cm\",label", .. Enumerable.Range(0, 60).Select(i =>
            FormattableString.Invariant($"{"ABC"[i % 3]},{(i % 2 == 0 ? 1 : -1) * (1 + i % 5 * 0.1)},{"pq"[i % 2]}"))]);
        string run = dir.File("run"), ckpt = Path.Combine(run, "checkpoint.safetensors");
        var train = CliRunner.Run("train", "--data", csv, "--model", "linear", "--epochs", "2", "--out", run);
        Assert.True(train.ExitCode == 0, train.Stderr);
        foreach (string[] args in new[]
        {
            new[] { "eval", "--checkpoint", ckpt, "--data", csv },
            ["predict", "--checkpoint", ckpt, "--input", csv],
            ["calibrate", "--checkpoint", ckpt, "--data", csv, "--out", dir.File("calibrated.safetensors")],
        })
        {
            var r = CliRunner.Run(args);
            Assert.True(r.ExitCode == 0, $"{args[0]}: {r.Stderr}");
            Assert.DoesNotContain("lacks column", r.Stderr, StringComparison.Ordinal);
        }
    }
}
