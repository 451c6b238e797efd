using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xent.Cli.Bench;

/// <summary>Result of <see cref="PeakBench.Run"/>: the float32 multiply-add rate of all threads together, and the vector
/// width used.</summary>
internal sealed record PeakBenchResult(BenchStats Stats, int Threads, int VectorBits, double Flop, double Gflops, double GflopsPerThread);

/// <summary>
/// The machine's float32 arithmetic peak, measured: each thread runs fused multiply-adds on twelve independent vector
/// accumulators held in registers (no memory traffic, enough independent chains to cover the FMA latency), all threads at
/// once, at the width the GEMM micro-kernels use. This is the ceiling a GEMM can approach, so the benchmark tables state
/// each flop-bound row as a share of it rather than of a figure worked out from a data sheet.
/// </summary>
internal static class PeakBench
{
    /// <summary>Loop trips per thread per timed run, 12 FMAs each: about 0.15 s on one Zen 4 core (the command's help states both
    /// counts, and a test checks the reported flop against them).</summary>
    private const long Trips = 40_000_000;
    private const int Accumulators = 12;

    public static PeakBenchResult Run(int threads, int warmup, int repeats)
    {
        bool wide = Vector512.IsHardwareAccelerated;
        int bits = wide ? 512 : 256;
        var stats = BenchTimer.Measure(() => RunOnce(threads, wide), warmup, repeats);
        double flops = 2.0 * Accumulators * (bits / 32) * Trips * threads;
        double gflops = flops / (stats.MedianMs * 1e6);
        return new PeakBenchResult(stats, threads, bits, flops, gflops, gflops / threads);
    }

    /// <summary>Starts <paramref name="threads"/> dedicated threads on the loop together and waits for all of them.</summary>
    private static void RunOnce(int threads, bool wide)
    {
        using var start = new Barrier(threads);
        var workers = new Thread[threads];
        var sink = new float[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                start.SignalAndWait();
                sink[id] = wide ? Chains<Vector512<float>, Ops512>(1f + id) : Chains<Vector256<float>, Ops256>(1f + id);
            }) { IsBackground = true };
            workers[t].Start();
        }
        foreach (var w in workers) w.Join();
        if (float.IsNaN(sink.Sum())) throw new UnreachableException(); // keeps the results alive
    }

    // The accumulators are distinct locals, so that the JIT keeps each in its own register (it compiles the method once per
    // vector width), with distinct starting values, so that it cannot merge identical chains.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains<TV, TOps>(float first) where TOps : struct, IVectorOps<TV>
    {
        TV x = TOps.Create(0.999999f), y = TOps.Create(1e-7f);
        TV a0 = TOps.Create(first), a1 = TOps.Create(first + 1), a2 = TOps.Create(first + 2), a3 = TOps.Create(first + 3),
            a4 = TOps.Create(first + 4), a5 = TOps.Create(first + 5), a6 = TOps.Create(first + 6), a7 = TOps.Create(first + 7),
            a8 = TOps.Create(first + 8), a9 = TOps.Create(first + 9), a10 = TOps.Create(first + 10), a11 = TOps.Create(first + 11);
        for (long i = 0; i < Trips; i++)
        {
            a0 = TOps.Fma(a0, x, y); a1 = TOps.Fma(a1, x, y); a2 = TOps.Fma(a2, x, y); a3 = TOps.Fma(a3, x, y);
            a4 = TOps.Fma(a4, x, y); a5 = TOps.Fma(a5, x, y); a6 = TOps.Fma(a6, x, y); a7 = TOps.Fma(a7, x, y);
            a8 = TOps.Fma(a8, x, y); a9 = TOps.Fma(a9, x, y); a10 = TOps.Fma(a10, x, y); a11 = TOps.Fma(a11, x, y);
        }
        return TOps.Sum(a0) + TOps.Sum(a1) + TOps.Sum(a2) + TOps.Sum(a3) + TOps.Sum(a4) + TOps.Sum(a5) + TOps.Sum(a6)
            + TOps.Sum(a7) + TOps.Sum(a8) + TOps.Sum(a9) + TOps.Sum(a10) + TOps.Sum(a11);
    }

    /// <summary>The operations the loop needs at one vector width (implemented by structs, so each width gets its own code).</summary>
    private interface IVectorOps<TV>
    {
        static abstract TV Create(float value);
        static abstract TV Fma(TV a, TV b, TV c);
        static abstract float Sum(TV v);
    }

    private readonly struct Ops512 : IVectorOps<Vector512<float>>
    {
        public static Vector512<float> Create(float value) => Vector512.Create(value);
        public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
            Vector512.FusedMultiplyAdd(a, b, c);
        public static float Sum(Vector512<float> v) => Vector512.Sum(v);
    }

    private readonly struct Ops256 : IVectorOps<Vector256<float>>
    {
        public static Vector256<float> Create(float value) => Vector256.Create(value);
        public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
            Vector256.FusedMultiplyAdd(a, b, c);
        public static float Sum(Vector256<float> v) => Vector256.Sum(v);
    }
}
