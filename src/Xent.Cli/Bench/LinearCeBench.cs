using System.Diagnostics;
using Xent.Kernels;

namespace Xent.Cli.Bench;

/// <summary>Settings of one <c>xent bench linear-ce</c> run.</summary>
internal sealed record LinearCeBenchSettings(int N, int D, int V, int Runs, int Warmup, bool Unfused, int RowChunk, int VocabChunk,
    int Partitions, int Seed, long TrainingScratchBytes = 0, bool? PackedOperands = null);

/// <summary>
/// Medians and memory of the fused and unfused paths (times in ms, memory in MiB); <c>PairedUnfusedOverFused</c> is the median
/// over rounds of the unfused time divided by the fused time of the same round (null without the unfused path).
/// </summary>
internal sealed record LinearCeBenchResult(
    LinearCeBenchSettings Settings, int Threads, (int RowChunk, int VocabChunk, int Partitions) Chunking, int GradientRows,
    (int VocabChunk, int Partitions) GradientLayout,
    double FusedMedianMs, double RecomputeMedianMs, double RecomputePeakExtraMiB, double FusedPeakExtraMiB, double FusedGcAllocatedExtraMiB,
    double FusedLoss,
    double? UnfusedMedianMs, double? UnfusedPeakExtraMiB, double? UnfusedGcAllocatedExtraMiB, double? UnfusedLoss, double LogitsMiB,
    double? PairedUnfusedOverFused, bool PackedOperands);

/// <summary>
/// Forward + backward of mean cross-entropy over a linear head's logits, H (N, D) · Wᵀ (D, V), two ways:
/// <list type="bullet">
/// <item><b>fused</b>: <see cref="LinearCrossEntropyKernel.ForwardBackward"/>, what <c>F.LinearCrossEntropy</c> runs when training
/// with 'mean' or 'sum': loss and gradients in one pass of 3 GEMMs over blocks of whole logits rows;</item>
/// <item><b>recompute</b>: <see cref="LinearCrossEntropyKernel.Forward"/> then <see cref="LinearCrossEntropyKernel.Backward"/>
/// (online softmax over small tiles, logits recomputed in backward: 4 GEMMs), the path for 'none' and for inference;</item>
/// <item><b>unfused</b>: Sgemm into an (N, V) logits buffer, <see cref="CrossEntropyKernel.ForwardBackwardMean"/>
/// into an (N, V) gradient buffer, then two Sgemm for dH and dW — what PyTorch does.</item>
/// </list>
/// Extra memory is counted explicitly: for the fused path every scratch buffer the kernel allocates
/// (<see cref="ScratchMeter"/>, peak held at once) plus the 2·N floats saved between forward and
/// backward; for the unfused path the two N×V buffers, which are allocated once before the rounds and reused (its most
/// favourable case: it never pays for faulting them in). Outputs (loss, dH, dW) are allocated once outside
/// the timed call and are not extra: both paths produce them. The cross-check is GC.GetTotalAllocatedBytes
/// around the timed call, plus the unfused buffers (an upper bound on what was held at once, since it sums every
/// allocation). The three paths take turns within each round, so that a slow spell on a shared machine falls on all of
/// them alike. Sgemm's per-thread packing buffers are allocated once per thread and reused, so they are in neither count
/// (up to ≈ 4.5 MiB per thread, the same for both paths).
/// </summary>
internal static class LinearCeBench
{
    private const double MiB = 1024.0 * 1024.0;

    public static LinearCeBenchResult Run(LinearCeBenchSettings s)
    {
        // --packed-operands / --in-place-operands: the fused path's products go through Sgemm's packing, or read their operands
        // in place (null: the CPU type's default); the bits are the same, so only the time can differ.
        bool inPlace = LinearCrossEntropyKernel.ReadOperandsInPlace;
        if (s.PackedOperands is bool packed) LinearCrossEntropyKernel.ReadOperandsInPlace = !packed;
        try
        {
            return Measure(s);
        }
        finally
        {
            LinearCrossEntropyKernel.ReadOperandsInPlace = inPlace;
        }
    }

