using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Xent.Cli.Bench;
using Xent.Kernels;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent bench linear-ce --n N --d D --v V [--json]</c>: times forward + backward of cross-entropy over a
/// linear head, fused (no logits) against unfused (materialised N×V logits), and reports the median time
/// and the peak extra memory of each. Attach under the <c>bench</c> command: <c>bench.Add(BenchLinearCeCommand.Create())</c>.
/// </summary>
internal static class BenchLinearCeCommand
{
    public static Command Create()
    {
        var n = new Option<int>("--n") { Description = "Rows (tokens) N", DefaultValueFactory = _ => 1024 };
        var d = new Option<int>("--d") { Description = "Hidden size D", DefaultValueFactory = _ => 512 };
        var v = new Option<int>("--v") { Description = "Vocabulary size V", DefaultValueFactory = _ => 32000 };
        var runs = new Option<int>("--runs")
        {
            Description = "Timed rounds; each runs every path once, in alternating order (medians are reported)",
            DefaultValueFactory = _ => 3,
        };
        var warmup = new Option<int>("--warmup") { Description = "Untimed rounds first", DefaultValueFactory = _ => 1 };
        // No DefaultValueFactory (null when absent): the help shows the one default the description names.
        var threads = new Option<int?>("--threads") { Description = "Kernel threads, KernelParallel.MaxThreads [default: all cores]" };
        var noUnfused = new Option<bool>("--no-unfused") { Description = "Skip the unfused path (it needs 2·N·V floats)" };
        var rowChunk = new Option<int>("--row-chunk") { Description = "Rows per tile (0: automatic)", DefaultValueFactory = _ => 0 };
        var vocabChunk = new Option<int>("--vocab-chunk")
            { Description = "Classes per tile (0: automatic)", DefaultValueFactory = _ => 0 };
        var partitions = new Option<int>("--partitions")
            { Description = "Vocabulary partitions (0: automatic)", DefaultValueFactory = _ => 0 };
        var scratch = new Option<double>("--scratch-mib")
        {
            Description = "Scratch budget of the fused (training) path in MiB (0: automatic, 12.5 MiB at the default size)",
            DefaultValueFactory = _ => 0,
        };
        var packed = new Option<bool>("--packed-operands")
        {
            Description = "Send the fused path's products through the GEMM's packing instead of reading W, H and G in place "
                + "(the same results; to measure what reading in place saves). The default is the CPU type's: packed on Intel, in "
                + "place elsewhere",
        };
        var inPlace = new Option<bool>("--in-place-operands")
        {
            Description = "Have the fused path's products read W, H and G in place (where the shapes allow) instead of packing them",
        };
        var json = new Option<bool>("--json") { Description = "Print exactly one JSON object on stdout instead of the table" };
        var command =
            new Command("linear-ce",
            "Fused linear + cross-entropy (no N×V logits) against the materialised path: median time, peak extra memory, and the "
            + "fused/unfused ratio paired by round.")
        {
            n, d, v, runs, warmup, threads, noUnfused, rowChunk, vocabChunk, partitions, scratch, packed, inPlace, json,
        };
        command.SetAction(pr =>
        {
            var s = new LinearCeBenchSettings(pr.GetValue(n), pr.GetValue(d), pr.GetValue(v), pr.GetValue(runs), pr.GetValue(warmup),
                !pr.GetValue(noUnfused), pr.GetValue(rowChunk), pr.GetValue(vocabChunk), pr.GetValue(partitions), Seed: 1,
                TrainingScratchBytes: (long)(pr.GetValue(scratch) * 1024 * 1024),
                PackedOperands: pr.GetValue(packed) ? true : pr.GetValue(inPlace) ? false : null);
            if (pr.GetValue(packed) && pr.GetValue(inPlace))
                return CliHost.Fail("--packed-operands and --in-place-operands contradict each other; give one (or neither, for this " +
                    "CPU type's default).");
            if (s.N <= 0 || s.D <= 0 || s.V <= 0 || s.Runs <= 0 || s.Warmup < 0 || !(pr.GetValue(scratch) >= 0)
                || (long)s.N * s.V > int.MaxValue && s.Unfused || (long)s.V * s.D > int.MaxValue)
                return CliHost.Fail("--n, --d, --v and --runs must be positive, --warmup and --scratch-mib not negative (and N·V, " +
                    "V·D below 2^31; use --no-unfused for larger N·V).");
            // Checked here, by option name: the kernel's own check named a C# property ("RowChunk must be positive …").
            foreach (var (name, value) in new[] { ("--row-chunk", s.RowChunk), ("--vocab-chunk", s.VocabChunk),
                         ("--partitions", s.Partitions) })
                if (value < 0) return CliHost.Fail($"{name} must be positive (or 0 for automatic), got {value}.");
            if (CommonOptions.ThreadsError(pr.GetValue(threads)) is { } threadsError) return CliHost.Fail(threadsError); // as train's
            CommonOptions.UseThreads(pr.GetValue(threads));
            var r = LinearCeBench.Run(s);
            Console.WriteLine(pr.GetValue(json) ? ToJson(r) : ToText(r));
            return 0;
        });
        return command;
    }

