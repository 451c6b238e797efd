using Xent.Models;

namespace Xent.Cli.Bench;

/// <summary>Result of <c>xent bench eval</c>: time for all images and images per second.</summary>
internal sealed record EvalBenchResult(BenchStats Stats, int Images, int BatchSize, double SamplesPerS);

/// <summary>
/// Evaluation of the PyTorch MNIST tutorial's CNN: 10,000 random 28×28 images in batches of 1000, eval mode (dropout off),
/// under <see cref="Tensor.NoGrad"/>, predicted class by arg-max; one repeat is the whole 10,000 images.
/// The batches are built once beforehand, as PyTorch's <c>x[i:i+1000]</c> slices are views.
/// </summary>
internal static class EvalBench
{
    public static EvalBenchResult Run(int images, int batchSize, int warmup, int repeats)
    {
        var gen = new Generator(0);
        var model = new MnistCnn(gen);
        model.Eval();
        var batches = new List<Tensor>();
        for (int i = 0; i < images; i += batchSize)
            batches.Add(Tensor.Randn([Math.Min(batchSize, images - i), 1, 28, 28], gen));
        long checksum = 0;
        var stats = BenchTimer.Measure(() =>
        {
            using var _ = Tensor.NoGrad();
            foreach (var b in batches) checksum += model.Forward(b).ArgMax(1).Int64Data[0];
        }, warmup, repeats);
        GC.KeepAlive(checksum);
        return new EvalBenchResult(stats, images, batchSize, images / stats.MedianMs * 1000);
    }
}
