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

    /// <summary>A dataset of the user's own that wraps another and forwards everything, label vectors included.</summary>
    private sealed class Forwarding(IDataset inner) : IDataset
    {
        public int Count => inner.Count;
        public IReadOnlyList<int> SampleShape => inner.SampleShape;
        public void CopySample(int index, Span<float> destination) => inner.CopySample(index, destination);
        public long Target(int index) => inner.Target(index);
        public int LabelCount => inner.LabelCount;
        public void CopyLabels(int index, Span<float> destination) => inner.CopyLabels(index, destination);
    }

    /// <summary>
    /// qa-s21-seen H1: a multi-label dataset wrapped in a SubsetDataset (what eval --held-out does), in a TargetMapDataset or in a
    /// wrapper of the user's own was read as single-label, and the loader's first batch threw "no single class per sample".
    /// </summary>
    [Fact]
    public void MultiLabelDataGivesLabelVectorsThroughAnyWrapper()
    {
        // Sample i has input i and labels (i odd, i ≥ 3, i = 2), written out by hand below.
        float[][] rows = [[0, 0, 0], [1, 0, 0], [0, 0, 1], [1, 1, 0], [0, 1, 0], [1, 1, 0]];
        var data = new ArrayDataset([0, 1, 2, 3, 4, 5], [1], [.. rows.SelectMany(r => r)], ["odd", "big", "two"]);
        int[] picked = [4, 1, 5, 2];
        var subset = new SubsetDataset(data, picked);
        // The map sends label t to column map[t]: (odd, big, two) become (big, two, odd).
        long[] map = [2, 0, 1];
        foreach (var (wrapped, permuted) in new (IDataset, bool)[]
        {
            (subset, false), (new Forwarding(subset), false), (new SubsetDataset(new Forwarding(data), picked), false),
            (new TargetMapDataset(subset, map), true),
        })
        {
            Assert.Equal(3, wrapped.LabelCount);
            var batches = new DataLoader(wrapped, batchSize: 3).ToList();
            Assert.Equal(2, batches.Count);
            var got = new List<float[]>();
            foreach (var (inputs, targets) in batches)
            {
                Assert.Equal(DType.Float32, targets.DType);
                Assert.Equal(new[] { inputs.Size(0), 3 }, targets.Shape);
                for (int k = 0; k < inputs.Size(0); k++)
                {
                    var row = rows[(int)inputs.Data[k]];
                    Assert.Equal(permuted ? new[] { row[1], row[2], row[0] } : row, targets.Data.Slice(3 * k, 3).ToArray());
                    got.Add(inputs.Data.Slice(k, 1).ToArray());
                }
            }
            Assert.Equal(picked.Select(i => new[] { (float)i }), got);
        }
        // A split of the wrapped data is uniform, as the plain data's is, rather than asking each sample for its class.
        var (train, held) = DataSplits.Stratified(new SubsetDataset(data, [0, 1, 2, 3, 4, 5]), 0.5, 3);
        var plain = DataSplits.Stratified(data, 0.5, 3);
        Assert.Equal(plain.Train, train);
        Assert.Equal(plain.HeldOut, held);
        Assert.Throws<ArgumentException>(() => new TargetMapDataset(subset, [0, 0, 1]));
        Assert.Equal(0, new SubsetDataset(Numbered(3), [1]).LabelCount);
    }
}
