using Xent.Kernels;

namespace Xent.Cli.Bench;

/// <summary>Result of <c>xent bench ce</c>.</summary>
internal sealed record CeBenchResult(BenchStats Functional, BenchStats Kernel, BenchStats? Copy, float Loss);

/// <summary>
/// Cross-entropy forward + backward of an (N, C) batch of logits with class-index targets, 'mean' reduction,
/// the training step's loss: through <see cref="F.CrossEntropy"/> with a leaf that requires grad
/// (<c>x.Grad = null; F.CrossEntropy(x, t).Backward()</c>, as PyTorch's <c>x.grad = None; F.cross_entropy(x, t).backward()</c>),
/// and the fused kernel alone (<see cref="CrossEntropyKernel.ForwardBackwardMean"/> into a preallocated gradient).
/// The optional yardstick is a plain <see cref="Span{T}.CopyTo"/> of the logits' bytes: the least memory traffic
/// any fused forward+backward can have (read the logits once, write the gradient once).
/// </summary>
internal static class CeBench
{
    public static CeBenchResult Run(int n, int c, int warmup, int repeats, bool copy)
    {
        var gen = new Generator(0);
        var x = Tensor.Randn([n, c], gen).RequiresGrad_();
        var t = Tensor.RandInt(c, [n], gen);
        float loss = float.NaN;

        var functional = BenchTimer.Measure(() =>
        {
            x.Grad = null;
            var l = F.CrossEntropy(x, t);
            l.Backward();
            loss = l.Item();
        }, warmup, repeats);

        float[] logits = x.ToArray();
        long[] targets = t.ToInt64Array();
        var grad = new float[logits.Length];
        var kernel = BenchTimer.Measure(() => CrossEntropyKernel.ForwardBackwardMean(logits, targets, c, [], -100, 0f, grad), warmup,
            repeats);

        BenchStats? copyStats = null;
        if (copy)
        {
            var dst = new float[logits.Length];
            copyStats = BenchTimer.Measure(() => logits.AsSpan().CopyTo(dst), warmup, repeats);
        }
        return new CeBenchResult(functional, kernel, copyStats, loss);
    }
}
