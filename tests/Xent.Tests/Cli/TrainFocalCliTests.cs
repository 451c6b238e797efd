using System.Text.Json;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary><c>xent train --loss focal --gamma G</c>: trains with the softmax focal loss; --gamma belongs to it alone.</summary>
public sealed class TrainFocalCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xent-train-focal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TrainsWithFocalLoss_AndRejectsGammaElsewhere()
    {
        string csv = Xent.Tests.Data.OwnDataFiles.SeparableCsv(Path.Combine(_dir, "train.csv"), 150, seed: 5);
        string run = Path.Combine(_dir, "run");
        var r = CliRunner.Run("train", "--data", csv, "--target", "species", "--model", "mlp", "--hidden", "16", "--epochs", "15",
            "--batch-size", "16", "--lr", "0.02", "--loss", "focal", "--gamma", "2", "--out", run);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("FocalLoss(gamma=2)", r.Stdout + File.ReadAllText(Path.Combine(run, "report.html")));
        var eval = CliRunner.Run("eval", "--checkpoint", Path.Combine(run, "checkpoint.safetensors"), "--data", csv, "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.True(JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("accuracy").GetDouble() >= 0.9, eval.Stdout);

        // Independent of what the CLI prints: focal loss with γ = 0 is cross-entropy bit for bit (tested at the kernel),
        // so a γ = 0 run must reproduce the default run's losses exactly, and the γ = 2 run above must not.
        string[] Losses(string dir) =>
            File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Skip(1).Select(l => string.Join(',', l.Split(',')[2..4])).ToArray();
        string[] Train(string name, params string[] loss)
        {
            string dir = Path.Combine(_dir, name);
            var args = new List<string> { "train", "--data", csv, "--target", "species", "--model", "mlp", "--hidden", "16", "--epochs",
                "3", "--batch-size", "16", "--lr", "0.02" };
            args.AddRange(loss);
            args.AddRange(["--out", dir]);
            var t = CliRunner.Run(args);
            Assert.True(t.ExitCode == 0, t.Stderr);
            return Losses(dir);
        }
        var crossEntropy = Train("ce");
        Assert.Equal(crossEntropy, Train("gamma0", "--loss", "focal", "--gamma", "0"));
        Assert.NotEqual(crossEntropy, Losses(run).Take(3).ToArray());

        var bad = CliRunner.Run("train", "--data", csv, "--target", "species", "--gamma", "2", "--epochs", "1", "--out",
            Path.Combine(_dir, "bad"));
        CliAssert.OneLineError(bad, 2, "--gamma");
    }
}
