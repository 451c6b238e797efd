using System.Globalization;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// The words of the training-data warning without split.csv beside the checkpoint (qa-s21-crash L1: "all but 0.1 of its 150
/// samples") and of the refusal of a split.csv that marks the run's held-out rows and more 'test' (L3: "0 of its 15 held-out
/// rows are not among the split's 150").
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class HeldOutWordingCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _csv, _checkpoint;

    public HeldOutWordingCliTests()
    {
        _csv = _dir.File("data.csv");
        File.WriteAllLines(_csv, ["a,b,label", .. Enumerable.Range(0, 40).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"{i % 4 + 0.1 * (i % 7)},{i % 5},{"xy"[i % 2]}"))]);
        string run = _dir.File("run");
        var r = InProcessCli.Run("train", "--data", _csv, "--val-split", "0.25", "--epochs", "1", "--batch-size", "8", "--out", run);
        Assert.True(r.ExitCode == 0, r.Stderr);
        _checkpoint = Path.Combine(run, "checkpoint.safetensors");
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WithoutSplitCsvTheWarningGivesTheFractionHeldOutAsAPercentage()
    {
        string elsewhere = _dir.File("moved.safetensors");
        File.Copy(_checkpoint, elsewhere);
        var r = InProcessCli.Run("eval", "--checkpoint", elsewhere, "--data", _csv);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith($"Warning: '{_csv}' is the data '{elsewhere}' was trained on: all of its 40 samples but the 25% its run " +
            "held out (--val-split 0.25) trained it, so its accuracy below is not a test result.", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ASplitThatMarksEveryRowTestSaysItMarksMoreThanTheRunHeldOut()
    {
        string split = Path.Combine(Path.GetDirectoryName(_checkpoint)!, "split.csv"), all = _dir.File("alltest.csv");
        var lines = File.ReadAllLines(split);
        int held = lines.Count(l => l.EndsWith(",test", StringComparison.Ordinal));
        File.WriteAllLines(all, [lines[0], .. lines.Skip(1).Select(l => l.Replace(",train", ",test", StringComparison.Ordinal))]);
        var r = InProcessCli.Run("eval", "--checkpoint", _checkpoint, "--data", _csv, "--held-out", all);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"(--val-split 0.25, seed 1: the run held out {held} rows, and the split marks those and {40 - held} more, rows " +
            "that trained the model)", r.Stderr, StringComparison.Ordinal);
    }
}
