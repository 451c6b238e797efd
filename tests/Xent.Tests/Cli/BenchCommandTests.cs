using System.Text.Json;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// <c>xent bench</c> run as a process on tiny problems: with --json each subcommand prints exactly one JSON object
/// whose derived figures agree with its own timings (GFLOP/s, samples/s), the problem it timed is the one it names
/// (the CE loss equals a float64 reference on the same seeded input), allocation phases add up, and bad arguments
/// exit 2. Speed itself is never asserted.
/// </summary>
public sealed class BenchCommandTests
{
    private static JsonElement RunJson(params string[] args)
    {
        var r = CliRunner.Run(["bench", .. args, "--json", "--threads", "1"]);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Single(lines);
        var o = JsonDocument.Parse(lines[0]).RootElement;
        if (o.TryGetProperty("median_ms", out var med))
        {
            double median = med.GetDouble();
            Assert.True(median > 0);
            Assert.True(o.GetProperty("min_ms").GetDouble() <= median && median <= o.GetProperty("max_ms").GetDouble());
            Assert.Equal(1, o.GetProperty("threads").GetInt32());
        }
        return o;
    }

    [Fact]
    public void GemmReportsGflopsOfItsMedian()
    {
        var o = RunJson("gemm", "--size", "48", "--repeats", "3", "--warmup", "0");
        Assert.Equal("gemm", o.GetProperty("bench").GetString());
        Assert.Equal(48, o.GetProperty("size").GetInt32());
        Assert.Equal(3, o.GetProperty("repeats").GetInt32());
        double expected = 2.0 * 48 * 48 * 48 / (o.GetProperty("median_ms").GetDouble() * 1e6);
        Assert.Equal(expected, o.GetProperty("gflops").GetDouble(), expected * 1e-3);
    }

