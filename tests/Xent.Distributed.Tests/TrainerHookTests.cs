using Xent.NN;
using Xent.Optim;
using Xent.Training;

namespace Xent.Distributed.Tests;

/// <summary>The two <see cref="Trainer"/> hooks data-parallel training rests on, checked in one process.</summary>
public sealed class TrainerHookTests
{
    private static (Tensor X, Tensor Y)[] Batches()
    {
        var rnd = new Random(5);
        return [.. Enumerable.Range(0, 4).Select(_ => (
            Tensor.FromArray(Enumerable.Range(0, 8 * 6).Select(_ => (float)(rnd.NextDouble() * 2 - 1)).ToArray(), [8, 6]),
            Tensor.FromArray(Enumerable.Range(0, 8).Select(_ => (long)rnd.Next(3)).ToArray())))];
    }

    private static (Module Model, Trainer Trainer) Make(bool dropout)
    {
        var g = new Generator(11);
        Module model = dropout
            ? new Sequential(new Dropout(0.5), new Linear(6, 3, generator: g))
            : new Sequential(new Linear(6, 3, generator: g));
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1), (x, y) => F.CrossEntropy(x, y),
            new TrainerOptions { Epochs = 1, NumClasses = 3 });
        return (model, trainer);
    }

    private static EpochResult Run(Trainer trainer)
    {
        var batches = Batches();
        return trainer.Run(_ => batches, batches.Length, () => batches)!;
    }

    [Fact]
    public void AfterBackwardRunsBetweenBackwardAndStepAndItsLossIsRecorded()
    {
        var (model, trainer) = Make(dropout: false);
        var before = model.Parameters().Select(p => p.ToArray()).ToArray();
        var seen = new List<double>();
        trainer.AfterBackward = (target, loss) =>
        {
            Assert.Equal(8, target.NumEl);
            Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad)); // backward has run
            foreach (var p in model.Parameters()) p.Grad!.Data.Clear();  // so the step must not move anything
            seen.Add(loss);
            return 2 * loss;
        };
        var result = Run(trainer);
        Assert.Equal(4, seen.Count);
        Assert.Equal(2 * seen.Average(), result.TrainLoss, 12);
        Assert.Equal(before, model.Parameters().Select(p => p.ToArray()).ToArray()); // the step read the hook's gradients
    }

    [Fact]
    public void ANonFiniteLossFromTheHookStopsTraining()
    {
        var (_, trainer) = Make(dropout: false);
        trainer.AfterBackward = (_, _) => double.NaN;
        Assert.Throws<TrainingDivergedException>(() => Run(trainer));
    }

    [Fact]
    public void ReplicaZeroDrawsTheSingleProcessDropoutMasksAndOtherReplicasTheirOwn()
    {
        float[][] Weights(int? replica)
        {
            var (model, trainer) = Make(dropout: true);
            if (replica is int r) trainer.Replica = r;
            Run(trainer);
            return [.. model.Parameters().Select(p => p.ToArray())];
        }
        var single = Weights(null);
        Assert.Equal(single, Weights(0));
        Assert.NotEqual(single, Weights(1));
        Assert.NotEqual(Weights(1), Weights(2));
        Assert.Equal(Weights(1), Weights(1));
    }
}
