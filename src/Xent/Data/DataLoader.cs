using System.Collections;

namespace Xent.Data;

/// <summary>
/// Iterates a dataset in batches of inputs <c>(B, ...SampleShape)</c> float32 and targets <c>(B)</c> int64 (float32
/// <c>(B, L)</c> 0/1 label vectors when the dataset is multi-label, <see cref="IDataset.LabelCount"/> L), like
/// PyTorch's <c>DataLoader(dataset, batch_size, shuffle, generator, drop_last)</c>. Each enumeration is one epoch;
/// with <c>shuffle</c> every epoch draws a new permutation from the generator, so a seeded generator gives the same
/// sequence of epochs on every run.
/// <code>
/// var loader = new DataLoader(train, batchSize: 64, shuffle: true, generator: new Generator(1));
/// foreach (var (data, target) in loader) { ... }
/// </code>
/// </summary>
/// <remarks>
/// With <c>reuseBuffers</c> the loader allocates its batch tensors once and refills them: a yielded tensor is
/// overwritten by the next batch (copy it to keep it), and two enumerations of the same loader must not overlap.
/// </remarks>
public sealed class DataLoader : IEnumerable<(Tensor Inputs, Tensor Targets)>
{
    private readonly int[] _sampleShape;
    private readonly int _sampleSize;
    private readonly int _labelCount; // > 0: multi-label targets, float (B, L) 0/1
    private readonly Generator _generator;
    private int[]? _order;
    private (Tensor Inputs, Tensor Targets)? _full, _partial;

    /// <summary>Creates the loader.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch (positive).</param>
    /// <param name="shuffle">Visit the samples in a new random order every epoch.</param>
    /// <param name="generator">Source of the permutations; <see cref="Generator.Default"/> when null.</param>
    /// <param name="dropLast">Skip the last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="reuseBuffers">Refill the same batch tensors instead of allocating new ones (see remarks).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public DataLoader(IDataset dataset, int batchSize = 1, bool shuffle = false, Generator? generator = null, bool dropLast = false,
        bool reuseBuffers = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"batch_size should be a positive integer value, but got batch_size={batchSize}");
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        ReuseBuffers = reuseBuffers;
        _generator = generator ?? Generator.Default;
        _sampleShape = dataset.SampleShape.ToArray();
        _sampleSize = DatasetChecks.SampleSize(_sampleShape);
        _labelCount = dataset.LabelCount;
    }

    /// <summary>The dataset.</summary>
    public IDataset Dataset { get; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether every epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last, smaller batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Whether yielded tensors are refilled by the next batch.</summary>
    public bool ReuseBuffers { get; }

    /// <summary>Number of batches per epoch (<c>len(loader)</c>).</summary>
    public int Count => DropLast ? Dataset.Count / BatchSize : (int)(((long)Dataset.Count + BatchSize - 1) / BatchSize);

    /// <summary>Enumerates one epoch.</summary>
    public IEnumerator<(Tensor Inputs, Tensor Targets)> GetEnumerator()
    {
        int n = Dataset.Count;
        int[] order = NextOrder(n);
        int batches = Count;
        for (int b = 0; b < batches; b++)
        {
            int start = b * BatchSize;
            int size = Math.Min(BatchSize, n - start);
            var batch = Batch(size);
            if (_labelCount > 0)
                DatasetChecks.CopyLabelBatch(Dataset, order.AsSpan(start, size), batch.Inputs.Data, batch.Targets.Data);
            else Dataset.CopyBatch(order.AsSpan(start, size), batch.Inputs.Data, batch.Targets.Int64Data);
            yield return batch;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// This epoch's sample order: 0..n-1, or a permutation drawn exactly as <see cref="Generator.Permutation"/> draws it.
    /// </summary>
    private int[] NextOrder(int n)
    {
        // Reused between epochs unless buffers are not reused (then an epoch may still be enumerating it).
        var order = ReuseBuffers && _order is { } o && o.Length == n ? o : new int[n];
        if (ReuseBuffers) _order = order;
        for (int i = 0; i < n; i++) order[i] = i;
        if (Shuffle) _generator.Shuffle(order.AsSpan());
        return order;
    }

    private (Tensor Inputs, Tensor Targets) Batch(int size)
    {
        if (!ReuseBuffers) return NewBatch(size);
        ref var cached = ref size == BatchSize ? ref _full : ref _partial;
        if (cached is not { } c || c.Inputs.Size(0) != size) cached = NewBatch(size);
        return cached.Value;
    }

    private (Tensor Inputs, Tensor Targets) NewBatch(int size)
    {
        var shape = new int[_sampleShape.Length + 1];
        shape[0] = size;
        _sampleShape.CopyTo(shape, 1);
        var targets = _labelCount > 0
            ? new Tensor(new float[(long)size * _labelCount], [size, _labelCount])
            : new Tensor(new long[size], [size]);
        return (new Tensor(new float[(long)size * _sampleSize], shape), targets);
    }

}
