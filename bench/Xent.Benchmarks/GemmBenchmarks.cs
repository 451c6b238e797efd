using BenchmarkDotNet.Attributes;
using Xent.Kernels;

namespace Xent.Benchmarks;

/// <summary>
/// Square SGEMM, C = A·B. GFLOP/s = 2·N³ / mean time. Compare with
/// <c>torch.set_num_threads(t); torch.mm(a, b)</c> at the same size and thread count.
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    /// <summary>Matrix size N (all three dimensions).</summary>
    [Params(256, 1024, 2048)]
    public int N { get; set; }

    /// <summary>KernelParallel.MaxThreads during the run.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(42);
        _a = new float[N * N];
        _b = new float[N * N];
        _c = new float[N * N];
        for (int i = 0; i < _a.Length; i++)
        {
            _a[i] = (float)rnd.NextDouble() - 0.5f;
            _b[i] = (float)rnd.NextDouble() - 0.5f;
        }
        KernelParallel.MaxThreads = Threads;
    }

    [GlobalCleanup]
    public void Cleanup() => KernelParallel.MaxThreads = Environment.ProcessorCount;

    [Benchmark]
    public void Sgemm() => Gemm.Sgemm(false, false, N, N, N, 1f, _a, N, _b, N, 0f, _c, N);
}
