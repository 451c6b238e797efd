using BenchmarkDotNet.Attributes;
using Xent.Kernels;

namespace Xent.Benchmarks;

/// <summary>
/// Cross-entropy with class-index targets: fused forward + backward of the 'mean' (the training
/// step's loss), the forward alone, and forward then backward as two kernels; a plain copy of the
/// logits' bytes is the memory-bandwidth yardstick.
/// Run: dotnet run -c Release --project bench/Xent.Benchmarks -- --filter '*CrossEntropy*'
/// </summary>
[MemoryDiagnoser]
public class CrossEntropyBenchmarks
{
    private float[] _logits = [];
    private float[] _grad = [];
    private float[] _loss = [];
    private float[] _max = [];
    private float[] _logSum = [];
    private long[] _targets = [];

    /// <summary>Rows × classes: an LLM vocabulary, a small classifier, a large vocabulary.</summary>
    [Params("1024x32000", "8192x10", "256x128256")]
    public string Shape { get; set; } = "1024x32000";

    private int Rows => int.Parse(Shape.Split('x')[0]);
    private int Classes => int.Parse(Shape.Split('x')[1]);

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _logits = new float[(long)Rows * Classes is var n and <= int.MaxValue ? (int)n : throw new InvalidOperationException()];
        for (int i = 0; i < _logits.Length; i++) _logits[i] = (float)(rng.NextDouble() * 8 - 4);
        _grad = new float[_logits.Length];
        _targets = Enumerable.Range(0, Rows).Select(_ => (long)rng.Next(Classes)).ToArray();
        _loss = new float[Rows];
        _max = new float[Rows];
        _logSum = new float[Rows];
    }

    [Benchmark(Baseline = true, Description = "copy logits (memory yardstick)")]
    public void Copy() => _logits.AsSpan().CopyTo(_grad);

    [Benchmark(Description = "fused forward+backward (mean)")]
    public float FusedMean() => CrossEntropyKernel.ForwardBackwardMean(_logits, _targets, Classes, [], -100, 0f, _grad);

    [Benchmark(Description = "forward only")]
    public double Forward() => CrossEntropyKernel.Forward(_logits, _targets, Classes, [], -100, 0f, _loss, _max, _logSum).LossSum;

    [Benchmark(Description = "forward then backward")]
    public void ForwardThenBackward()
    {
        var totals = CrossEntropyKernel.Forward(_logits, _targets, Classes, [], -100, 0f, _loss, _max, _logSum);
        CrossEntropyKernel.Backward(_logits, _targets, Classes, [], -100, 0f, _max, _logSum, [(float)(1 / totals.WeightSum)], _grad);
    }
}
