using Xent.IO;
using Xent.NN;
using Xent.Optim;
using Xent.Tests.IO;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>
/// A training checkpoint is written from the optimizer's own buffers, not from copies of them: an mlp that fit in memory to
/// train (784 → 4096 → 4096 → 10 with adam under a 512 MiB heap) ran out of it at its first save, which cloned adam's two
/// buffers per parameter first.
/// </summary>
public sealed class TrainingCheckpointMemoryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void SavingACheckpointAllocatesNoCopyOfTheOptimizerStateAndWritesItsValues()
    {
        var model = new Linear(1000, 1000, generator: new Generator(3));
        var adam = new Adam(model.Parameters(), lr: 1e-3);
        var x = Tensor.Randn([8, 1000], new Generator(4));
        for (int step = 0; step < 2; step++)
        {
            adam.ZeroGrad();
            model.Forward(x).Pow(2).Mean().Backward();
            adam.Step();
        }
        string path = _dir.File("c.safetensors");
        TrainingCheckpoint.Save(path, model, adam, new Dictionary<string, string>()); // once, so the code it runs is compiled

        long before = GC.GetAllocatedBytesForCurrentThread();
        TrainingCheckpoint.Save(path, model, adam, new Dictionary<string, string>());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Adam's state is 2 x 1,001,000 floats (8 MB); a copy of either buffer alone is 4 MB.
        Assert.True(allocated < 4_000_000, $"saving allocated {allocated} bytes");

        var (_, optimizer, _) = TrainingCheckpoint.Load(path);
        var state = adam.StateDict(); // the public snapshot: copies, compared value for value with what was written
        Assert.Equal(state.Keys.Order(StringComparer.Ordinal), optimizer.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, expected) in state)
            if (expected.DType == DType.Float32) Assert.Equal(expected.ToArray(), optimizer[key].ToArray());
            else Assert.Equal(expected.ToInt64Array(), optimizer[key].ToInt64Array());
    }
}
