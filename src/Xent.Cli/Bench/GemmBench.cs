using Xent.Kernels;

namespace Xent.Cli.Bench;

/// <summary>Result of <c>xent bench gemm</c>.</summary>
internal sealed record GemmBenchResult(BenchStats Stats, int Size, double Gflops);

/// <summary>
/// Square single-precision GEMM, C = A·B with S×S row-major matrices (<see cref="Gemm.Sgemm"/>); GFLOP/s = 2·S³ / median time.
/// </summary>
internal static class GemmBench
{
    public static GemmBenchResult Run(int size, int warmup, int repeats)
    {
        var rnd = new Random(42);
        var a = new float[size * size];
        var b = new float[size * size];
        var c = new float[size * size];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)rnd.NextDouble() - 0.5f;
            b[i] = (float)rnd.NextDouble() - 0.5f;
        }
        var stats = BenchTimer.Measure(() => Gemm.Sgemm(false, false, size, size, size, 1f, a, size, b, size, 0f, c, size), warmup,
            repeats);
        return new GemmBenchResult(stats, size, 2.0 * size * size * size / (stats.MedianMs * 1e6));
    }
}
