using System.Globalization;
using System.Text.Json;

namespace Xent.Cli.Bench;

/// <summary>
/// Prints a benchmark's result either as one human line or, for scripts such as bench/compare-pytorch,
/// as exactly one JSON object on stdout: <c>bench</c>, the parameters, <c>median_ms</c>, <c>min_ms</c>,
/// <c>max_ms</c>, <c>repeats</c>, <c>threads</c> and the benchmark's own figures.
/// </summary>
internal static class BenchOutput
{
    // A NaN loss must not crash the report.
    private static readonly JsonSerializerOptions s_json =
        new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Writes the result; <paramref name="fields"/> are the parameters and extra figures, in order.</summary>
    public static void Write(bool json, string bench, BenchStats stats, IEnumerable<(string Key, object? Value)> fields, string human)
    {
        if (json)
        {
            var o = new Dictionary<string, object?> { ["bench"] = bench };
            foreach (var (k, v) in fields) o[k] = v is double d ? Round(d) : v;
            o["median_ms"] = Round(stats.MedianMs);
            o["min_ms"] = Round(stats.MinMs);
            o["max_ms"] = Round(stats.MaxMs);
            o["repeats"] = stats.Repeats;
            o["threads"] = Kernels.KernelParallel.MaxThreads;
            Console.WriteLine(JsonSerializer.Serialize(o, s_json));
        }
        else
        {
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{0}: median {1:F3} ms (min {2:F3}, max {3:F3}; {4} repeats, {5} threads){6}",
                bench, stats.MedianMs, stats.MinMs, stats.MaxMs, stats.Repeats, Kernels.KernelParallel.MaxThreads,
                human.Length == 0 ? "" : "  " + human));
        }
    }

    /// <summary>Six significant decimals are plenty for milliseconds and keep the JSON short.</summary>
    private static double Round(double x) => double.IsFinite(x) ? Math.Round(x, 6) : x;

    /// <summary>Invariant-culture formatting for the human lines.</summary>
    public static string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