    private static string ToJson(LinearCeBenchResult r)
    {
        var o = new Dictionary<string, object?>
        {
            ["n"] = r.Settings.N, ["d"] = r.Settings.D, ["v"] = r.Settings.V, ["threads"] = r.Threads, ["runs"] = r.Settings.Runs,
            ["row_chunk"] = r.Chunking.RowChunk, ["vocab_chunk"] = r.Chunking.VocabChunk, ["partitions"] = r.Chunking.Partitions,
            ["logits_mib"] = Round(r.LogitsMiB),
            ["fused_median_ms"] = Round(r.FusedMedianMs), ["gradient_rows"] = r.GradientRows,
            ["gradient_vocab_chunk"] = r.GradientLayout.VocabChunk, ["gradient_partitions"] = r.GradientLayout.Partitions,
            ["recompute_median_ms"] = Round(r.RecomputeMedianMs), ["recompute_peak_extra_mib"] = Round(r.RecomputePeakExtraMiB),
            ["fused_peak_extra_mib"] = Round(r.FusedPeakExtraMiB), ["fused_gc_allocated_extra_mib"] = Round(r.FusedGcAllocatedExtraMiB),
            ["fused_loss"] = r.FusedLoss,
            ["unfused_median_ms"] = Round(r.UnfusedMedianMs), ["unfused_peak_extra_mib"] = Round(r.UnfusedPeakExtraMiB),
            ["unfused_gc_allocated_extra_mib"] = Round(r.UnfusedGcAllocatedExtraMiB), ["unfused_loss"] = r.UnfusedLoss,
            ["paired_unfused_over_fused"] = Round(r.PairedUnfusedOverFused), ["packed_operands"] = r.PackedOperands,
        };
        return JsonSerializer.Serialize(o);
    }

    private static double? Round(double? x) => x is double v ? Math.Round(v, 3) : null;

    private static string Partitions(int count) => count == 1 ? "1 partition" : $"{count} partitions";

    private static string ToText(LinearCeBenchResult r)
    {
        var ci = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Format(ci, "linear-ce  N={0} D={1} V={2}  threads={3}  recompute tiles {4}x{5}, {6}  (logits would be {7:F1} MiB)",
                r.Settings.N, r.Settings.D, r.Settings.V, r.Threads, r.Chunking.RowChunk, r.Chunking.VocabChunk,
                Partitions(r.Chunking.Partitions), r.LogitsMiB),
            string.Format(ci, "{0,-9} {1,12} {2,18} {3,22} {4,12}", "path", "median ms", "peak extra MiB", "GC allocated-out MiB", "loss"),
            string.Format(ci, "{0,-9} {1,12:F1} {2,18:F2} {3,22:F2} {4,12:F6}", "fused", r.FusedMedianMs, r.FusedPeakExtraMiB,
                r.FusedGcAllocatedExtraMiB, r.FusedLoss),
        };
        if (r.UnfusedMedianMs is double um)
            lines.Add(string.Format(ci, "{0,-9} {1,12:F1} {2,18:F2} {3,22:F2} {4,12:F6}", "unfused", um, r.UnfusedPeakExtraMiB,
                r.UnfusedGcAllocatedExtraMiB, r.UnfusedLoss));
        lines.Add(string.Format(ci,
            "{0,-9} {1,12:F1} {2,18:F2}   (forward, then backward recomputing the logits; 'none' and inference use its forward)",
            "recompute", r.RecomputeMedianMs, r.RecomputePeakExtraMiB));
        lines.Add(string.Format(ci,
            "fused (training path): blocks of {0} rows x all {1} classes, walked in chunks of {2} classes in {3}{4}",
            r.GradientRows, r.Settings.V, r.GradientLayout.VocabChunk, Partitions(r.GradientLayout.Partitions),
            r.PackedOperands ? ", products through the GEMM's packing" : ", products reading W, H and G in place where they can"));
        if (r.PairedUnfusedOverFused is double paired)
            lines.Add(string.Format(ci,
                "fused against unfused, paired by round: {0:F3}x (median of unfused / fused time in the same round)", paired));
        return string.Join(Environment.NewLine, lines);
    }
}
