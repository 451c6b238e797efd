using System.Text.Json;
using Xent.Distributed.Tests.Support;

namespace Xent.Distributed.Tests;

/// <summary><c>mpiexec -n P xent bench linear-ce --vocab-parallel --json</c> runs on the single-process bench's inputs: same
/// <c>fused_loss</c>.</summary>
public sealed class VocabParallelBenchTests
{
    [MpiTheory]
    [InlineData(2)]
    [InlineData(3)]
    public void ReportsTheSingleProcessBenchLoss(int ranks)
    {
        string[] sizes = ["bench", "linear-ce", "--n", "64", "--d", "32", "--v", "1001", "--runs", "1", "--warmup", "0", "--threads", "1",
            "--json"];
        var single = Mpi.RunAlone(Mpi.Cli, [.. sizes, "--no-unfused"]);
        Assert.True(single.ExitCode == 0, single.Stderr);
        var parallel = Mpi.Run(ranks, Mpi.Cli, [.. sizes, "--vocab-parallel"]);
        Assert.True(parallel.ExitCode == 0, parallel.Stderr);

        using var expected = JsonDocument.Parse(single.Stdout);
        using var actual = JsonDocument.Parse(parallel.Stdout); // rank 0 alone prints: one object
        double e = expected.RootElement.GetProperty("fused_loss").GetDouble(), a = actual.RootElement.GetProperty("fused_loss").GetDouble();
        Assert.True(Math.Abs(a - e) <= 1e-5 * Math.Abs(e), $"vocab-parallel loss {a} vs fused {e}");
        Assert.Equal(ranks, actual.RootElement.GetProperty("ranks").GetInt32());
        var peaks = actual.RootElement.GetProperty("peak_extra_mib_per_rank").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.Equal(ranks, peaks.Length);
        Assert.All(peaks, p => Assert.True(p > 0));
    }

    [MpiFact]
    public void BadSizesAreOneLineFromRankZero()
    {
        // Checked before MPI starts, so every rank met it and printed it.
        // --threads 0 is refused as train's is (it ran on all cores).
        foreach (string[] bad in new[] { new[] { "--n", "0" }, ["--threads", "0"] })
        {
            var run = Mpi.Run(2, Mpi.Cli, ["bench", "linear-ce", "--vocab-parallel", .. bad], timeoutMs: 60_000);
            Assert.Equal(2, run.ExitCode);
            Assert.Equal("error: --n, --d, --v, --runs and --threads must be positive, --warmup and --row-chunk non-negative, and " +
                "N·D, V·D below 2^31.", Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        }
    }
}
