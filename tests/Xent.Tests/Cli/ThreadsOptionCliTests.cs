using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// <c>--threads</c> above what <c>Tensor.SetNumThreads</c> takes (1024, or the processor count where that is more) is refused
/// by every command, in one line with the limit: <c>--threads 2147483647</c> was taken with a warning, and the kernels start
/// a thread of their own for each.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ThreadsOptionCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("train")]
    [InlineData("eval")]
    [InlineData("predict")]
    [InlineData("calibrate")]
    [InlineData("bench")]
    public void AThreadCountAboveTheLimitIsRefused(string command)
    {
        string csv = _dir.File("d.csv");
        File.WriteAllLines(csv, ["a,b,label", .. Enumerable.Range(0, 12).Select(i => $"{i},{i % 5},{"xy"[i % 2]}")]);
        string[] args = command switch
        {
            "train" => ["train", "--data", csv, "--out", _dir.File("run"), "--model", "linear"],
            "predict" => ["predict", "--checkpoint", _dir.File("c.safetensors"), "--input", csv],
            "bench" => ["bench", "ce"],
            _ => [command, "--checkpoint", _dir.File("c.safetensors"), "--data", csv],
        };
        int limit = Math.Max(1024, Environment.ProcessorCount);
        var r = InProcessCli.Run([.. args, "--threads", "2147483647"]);
        CliAssert.OneLineError(r, 2, $"--threads must be at most {limit} (each one is a thread of its own; this machine has " +
            $"{Environment.ProcessorCount} cores), got 2147483647.");
        Assert.False(Directory.Exists(_dir.File("run")));
    }
}
