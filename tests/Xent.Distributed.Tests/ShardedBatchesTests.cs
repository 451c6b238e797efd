using Xent.Data;

namespace Xent.Distributed.Tests;

/// <summary>
/// The ranks' slices of <see cref="ShardedBatches"/>, laid side by side in rank order, are exactly the batches a single
/// process's <see cref="DataLoader"/> yields with the global batch size and the same seed (checked without MPI: the
/// slicing is arithmetic on one shared order).
/// </summary>
public sealed class ShardedBatchesTests
{
    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 4)]
    [InlineData(3, 2)]
    [InlineData(4, 5)] // 23 samples, global batch 20: the last 3 samples cannot feed 4 ranks, and are skipped
    [InlineData(5, 4)] // 23 = 20 + 3 < 5 ranks: skipped as well
    [InlineData(3, 7)] // 23 = 21 + 2 < 3, skipped
    public void RankSlicesConcatenateToTheSingleProcessBatches(int ranks, int perRank)
    {
        const int n = 23;
        var inputs = Tensor.FromArray(Enumerable.Range(0, n * 2).Select(i => (float)i).ToArray(), [n, 2]);
        var targets = Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)(i * 7 % 5)).ToArray());
        var dataset = new TensorDataset(inputs, targets);
        var expected = new DataLoader(dataset, ranks * perRank, shuffle: true, new Generator(42))
            .Select(b => (b.Inputs.ToArray(), b.Targets.ToInt64Array())).ToList();
        if (expected[^1].Item2.Length < ranks) expected.RemoveAt(expected.Count - 1); // too few samples for every rank to get one
        var perRankBatches = Enumerable.Range(0, ranks)
            .Select(r => ShardedBatches.Epoch(dataset, perRank, r, ranks, shuffle: true, seed: 42).ToList()).ToList();

        Assert.Equal(ShardedBatches.GlobalBatchCount(n, perRank, ranks), expected.Count);
        for (int g = 0; g < expected.Count; g++)
        {
            Assert.All(perRankBatches, batches => Assert.Equal(expected.Count, batches.Count));
            var x = perRankBatches.SelectMany(b => b[g].Input.ToArray()).ToArray();
            var y = perRankBatches.SelectMany(b => b[g].Target.ToInt64Array()).ToArray();
            Assert.Equal(expected[g].Item1, x);
            Assert.Equal(expected[g].Item2, y);
            var sizes = perRankBatches.Select(b => b[g].Target.NumEl).ToArray();
            Assert.True(sizes.Max() - sizes.Min() <= 1, $"global batch {g}: slices {string.Join('/', sizes)}");
        }
    }
}
