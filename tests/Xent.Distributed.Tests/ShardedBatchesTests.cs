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

    /// <summary>
    /// qa-s21-seen H1: multi-label data wrapped in a SubsetDataset (a held-out part) gives label vectors to every rank, as the
    /// single-process loader gives them, rather than asking each sample for its single class.
    /// </summary>
    [Fact]
    public void WrappedMultiLabelDataGivesEachRankItsLabelVectors()
    {
        const int n = 12, labels = 3;
        var inputs = Enumerable.Range(0, n * 2).Select(i => (float)i).ToArray();
        var vectors = Enumerable.Range(0, n * labels).Select(i => (float)(i * 5 % 3 == 0 ? 1 : 0)).ToArray();
        var dataset = new SubsetDataset(new ArrayDataset(inputs, [2], vectors, ["a", "b", "c"]), [11, 0, 7, 3, 5, 8, 2, 9, 1]);
        var expected = new DataLoader(dataset, 4, shuffle: true, new Generator(7))
            .Select(b => (b.Inputs.ToArray(), b.Targets.ToArray())).ToList();
        var perRank = Enumerable.Range(0, 2).Select(r => ShardedBatches.Epoch(dataset, 2, r, 2, shuffle: true, seed: 7).ToList()).ToList();
        Assert.Equal(2, perRank[0].Count); // 9 samples, global batch 4: the last sample cannot feed 2 ranks
        for (int g = 0; g < 2; g++)
        {
            Assert.Equal(expected[g].Item1, perRank.SelectMany(b => b[g].Input.ToArray()).ToArray());
            Assert.Equal(expected[g].Item2, perRank.SelectMany(b => b[g].Target.ToArray()).ToArray());
            Assert.All(perRank, b => Assert.Equal(new[] { 2, labels }, b[g].Target.Shape));
        }
        // The loader's label vectors are the wrapped rows' own.
        for (int k = 0; k < 4; k++)
        {
            int row = (int)expected[0].Item1[2 * k] / 2;
            Assert.Equal(vectors.AsSpan(row * labels, labels).ToArray(), expected[0].Item2.AsSpan(k * labels, labels).ToArray());
        }
    }
}

