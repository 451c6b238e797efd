using Xent.NN;
using Xent.Optim;
using Xent.Tests.IO;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>
/// A <see cref="Trainer"/> resumed from the checkpoint of a run that stopped early (QA s17 M3): with the same patience it trains
/// nothing, as the uninterrupted run ended there, and leaves the metrics file alone; with a larger one it goes on.
/// </summary>
public sealed class TrainerPatienceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Four batches of 8 samples with 6 features and labels 0..2, and the same inputs with every label shifted by one.</summary>
    private static ((Tensor X, Tensor Y)[] Train, (Tensor X, Tensor Y)[] Test) Batches()
    {
        var rnd = new Random(5);
        var train = Enumerable.Range(0, 4).Select(_ => (
            X: Tensor.FromArray(Enumerable.Range(0, 8 * 6).Select(_ => (float)(rnd.NextDouble() * 2 - 1)).ToArray(), [8, 6]),
            Y: Enumerable.Range(0, 8).Select(_ => (long)rnd.Next(3)).ToArray())).ToArray();
        // Held out: the labels the model learns not to give, so the held-out loss rises as training goes on.
        return ([.. train.Select(b => (b.X, Tensor.FromArray(b.Y)))],
            [.. train.Select(b => (b.X, Tensor.FromArray(b.Y.Select(y => (y + 1) % 3).ToArray())))]);
    }

    private Trainer Make(int patience)
    {
        var model = new Sequential(new Linear(6, 3, generator: new Generator(11)));
        return new Trainer(model, new Sgd(model.Parameters(), 0.5), (x, y) => F.CrossEntropy(x, y), new TrainerOptions
        {
            Epochs = 6, NumClasses = 3, Patience = patience,
            CheckpointPath = _dir.File("checkpoint.safetensors"), MetricsPath = _dir.File("metrics.csv"),
        });
    }

    [Fact]
    public void AResumedRunWhosePatienceIsSpentTrainsNothingAndALargerPatienceGoesOn()
    {
        var (train, test) = Batches();
        var first = Make(patience: 1);
        var last = first.Run(_ => train, train.Length, () => test);
        // The set-up: the held-out loss rose after epoch 1, so the run stopped early with one epoch since its best.
        Assert.True(first.StoppedEarly);
        Assert.Equal(1, first.BestEpoch);
        Assert.Equal(2, last!.Epoch);
        byte[] metrics = File.ReadAllBytes(_dir.File("metrics.csv")), checkpoint = File.ReadAllBytes(_dir.File("checkpoint.safetensors"));

        var same = Make(patience: 1);
        same.Resume(_dir.File("checkpoint.safetensors"));
        int pulled = 0;
        Assert.Null(same.Run(_ => { pulled++; return train; }, train.Length, () => test));
        Assert.Equal(0, pulled);
        Assert.Equal(metrics, File.ReadAllBytes(_dir.File("metrics.csv")));
        Assert.Equal(checkpoint, File.ReadAllBytes(_dir.File("checkpoint.safetensors")));

        // Patience 2 would have run one epoch more: the resumed run does, and stops with 2 epochs since its best.
        var larger = Make(patience: 2);
        larger.Resume(_dir.File("checkpoint.safetensors"));
        var log = new List<string>();
        larger.Log = log.Add;
        Assert.Equal(3, larger.Run(_ => train, train.Length, () => test)!.Epoch);
        Assert.Contains(log, l => l.StartsWith("Early stopping after epoch 3: the held-out loss has not improved for 2 epoch(s); the " +
            "best was ", StringComparison.Ordinal));
    }
}
