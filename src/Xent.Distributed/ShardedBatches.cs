using Xent.Data;

namespace Xent.Distributed;

/// <summary>
/// One rank's share of data-parallel batches: global batches of P × <c>perRankBatch</c> samples are cut from one seeded
/// global order (the permutation <see cref="DataLoader"/> draws from <c>new Generator(seed)</c>, so one rank sees exactly
/// the single-process batches), and rank r takes the r-th contiguous slice of each. A last, shorter global batch is split
/// as evenly as possible (slices differ by at most one sample); one with fewer samples than ranks is skipped, since some
/// rank would have nothing to compute (the only difference from the single-process batches). Only the rank's own samples
/// are read.
/// </summary>
public static class ShardedBatches
{
    /// <summary>Number of global batches per epoch: ⌈count / (size · perRankBatch)⌉, less a last one smaller than <paramref
    /// name="size"/>.</summary>
    public static int GlobalBatchCount(int count, int perRankBatch, int size)
    {
        long global = (long)perRankBatch * size;
        int full = (int)(count / global), rest = (int)(count % global);
        return full + (rest >= size ? 1 : 0);
    }

    /// <summary>The rows [start, start + length) of a global batch of <paramref name="globalRows"/> that rank <paramref name="rank"/> of
    /// <paramref name="size"/> takes.</summary>
    public static (int Start, int Length) Slice(int globalRows, int rank, int size)
    {
        int start = (int)((long)globalRows * rank / size), end = (int)((long)globalRows * (rank + 1) / size);
        return (start, end - start);
    }

    /// <summary>
    /// Enumerates one epoch of rank <paramref name="rank"/>'s slices (inputs (b, …sample shape) float32, targets (b) int64, or
    /// (b, L) float32 0/1 for multi-label data, <see cref="IDataset.LabelCount"/> L), one per global batch. The tensors are fresh
    /// for each batch.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size, rank or batch size is out of range.</exception>
    public static IEnumerable<(Tensor Input, Tensor Target)> Epoch(
        IDataset dataset, int perRankBatch, int rank, int size, bool shuffle, long seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(perRankBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if ((uint)rank >= (uint)size) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {size}).");
        return Iterate(dataset, perRankBatch, rank, size, shuffle, seed);
    }

    private static IEnumerable<(Tensor Input, Tensor Target)> Iterate(
        IDataset dataset, int perRankBatch, int rank, int size, bool shuffle, long seed)
    {
        int n = dataset.Count, global = perRankBatch * size;
        int[] order = shuffle ? new Generator(seed).Permutation(n) : Enumerable.Range(0, n).ToArray();
        int sampleSize = 1;
        foreach (int d in dataset.SampleShape) sampleSize *= d;
        int[] shape = [0, .. dataset.SampleShape];
        // Multi-label data has a 0/1 vector per sample, not a class: (b, L) float targets, as DataLoader gives them.
        int labels = dataset.LabelCount;
        for (int start = 0; start < n && n - start >= size; start += global)
        {
            var (offset, rows) = Slice(Math.Min(global, n - start), rank, size);
            var inputs = new float[rows * sampleSize];
            shape[0] = rows;
            var indices = order.AsSpan(start + offset, rows);
            if (labels > 0)
            {
                var targets = new float[rows * labels];
                DatasetChecks.CopyLabelBatch(dataset, indices, inputs, targets);
                yield return (Tensor.FromArray(inputs, [.. shape]), Tensor.FromArray(targets, rows, labels));
            }
            else
            {
                var targets = new long[rows];
                dataset.CopyBatch(indices, inputs, targets);
                yield return (Tensor.FromArray(inputs, [.. shape]), Tensor.FromArray(targets));
            }
        }
    }
}
