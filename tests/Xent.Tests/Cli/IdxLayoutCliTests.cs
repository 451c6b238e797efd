using System.Text.Json;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Tests.Training;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// torchvision's layouts <c>ROOT/MNIST/raw</c> and <c>ROOT/FashionMNIST/raw</c>, which DATA.md lists and the library reads,
/// are read by every command given <c>--data ROOT</c>: the CLI's "what is missing" check looks where the dataset does
/// (qa-s21-crash M6: it looked in ROOT only and refused with a false "lacks t10k-…").
/// </summary>
[Collection(ConsoleCollection.Name)]
public class IdxLayoutCliTests
{
    [Theory]
    [InlineData("MNIST")]
    [InlineData("FashionMNIST")]
    public void TrainEvalAndCalibrateReadTheTorchvisionLayout(string folder)
    {
        using var dir = new TempDirectory();
        string root = dir.File("root");
        SyntheticIdx.Write(Path.Combine(root, folder, "raw"), train: 64, test: 32);
        string run = dir.File("run"), checkpoint = Path.Combine(run, "checkpoint.safetensors");

        var train = InProcessCli.Run("train", "--data", root, "--model", "linear", "--epochs", "1", "--out", run);
        Assert.True(train.ExitCode == 0, train.Stderr);
        var eval = InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", root, "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Equal(32, JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("total").GetInt64()); // the t10k split
        var calibrate = InProcessCli.Run("calibrate", "--checkpoint", checkpoint, "--data", root, "--json");
        Assert.True(calibrate.ExitCode == 0, calibrate.Stderr);
    }

    [Fact]
    public void AFileMissingBelowTheRootIsNamedAloneAndTheOthersAreNotCalledMissing()
    {
        using var dir = new TempDirectory();
        string root = dir.File("root"), raw = Path.Combine(root, "MNIST", "raw");
        SyntheticIdx.Write(raw, train: 64, test: 32);
        foreach (string f in Directory.GetFiles(raw, "t10k-labels-idx1-ubyte*")) File.Delete(f);

        var r = InProcessCli.Run("train", "--data", root, "--model", "linear", "--epochs", "1", "--out", dir.File("run"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("lacks t10k-labels-idx1-ubyte[.gz] (nor are they under its MNIST/raw or FashionMNIST/raw)", r.Stderr);
        Assert.DoesNotContain("train-images", r.Stderr.Split("Install")[0]);
        Assert.DoesNotContain("t10k-images", r.Stderr.Split("Install")[0]);
    }
}
