using Xent.Models;
using Xent.Optim;

namespace Xent.Cli.Bench;

/// <summary>Result of <c>xent bench linear</c>.</summary>
internal sealed record LinearBenchResult(BenchStats Stats, int BatchSize, float LastLoss);

/// <summary>
/// One SGD step of the PyTorch tutorial's <c>SimpleModel</c> (<see cref="LinearClassifier"/>, a single nn.Linear 784→10) on a
/// batch of 100 random inputs: <c>zero_grad; loss = CrossEntropyLoss(model(x), t); backward; SGD(lr 0.01).step</c>.
/// Tiny work per step, so this measures the framework's per-op overhead more than arithmetic.
/// </summary>
internal static class LinearBench
{
    public const int BatchSize = 100;

    public static LinearBenchResult Run(int warmup, int repeats)
    {
        var gen = new Generator(0);
        var model = new LinearClassifier(784, 10, gen);
        var opt = new Sgd(model.Parameters(), lr: 0.01);
        var crit = new NN.CrossEntropyLoss();
        var x = Tensor.Randn([BatchSize, 784], gen);
        var t = Tensor.RandInt(10, [BatchSize], gen);
        float last = float.NaN;
        var stats = BenchTimer.Measure(() =>
        {
            opt.ZeroGrad();
            var loss = crit.Forward(model.Forward(x), t);
            loss.Backward();
            opt.Step();
            last = loss.Item();
        }, warmup, repeats);
        return new LinearBenchResult(stats, BatchSize, last);
    }
}
