using Xent.Data;
using Xunit;

namespace Xent.Tests.Data;

public class DataLoaderTests
{
    /// <summary>Sample i is (i, i+0.5) with target 100+i, so a batch shows which samples it holds.</summary>
    private static TensorDataset Numbered(int n)
    {
        var x = new float[n * 2];
        for (int i = 0; i < n; i++) { x[2 * i] = i; x[2 * i + 1] = i + 0.5f; }
        return new TensorDataset(Tensor.FromArray(x, n, 2), Tensor.FromArray(Enumerable.Range(100, n).Select(i => (long)i).ToArray(), n));
    }

    private static List<int> Order(DataLoader loader, List<int>? sizes = null)
    {
        var order = new List<int>();
        foreach (var (inputs, targets) in loader)
        {
            Assert.Equal(DType.Float32, inputs.DType);
            Assert.Equal(DType.Int64, targets.DType);
            int b = targets.NumEl;
            Assert.Equal(new[] { b, 2 }, inputs.Shape);
            sizes?.Add(b);
            for (int k = 0; k < b; k++)
            {
                int i = (int)inputs.Data[2 * k];
                Assert.Equal(i + 0.5f, inputs.Data[2 * k + 1]);
                Assert.Equal(100 + i, targets.Int64Data[k]);
                order.Add(i);
            }
        }
        return order;
    }

    [Fact]
    public void SequentialBatchesWithLastPartialBatch()
    {
        var sizes = new List<int>();
        var loader = new DataLoader(Numbered(10), batchSize: 4);
        Assert.Equal(3, loader.Count);
        Assert.Equal(Enumerable.Range(0, 10), Order(loader, sizes));
        Assert.Equal(new[] { 4, 4, 2 }, sizes);
    }

    [Fact]
    public void DropLastSkipsTheSmallBatch()
    {
        var sizes = new List<int>();
        var loader = new DataLoader(Numbered(10), batchSize: 4, dropLast: true);
        Assert.Equal(2, loader.Count);
        Assert.Equal(Enumerable.Range(0, 8), Order(loader, sizes));
        Assert.Equal(new[] { 4, 4 }, sizes);
        Assert.Equal(2, new DataLoader(Numbered(8), 4, dropLast: true).Count);
        Assert.Empty(Order(new DataLoader(Numbered(3), 4, dropLast: true)));
    }

    [Fact]
    public void ShuffleIsAReproduciblePermutationRedrawnEachEpoch()
    {
        var loader = new DataLoader(Numbered(50), batchSize: 7, shuffle: true, generator: new Generator(42));
        var epoch1 = Order(loader);
        var epoch2 = Order(loader);
        Assert.Equal(Enumerable.Range(0, 50), epoch1.Order());
        Assert.Equal(Enumerable.Range(0, 50), epoch2.Order());
        Assert.NotEqual(epoch1, epoch2);
        // The same permutations as the generator's own randperm, epoch after epoch.
        var g = new Generator(42);
        Assert.Equal(g.Permutation(50), epoch1);
        Assert.Equal(g.Permutation(50), epoch2);
        // Same seed, same epochs.
        var again = new DataLoader(Numbered(50), batchSize: 7, shuffle: true, generator: new Generator(42));
        Assert.Equal(epoch1, Order(again));
        Assert.Equal(epoch2, Order(again));
    }

    [Fact]
    public void ReusedBuffersAreRefilledWithoutAllocating()
    {
        using var files = new IdxFiles();
        var (images, labels) = files.WriteSplit("train", 203);
        var ds = new MnistDataset(files.Dir, transform: new Compose(new ToTensor(), new Normalize(0.1307, 0.3081)));
        var loader = new DataLoader(ds, batchSize: 10, shuffle: true, generator: new Generator(1), reuseBuffers: true);
        Tensor? first = null;
        int batches = 0;
        var order = new Generator(1).Permutation(203);
        foreach (var (x, y) in loader)
        {
            first ??= x;
            if (y.NumEl == 10) Assert.Same(first, x);
            Assert.Equal(new[] { y.NumEl, 1, 28, 28 }, x.Shape);
            for (int k = 0; k < y.NumEl; k++)
            {
                int i = order[batches * 10 + k];
                Assert.Equal(labels[i], y.Int64Data[k]);
                Assert.Equal(((float)images[i * 784 + 400] / 255f - 0.1307f) / 0.3081f, x.Data[k * 784 + 400]);
            }
            batches++;
        }
        Assert.Equal(21, batches);

        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var _ in loader) { }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"an epoch of 21 reused batches allocated {allocated} bytes");
    }

    [Fact]
    public void WithoutReuseEachBatchIsANewTensor()
    {
        var batches = new DataLoader(Numbered(6), batchSize: 2).ToList();
        Assert.Equal(3, batches.Count);
        Assert.NotSame(batches[0].Inputs, batches[1].Inputs);
        Assert.Equal(0f, batches[0].Inputs.Data[0]);
        Assert.Equal(2f, batches[1].Inputs.Data[0]);
    }

    [Fact]
    public void ArgumentsAreChecked()
    {
        Assert.Contains("batch_size should be a positive integer value, but got batch_size=0",
            Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Numbered(3), 0)).Message);
        Assert.Contains("Size mismatch between tensors",
            Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros(3, 2), Tensor.ZerosInt64(4))).Message);
        Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros(3, 2), Tensor.Zeros(3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Numbered(3).Target(3));
    }
}