    [Fact]
    public void PeakReportsTheFlopRateOfItsMedianAtTheGemmWidth()
    {
        var o = RunJson("peak", "--repeats", "1", "--warmup", "0");
        Assert.Equal("peak", o.GetProperty("bench").GetString());
        int bits = o.GetProperty("vector_bits").GetInt32();
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 512 : 256, bits);
        // The help's definition: per thread, 40 million iterations of 12 FMAs, each 2 flops per float32 lane.
        double flop = 2.0 * 12 * (bits / 32) * 40_000_000;
        Assert.Equal(flop, o.GetProperty("flop").GetDouble());
        double expected = flop / (o.GetProperty("median_ms").GetDouble() * 1e6);
        Assert.Equal(expected, o.GetProperty("gflops").GetDouble(), expected * 1e-6);
        // One thread: the whole rate is that thread's.
        Assert.Equal(expected, o.GetProperty("gflops_per_thread").GetDouble(), expected * 1e-6);
    }

    [Fact]
    public void CeTimesTheSeededProblemAndTheCopyYardstick()
    {
        var o = RunJson("ce", "--n", "16", "--c", "7", "--copy", "--repeats", "2", "--warmup", "1");
        Assert.Equal(16, o.GetProperty("n").GetInt32());
        Assert.Equal(7, o.GetProperty("c").GetInt32());
        // A warm copy of 448 bytes can take less than one Stopwatch tick, so only the order of the statistics is checked.
        foreach (var what in new[] { "kernel", "copy" })
        {
            double min = o.GetProperty(what + "_min_ms").GetDouble(), median = o.GetProperty(what + "_median_ms").GetDouble();
            Assert.InRange(min, 0, median);
            Assert.InRange(median, min, o.GetProperty(what + "_max_ms").GetDouble());
        }

        // The same seeded input as CeBench, loss recomputed in float64.
        var gen = new Generator(0);
        var x = Tensor.Randn([16, 7], gen).ToArray();
        var t = Tensor.RandInt(7, [16], gen).ToInt64Array();
        double sum = 0;
        for (int r = 0; r < 16; r++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (int c = 0; c < 7; c++) m = Math.Max(m, x[r * 7 + c]);
            for (int c = 0; c < 7; c++) s += Math.Exp(x[r * 7 + c] - m);
            sum += m + Math.Log(s) - x[r * 7 + t[r]];
        }
        Assert.Equal(sum / 16, o.GetProperty("loss").GetDouble(), 1e-5);
    }

    [Fact]
    public void TrainReportsSamplesPerSecondAndAllocationPerBatch()
    {
        var o = RunJson("train", "--batches", "1", "--warmup", "0");
        Assert.Equal(64, o.GetProperty("batch_size").GetInt32());
        double median = o.GetProperty("median_ms").GetDouble();
        Assert.Equal(64 / median * 1000, o.GetProperty("samples_per_s").GetDouble(), 64 / median * 1000 * 1e-3);
        long total = o.GetProperty("alloc_bytes_per_batch").GetInt64();
        long phases = o.GetProperty("alloc_forward_bytes").GetInt64() + o.GetProperty("alloc_backward_bytes").GetInt64()
            + o.GetProperty("alloc_step_bytes").GetInt64();
        Assert.InRange(total - phases, -64L * 1024, 64L * 1024);
        // The StepArena lends the activations and backward rents its gradients from the pool, so a steady-state batch
        // allocates far less than even the two (conv + ReLU) outputs of 64×32×26×26 and 64×64×24×24 floats (16 MB) that
        // one batch produces. The least-allocating of the measured batches is the steady state; the average may include a
        // batch right after a full collection (the CLI's GC.ConserveMemory makes those), which re-rents what the pool lost.
        long activations = sizeof(float) * (64L * 32 * 26 * 26 + 64L * 64 * 24 * 24);
        Assert.InRange(o.GetProperty("alloc_min_bytes_per_batch").GetInt64(), 0, activations / 16);
        Assert.InRange(total, 0, activations);
        Assert.True(float.IsFinite(o.GetProperty("loss").GetSingle()));
    }

    [Fact]
    public void EvalAndLinearAndLinearCe()
    {
        var e = RunJson("eval", "--images", "10", "--batch-size", "4", "--repeats", "1", "--warmup", "0");
        Assert.Equal(10, e.GetProperty("images").GetInt32());
        double median = e.GetProperty("median_ms").GetDouble();
        Assert.Equal(10 / median * 1000, e.GetProperty("samples_per_s").GetDouble(), 10 / median * 1000 * 1e-3);

        var l = RunJson("linear", "--repeats", "3", "--warmup", "1");
        Assert.Equal(100, l.GetProperty("batch_size").GetInt32());

        var r = CliRunner.Run("bench", "linear-ce", "--n", "8", "--d", "4", "--v", "16", "--runs", "1", "--warmup", "0", "--json",
            "--no-unfused");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lce = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.True(lce.GetProperty("fused_median_ms").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, lce.GetProperty("paired_unfused_over_fused").ValueKind);
    }

    [Fact]
    public void LinearCeWithOneRoundPairsItsOwnTwoTimes()
    {
        // One round: the paired ratio is that round's unfused time over its fused time, i.e. the ratio of the two medians
        // (up to the JSON's rounding to 0.001 ms, under 1% at these sizes).
        var r = CliRunner.Run("bench", "linear-ce", "--n", "64", "--d", "64", "--v", "4000", "--runs", "1", "--warmup", "0", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var o = JsonDocument.Parse(r.Stdout).RootElement;
        double fused = o.GetProperty("fused_median_ms").GetDouble(), unfused = o.GetProperty("unfused_median_ms").GetDouble();
        double expected = unfused / fused;
        Assert.Equal(expected, o.GetProperty("paired_unfused_over_fused").GetDouble(), 0.01 * expected + 0.002);
    }

    [Fact]
    public void LinearCePackedOperandsChangeNoResult()
    {
        // Two partitions of 512-class chunks, so that the products read their operands in place unless told to pack them (with
        // more threads than partitions they would take the GEMM's threads instead); both ways give the same bits.
        string[] args = ["bench", "linear-ce", "--n", "96", "--d", "64", "--v", "2000", "--vocab-chunk", "512", "--partitions", "2",
            "--runs", "1", "--warmup", "0", "--no-unfused", "--json"];
        var inPlace = CliRunner.Run([.. args, "--in-place-operands"]);
        var packed = CliRunner.Run([.. args, "--packed-operands"]);
        Assert.True(inPlace.ExitCode == 0 && packed.ExitCode == 0, inPlace.Stderr + packed.Stderr);
        var a = JsonDocument.Parse(inPlace.Stdout).RootElement;
        var b = JsonDocument.Parse(packed.Stdout).RootElement;
        Assert.False(a.GetProperty("packed_operands").GetBoolean());
        Assert.True(b.GetProperty("packed_operands").GetBoolean());
        // The training path's layout is the one asked for, not the recompute path's tiles.
        Assert.Equal(512, a.GetProperty("gradient_vocab_chunk").GetInt32());
        Assert.Equal(2, a.GetProperty("gradient_partitions").GetInt32());
        Assert.Equal(a.GetProperty("fused_loss").GetDouble(), b.GetProperty("fused_loss").GetDouble());
        // Neither flag: the CPU type's default, packed on Intel (read from /proc/cpuinfo here, not from Xent's CPUID reading).
        var auto = JsonDocument.Parse(CliRunner.Run(args).Stdout).RootElement;
        if (ProcCpuInfo.Vendor() is { } vendor)
            Assert.Equal(vendor == "GenuineIntel", auto.GetProperty("packed_operands").GetBoolean());
        CliAssert.OneLineError(CliRunner.Run([.. args, "--packed-operands", "--in-place-operands"]), 2,
            "--packed-operands and --in-place-operands contradict each other");
    }

    [Fact]
    public void GemmPanelColumnsAreTheCpuTypesUnlessGiven()
    {
        var given = JsonDocument.Parse(CliRunner.Run("bench", "gemm", "--size", "96", "--repeats", "1", "--warmup", "0",
            "--panel-columns", "64", "--json").Stdout).RootElement;
        Assert.Equal(64, given.GetProperty("panel_columns").GetInt32());
        var auto = JsonDocument.Parse(CliRunner.Run("bench", "gemm", "--size", "96", "--repeats", "1", "--warmup", "0", "--json")
            .Stdout).RootElement;
        if (ProcCpuInfo.Vendor() is { } vendor)
            Assert.Equal(vendor == "GenuineIntel" ? 1024 : 2048, auto.GetProperty("panel_columns").GetInt32());
        CliAssert.OneLineError(CliRunner.Run("bench", "gemm", "--size", "96", "--panel-columns", "33"), 2,
            "--panel-columns must be 0 or a positive multiple of 32.");
    }

    [Theory]
    [InlineData("ce", "--n", "0", "--n and --c must be positive and N·C at most 2^31 - 1.")]
    [InlineData("gemm", "--repeats", "0", "--repeats must be at least 1.")]
    [InlineData("peak", "--warmup", "-1", "--warmup must not be negative.")]
    [InlineData("train", "--batches", "0", "--batches must be at least 1.")]
    [InlineData("gemm", "--threads", "-1", "--threads must be at least 1, got -1.")]
    // 0 ran on all cores, while train refused it; leaving --threads out is the way to all cores.
    [InlineData("gemm", "--threads", "0", "--threads must be at least 1, got 0.")]
    [InlineData("train", "--threads", "0", "--threads must be at least 1, got 0.")]
    // The kernel's own check named a C# property: "RowChunk must be positive (or 0 for automatic). Actual value was -1."
    [InlineData("linear-ce", "--row-chunk", "-1", "--row-chunk must be positive (or 0 for automatic), got -1.")]
    [InlineData("linear-ce", "--vocab-chunk", "-3", "--vocab-chunk must be positive (or 0 for automatic), got -3.")]
    [InlineData("linear-ce", "--partitions", "-2", "--partitions must be positive (or 0 for automatic), got -2.")]
    [InlineData("linear-ce", "--threads", "-1", "--threads must be at least 1, got -1.")]
    [InlineData("linear-ce", "--threads", "0", "--threads must be at least 1, got 0.")]
    public void BadArgumentsExitTwoWithOneErrorLine(string sub, string option, string value, string message)
    {
        // Every CLI error starts with "error:"; bench's were "xent bench ce: error: …".
        var r = CliRunner.Run("bench", sub, option, value);
        CliAssert.OneLineError(r, 2);
        Assert.Equal("error: " + message, r.Stderr.TrimEnd('\n'));
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData("ce")]
    [InlineData("gemm")]
    [InlineData("linear-ce")]
    public void ThreadsHelpShowsOneDefault(string sub)
    {
        // It showed "[default: all cores] [default: 0]".
        var r = CliRunner.Run("bench", sub, "--help");
        Assert.Equal(0, r.ExitCode);
        string line = r.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith("--threads", StringComparison.Ordinal));
        Assert.Single(line.Split("[default:").Skip(1));
        Assert.Contains("[default: all cores]", line);
    }


    [Theory]
    [InlineData("ce")]
    [InlineData("train")]
    [InlineData("eval")]
    [InlineData("linear")]
    [InlineData("gemm")]
    [InlineData("peak")]
    [InlineData("linear-ce")]
    public void OptionHelpLinesShareOneStyle(string sub)
    {
        // linear-ce's ended in periods, "Rows (tokens) N. [default: 1024]", unlike every other bench command's.
        var r = CliRunner.Run("bench", sub, "--help");
        Assert.Equal(0, r.ExitCode);
        var options = r.Stdout.Split('\n').SkipWhile(l => l != "Options:").Skip(1).Where(l => l.StartsWith("  -", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(options);
        Assert.All(options, l => Assert.False(l.TrimEnd().EndsWith('.') || l.Contains(". [default", StringComparison.Ordinal), l));
        string threads = options.Single(l => l.TrimStart().StartsWith("--threads", StringComparison.Ordinal));
        Assert.EndsWith("Kernel threads, KernelParallel.MaxThreads [default: all cores]", threads.TrimEnd());
    }
    [Fact]
    public void MoreThreadsThanCoresWarnsAndGivesTheSameResult()
    {
        // --threads 1000 ran silently, oversubscribed; the kernels' results never depend on the thread count.
        int over = Environment.ProcessorCount + 1;
        string[] ce = ["bench", "ce", "--n", "64", "--c", "10", "--repeats", "1", "--warmup", "0", "--json"];
        var many = CliRunner.Run([.. ce, "--threads", over.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(many.ExitCode == 0, many.Stderr);
        Assert.Equal($"Warning: --threads {over} is more than the {Environment.ProcessorCount} cores here; the results are the same, " +
            "but the threads take turns, which is slower.", many.Stderr.Trim());
        var one = CliRunner.Run([.. ce, "--threads", "1"]);
        Assert.Equal("", one.Stderr);
        using var a = System.Text.Json.JsonDocument.Parse(many.Stdout);
        using var b = System.Text.Json.JsonDocument.Parse(one.Stdout);
        Assert.Equal(b.RootElement.GetProperty("loss").GetDouble(), a.RootElement.GetProperty("loss").GetDouble());
    }
}
