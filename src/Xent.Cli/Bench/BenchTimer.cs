using System.Diagnostics;

namespace Xent.Cli.Bench;

/// <summary>Median, min and max of the timed repeats, in milliseconds.</summary>
internal sealed record BenchStats(double MedianMs, double MinMs, double MaxMs, int Repeats)
{
    /// <summary>Summary of a set of timings (in ms).</summary>
    public static BenchStats Of(IReadOnlyList<double> timesMs)
    {
        if (timesMs.Count == 0) throw new ArgumentException("At least one timing is needed.", nameof(timesMs));
        var s = timesMs.Order().ToArray();
        double median = s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        return new BenchStats(median, s[0], s[^1], s.Length);
    }
}

/// <summary>Runs an action a few times untimed (JIT, caches, pooled buffers), then times each repeat alone.</summary>
internal static class BenchTimer
{
    /// <summary>
    /// A warmup lasts at least this long: the JIT recompiles hot methods with full optimisation only after they
    /// have run for a while (tiered compilation), so a short step would otherwise be timed partly on first-tier code.
    /// </summary>
    private static readonly TimeSpan MinWarmup = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Times <paramref name="action"/> <paramref name="repeats"/> times after at least <paramref name="warmup"/> untimed
    /// runs and, when <paramref name="warmup"/> is positive, at least half a second of them.
    /// </summary>
    public static BenchStats Measure(Action action, int warmup, int repeats)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < warmup || (warmup > 0 && Stopwatch.GetElapsedTime(start) < MinWarmup); i++) action();
        // No forced collection here: a full blocking GC hands the freed large-object regions back to the OS, and
        // the first timed runs after it would pay page faults for memory a running loop keeps reusing.
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        return BenchStats.Of(times);
    }
}
