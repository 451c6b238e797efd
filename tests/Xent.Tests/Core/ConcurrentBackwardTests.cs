using Xent.NN;
using Xunit;

namespace Xent.Tests.Core;

/// <summary>Backward passes on several threads at once into shared parameters, as PyTorch allows (Hogwild, servers).</summary>
public class ConcurrentBackwardTests
{
    [Fact]
    public void BackwardOnEightThreadsIntoOneLayer_LosesNoContribution()
    {
        // Unlocked, two threads could both find Grad null and both adopt theirs, or add into it at once: whole
        // contributions went missing in about one round in five.
        const int threads = 8, rounds = 12;
        var gen = new Generator(5);
        var layer = new Linear(784, 256, generator: gen);
        var inputs = Enumerable.Range(0, threads).Select(_ => Tensor.Randn([16, 784], gen)).ToArray();
        var targets = Enumerable.Range(0, threads).Select(_ => Tensor.RandInt(256, [16], gen)).ToArray();

        // Reference: each thread's gradient alone, summed in float64.
        var expected = new double[layer.Weight.NumEl];
        for (int i = 0; i < threads; i++)
        {
            layer.Weight.Grad = null;
            F.CrossEntropy(layer.Forward(inputs[i]), targets[i]).Backward();
            var g = layer.Weight.Grad!.ToArray();
            for (int j = 0; j < g.Length; j++) expected[j] += g[j];
        }
        double scale = expected.Max(Math.Abs);

        for (int round = 0; round < rounds; round++)
        {
            layer.Weight.Grad = null;
            layer.Bias!.Grad = null;
            using var ready = new Barrier(threads);
            var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
            {
                var loss = F.CrossEntropy(layer.Forward(inputs[i]), targets[i]);
                ready.SignalAndWait();
                loss.Backward();
            })).ToArray();
            foreach (var w in workers) w.Start();
            foreach (var w in workers) w.Join();
            var got = layer.Weight.Grad!.ToArray();
            double worst = 0;
            for (int j = 0; j < got.Length; j++) worst = Math.Max(worst, Math.Abs(got[j] - expected[j]));
            Assert.True(worst <= 1e-5 * scale, $"round {round}: gradients differ by {worst} (largest {scale})");
        }
    }
}