    private static LinearCeBenchResult Measure(LinearCeBenchSettings s)
    {
        var rnd = new Random(s.Seed);
        var h = RandomArray(rnd, s.N * s.D, 1f);
        var w = RandomArray(rnd, s.V * s.D, 1f / MathF.Sqrt(s.D));
        var t = new long[s.N];
        for (int i = 0; i < t.Length; i++) t[i] = rnd.Next(s.V);
        var gh = new float[s.N * s.D];
        var gw = new float[s.V * s.D];
        var chunking = new LinearCrossEntropyChunking(s.RowChunk, s.VocabChunk, s.Partitions, s.TrainingScratchBytes);
        var resolved = chunking.Resolve(s.N, s.V);

        var meter = new ScratchMeter();
        double fusedLoss = 0;
        double? unfusedLoss = null;
        var fusedTimes = new List<double>();
        var recomputeTimes = new List<double>();
        var unfusedTimes = new List<double>();
        var ratios = new List<double>();
        long fusedPeak = 0, fusedGc = 0, recomputePeak = 0, unfusedGc = 0;

        double TimeFused(bool record)
        {
            meter.Reset();
            Collect();
            long before = GC.GetTotalAllocatedBytes(precise: true);
            var sw = Stopwatch.StartNew();
            var totals = LinearCrossEntropyKernel.ForwardBackward(h, w, [], t, s.D, [], -100, 0f, 0f, 0f, true, gh, gw, default, chunking,
                meter);
            double ms = sw.Elapsed.TotalMilliseconds;
            if (!record) return ms; // warm-up: the first call also allocates the per-thread GEMM buffers
            fusedGc = Math.Max(fusedGc, GC.GetTotalAllocatedBytes(precise: true) - before);
            fusedLoss = totals.Mean;
            fusedPeak = Math.Max(fusedPeak, meter.PeakBytes);
            return ms;
        }
        double TimeRecompute(bool record)
        {
            meter.Reset();
            Collect();
            var sw = Stopwatch.StartNew();
            long saved = Recompute(h, w, t, s.D, gh, gw, chunking, meter);
            double ms = sw.Elapsed.TotalMilliseconds;
            if (record) recomputePeak = Math.Max(recomputePeak, meter.PeakBytes + saved);
            return ms;
        }
        // The unfused path's two N×V buffers are allocated once and reused: the most favourable case for it, since otherwise
        // whether its 250 MiB are faulted in again on a run depends on what the collections between runs gave back.
        long buffersBefore = GC.GetTotalAllocatedBytes(precise: true);
        float[] logits = s.Unfused ? GC.AllocateUninitializedArray<float>(s.N * s.V) : [];
        float[] grad = s.Unfused ? GC.AllocateUninitializedArray<float>(s.N * s.V) : [];
        long bufferBytes = GC.GetTotalAllocatedBytes(precise: true) - buffersBefore;
        double TimeUnfused(bool record)
        {
            Collect();
            long before = GC.GetTotalAllocatedBytes(precise: true);
            var sw = Stopwatch.StartNew();
            float loss = Unfused(h, w, t, s.D, gh, gw, logits, grad);
            double ms = sw.Elapsed.TotalMilliseconds;
            if (!record) return ms;
            unfusedLoss = loss;
            unfusedGc = Math.Max(unfusedGc, GC.GetTotalAllocatedBytes(precise: true) - before);
            return ms;
        }

        // The paths take turns within each round, in alternating order, so that a slow spell of a shared machine falls on all
        // of them alike; the fused/unfused ratio is also taken round by round (paired) and its median reported.
        for (int run = 0; run < s.Warmup + s.Runs; run++)
        {
            bool forward = run % 2 == 0, record = run >= s.Warmup;
            double fused = 0, unfused = 0, recompute;
            if (s.Unfused && !forward) unfused = TimeUnfused(record);
            if (forward) fused = TimeFused(record);
            recompute = TimeRecompute(record);
            if (!forward) fused = TimeFused(record);
            if (s.Unfused && forward) unfused = TimeUnfused(record);
            if (!record) continue;
            fusedTimes.Add(fused);
            recomputeTimes.Add(recompute);
            if (!s.Unfused) continue;
            unfusedTimes.Add(unfused);
            ratios.Add(unfused / fused);
        }
        double? unfusedMs = s.Unfused ? Median(unfusedTimes) : null;
        double? unfusedPeak = s.Unfused ? 2.0 * s.N * s.V * sizeof(float) / MiB : null;
        double? unfusedGcMiB = s.Unfused ? (unfusedGc + bufferBytes) / MiB : null;
        double? pairedRatio = s.Unfused ? Median(ratios) : null;
        Collect();
        return new LinearCeBenchResult(s, KernelParallel.MaxThreads, resolved, chunking.GradientRows(s.N, s.V, s.D),
            chunking.GradientLayout(s.V, s.D),
            Median(fusedTimes), Median(recomputeTimes), recomputePeak / MiB, fusedPeak / MiB, fusedGc / MiB, fusedLoss,
            unfusedMs, unfusedPeak, unfusedGcMiB, unfusedLoss, (double)s.N * s.V * sizeof(float) / MiB, pairedRatio,
            PackedOperands: !LinearCrossEntropyKernel.ReadOperandsInPlace);
    }

    /// <summary>Forward, then backward recomputing the logits; returns the bytes saved between the two (2·N floats).</summary>
    private static long Recompute(float[] h, float[] w, long[] t, int d, float[] gh, float[] gw, LinearCrossEntropyChunking chunking,
        ScratchMeter meter)
    {
        int n = t.Length;
        var m = new float[n];
        var l = new float[n];
        var totals = LinearCrossEntropyKernel.Forward(h, w, [], t, d, [], -100, 0f, 0f, 0f, default, m, l, chunking, meter);
        LinearCrossEntropyKernel.Backward(h, w, [], t, d, [], -100, 0f, 0f, 0f, m, l, [(float)(1.0 / totals.WeightSum)], gh, gw, default,
            chunking, meter);
        return 2L * n * sizeof(float);
    }

    /// <summary>
    /// The materialised path: logits (N, V), fused CE forward+backward into dlogits (N, V), dH = dlogits·W, dW = dlogitsᵀ·H,
    /// into the caller's two N×V buffers.
    /// </summary>
    private static float Unfused(float[] h, float[] w, long[] t, int d, float[] gh, float[] gw, float[] logits, float[] grad)
    {
        int n = t.Length, v = w.Length / d;
        Gemm.Sgemm(false, true, n, v, d, 1f, h, d, w, d, 0f, logits, v);
        float loss = CrossEntropyKernel.ForwardBackwardMean(logits, t, v, [], -100, 0f, grad);
        Gemm.Sgemm(false, false, n, d, v, 1f, grad, v, w, d, 0f, gh, d);
        Gemm.Sgemm(true, false, v, d, n, 1f, grad, v, h, d, 0f, gw, d);
        return loss;
    }

    private static void Collect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    private static double Median(List<double> xs)
    {
        if (xs.Count == 0) return double.NaN;
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
