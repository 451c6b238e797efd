using Xent.IO;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// Every named value is taken in any case and read as its lower-case name: <c>--format ONNX</c> was accepted while
/// <c>--model LINEAR</c>, <c>--optimizer SGD</c>, <c>--reduction MEAN</c> and <c>loss CROSS-ENTROPY</c> were refused; a value that is
/// none of them is refused in one line that names the option and lists its values.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class OptionCaseCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void NamedValuesAreTakenInAnyCaseAndRecordedInLowerCase()
    {
        string csv = _dir.File("d.csv");
        File.WriteAllLines(csv, ["a,b,label", .. Enumerable.Range(0, 24).Select(i =>
            $"{i % 5},{(i % 3 == 0 ? "" : i % 4)},{"pq"[i % 2]}")]); // empty cells: --missing mean
        string run = _dir.File("run"), ckpt = Path.Combine(run, "checkpoint.safetensors");
        var train = InProcessCli.Run("train", "--data", csv, "--out", run, "--epochs", "1", "--model", "LINEAR", "--optimizer", "SGD",
            "--loss", "Cross-Entropy", "--lr-schedule", "COSINE", "--class-weights", "Inverse-Frequency", "--missing", "MEAN");
        Assert.True(train.ExitCode == 0, train.Stderr);
        var metadata = SafeTensors.Read(ckpt).Metadata;
        Assert.Equal("linear", metadata["model"]);
        Assert.Equal("sgd", metadata["setting.optimizer"]);
        Assert.Equal("cosine", metadata["setting.lr_schedule"]);
        Assert.Equal("inverse-frequency", metadata["setting.class_weights"]);

        var eval = InProcessCli.Run("eval", "--checkpoint", ckpt, "--data", csv, "--model", "Linear");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        var export = InProcessCli.Run("export", "--checkpoint", ckpt, "--format", "ONNX", "--out", _dir.File("m.onnx"));
        Assert.True(export.ExitCode == 0, export.Stderr);

        Npy.Write(_dir.File("x.npy"), new float[] { 0.5f, -1f, 2f, 0f, 1f, 3f }, [2, 3]);
        Npy.Write(_dir.File("t.npy"), new long[] { 2, 0 }, [2]);
        var lower = InProcessCli.Run("loss", "cross-entropy", "--input", _dir.File("x.npy"), "--target", _dir.File("t.npy"),
            "--reduction", "sum");
        var upper = InProcessCli.Run("loss", "CROSS-ENTROPY", "--input", _dir.File("x.npy"), "--target", _dir.File("t.npy"),
            "--reduction", "SUM");
        Assert.True(lower.ExitCode == 0 && upper.ExitCode == 0, lower.Stderr + upper.Stderr);
        Assert.Equal(lower.Stdout, upper.Stdout);
    }

    [Theory]
    [InlineData("--model", "lin", "auto, cnn, linear, mlp")]
    [InlineData("--optimizer", "rmsprop", "adam, sgd, adamw, adadelta")]
    [InlineData("--lr-schedule", "linear", "none, step, cosine")]
    public void AValueThatIsNoneOfTheNamesIsRefusedWithTheNames(string option, string value, string names)
    {
        var r = InProcessCli.Run("train", "--data", _dir.File("d.csv"), option, value);
        CliAssert.OneLineError(r, 2);
        Assert.Equal($"error: {option} '{value}' is not one of: {names}. See 'xent train --help'.", r.Stderr.Trim());
    }
}
