using System.CommandLine;
using System.CommandLine.Invocation;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xent.Distributed;
using Xent.Kernels;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>mpiexec -n P xent bench linear-ce --vocab-parallel --n N --d D --v V [--json]</c>: forward + backward of
/// <see cref="VocabParallel.LinearCrossEntropy"/> with each rank holding V/P rows of the weight. The inputs are those of
/// the single-process <c>bench linear-ce</c> for the same sizes (same generator, seed 1), so <c>fused_loss</c> matches
/// its value. Reports the median time over ranks' slowest and the peak extra memory of every rank.
/// </summary>
internal static class VocabParallelBenchCommand
{
    private const double MiB = 1024.0 * 1024.0;

    /// <summary>Adds <c>--vocab-parallel</c> to <paramref name="linearCe"/>, wrapping its action.</summary>
    public static void Extend(Command linearCe)
    {
        var vocabParallel = new Option<bool>("--vocab-parallel")
        {
            Description = "Under mpiexec: split the vocabulary over the ranks (Megatron's vocabulary-parallel cross-entropy); "
                + "of the tiling options only --row-chunk applies",
        };
        linearCe.Options.Add(vocabParallel);
        var single = linearCe.Action as SynchronousCommandLineAction
            ?? throw new InvalidOperationException("linear-ce has no synchronous action.");
        linearCe.SetAction(parse => parse.GetValue(vocabParallel) ? Run(parse) : single.Invoke(parse));
    }

    private static int Run(ParseResult parse)
    {
        int n = parse.GetValue<int>("--n"), d = parse.GetValue<int>("--d"), v = parse.GetValue<int>("--v");
        int runs = parse.GetValue<int>("--runs"), warmup = parse.GetValue<int>("--warmup");
        int? threads = parse.GetValue<int?>("--threads");
        int rowChunk = parse.GetValue<int>("--row-chunk");
        bool json = parse.GetValue<bool>("--json");
        if (n <= 0 || d <= 0 || v <= 0 || runs <= 0 || warmup < 0 || rowChunk < 0 || threads < 1
            || (long)v * d > int.MaxValue || (long)n * d > int.MaxValue)
        {
            // Checked before MPI starts, so every rank meets it; rank 0 says it (DistributedCommands.IsOtherRank).
            if (!DistributedCommands.IsOtherRank(["--vocab-parallel"]))
                Console.Error.WriteLine("error: --n, --d, --v, --runs and --threads must be positive, --warmup and --row-chunk " +
                    "non-negative, and N·D, V·D below 2^31.");
            return 2;
        }
        if (CommonOptions.ThreadsError(threads) is { } threadsError)
        {
            if (!DistributedCommands.IsOtherRank(["--vocab-parallel"])) Console.Error.WriteLine("error: " + threadsError);
            return 2;
        }
        MpiWorld world;
        try
        {
            world = MpiWorld.Initialize();
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or EntryPointNotFoundException)
        {
            Console.Error.WriteLine("error: --vocab-parallel needs MPI: " + e.Message);
            return 2;
        }
        if (v < world.Size)
        {
            if (world.IsRoot) Console.Error.WriteLine($"error: --v ({v}) must be at least the number of ranks ({world.Size}).");
            world.Dispose();
            return 2;
        }
        CommonOptions.UseThreads(threads);

        // The single-process bench's inputs (LinearCeBench.Run): h, then W scaled by 1/√D, then targets, from Random(1).
        var rnd = new Random(1);
        var h = RandomArray(rnd, n * d, 1f);
        var wAll = RandomArray(rnd, v * d, 1f / MathF.Sqrt(d));
        var t = new long[n];
        for (int i = 0; i < n; i++) t[i] = rnd.Next(v);
        var (start, length) = VocabParallel.Shard(v, world.Rank, world.Size);
        var hidden = Tensor.FromArray(h, [n, d]).RequiresGrad_();
        var shard = Tensor.FromArray(wAll.AsSpan(start * d, length * d).ToArray(), [length, d]).RequiresGrad_();
        var target = Tensor.FromArray(t);
        wAll = null;

        var meter = new ScratchMeter();
        var times = new List<double>();
        double loss = 0;
        long peak = 0;
        for (int run = 0; run < warmup + runs; run++)
        {
            hidden.Grad = null;
            shard.Grad = null;
            meter.Reset();
            world.Barrier();
            var sw = Stopwatch.StartNew();
            var l = VocabParallel.LinearCrossEntropyMetered(world, hidden, shard, target, v, rowChunk: rowChunk, meter: meter);
            l.Backward();
            var ms = new[] { (float)sw.Elapsed.TotalMilliseconds };
            world.AllReduceMax(ms); // a step takes as long as its slowest rank
            if (run < warmup) continue;
            times.Add(ms[0]);
            loss = l.Item();
            peak = Math.Max(peak, meter.PeakBytes);
        }
        var perRank = new double[world.Size];
        perRank[world.Rank] = peak / MiB;
        world.AllReduceSum(perRank);
        if (world.IsRoot)
        {
            double median = Median(times);
            var ci = CultureInfo.InvariantCulture;
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["n"] = n, ["d"] = d, ["v"] = v, ["ranks"] = world.Size, ["threads"] = KernelParallel.MaxThreads, ["runs"] = runs,
                    ["fused_loss"] = loss, ["vocab_parallel_median_ms"] = Math.Round(median, 3),
                    ["peak_extra_mib_per_rank"] = perRank.Select(x => Math.Round(x, 3)).ToArray(),
                    ["logits_mib_per_rank"] = Math.Round((double)n * (v / world.Size) * sizeof(float) / MiB, 3),
                }));
            }
            else
            {
                Console.WriteLine(string.Format(ci, "linear-ce vocab-parallel  N={0} D={1} V={2}  {3} ranks × {4} threads",
                    n, d, v, world.Size, KernelParallel.MaxThreads));
                Console.WriteLine(string.Format(ci, "median {0:F1} ms (forward + backward, slowest rank), loss {1:F6}", median, loss));
                Console.WriteLine("peak extra MiB per rank: " + string.Join(", ", perRank.Select(x => x.ToString("F2", ci))));
            }
        }
        world.Dispose();
        return 0;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static float[] RandomArray(Random rnd, int length, float scale)
    {
        var x = GC.AllocateUninitializedArray<float>(length);
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rnd.NextDouble() * 2 - 1) * scale;
        return x;
    }
}
