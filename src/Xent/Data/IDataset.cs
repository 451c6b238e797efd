namespace Xent.Data;

/// <summary>
/// A classification dataset read sample by sample into caller-owned buffers, so that a <see cref="DataLoader"/>
/// can assemble batches without allocating a tensor per sample (PyTorch's map-style <c>Dataset</c>, batch-oriented).
/// </summary>
public interface IDataset
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Shape of one input sample, e.g. <c>[1, 28, 28]</c>; every sample has it.</summary>
    IReadOnlyList<int> SampleShape { get; }

    /// <summary>
    /// Writes sample <paramref name="index"/>'s input (row-major, <see cref="SampleShape"/>) into <paramref name="destination"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, Count).</exception>
    void CopySample(int index, Span<float> destination);

    /// <summary>The class index of sample <paramref name="index"/> (single-label data).</summary>
    long Target(int index);

    /// <summary>
    /// How many 0/1 labels each sample has when the data is multi-label (read them with <see cref="CopyLabels"/>); 0 for
    /// single-label data, whose samples each have one class (<see cref="Target"/>). A dataset that wraps another forwards it, so
    /// that a <see cref="DataLoader"/> over the wrapper still gives label vectors.
    /// </summary>
    int LabelCount => 0;

    /// <summary>
    /// Writes sample <paramref name="index"/>'s 0/1 label vector (<see cref="LabelCount"/> values) into
    /// <paramref name="destination"/>; multi-label data only.
    /// </summary>
    /// <exception cref="InvalidOperationException">The data is single-label (<see cref="LabelCount"/> is 0).</exception>
    void CopyLabels(int index, Span<float> destination) =>
        throw new InvalidOperationException("A single-label dataset has no label vectors; use Target.");

    /// <summary>
    /// Writes the samples <paramref name="indices"/> one after another into <paramref name="inputs"/> (length
    /// <c>indices.Length × prod(SampleShape)</c>) and their targets into <paramref name="targets"/>.
    /// Implementations may override it with a faster path.
    /// </summary>
    void CopyBatch(ReadOnlySpan<int> indices, Span<float> inputs, Span<long> targets)
    {
        int size = DatasetChecks.SampleSize(SampleShape);
        DatasetChecks.BatchSpans(indices.Length, size, inputs.Length, targets.Length);
        for (int k = 0; k < indices.Length; k++)
        {
            CopySample(indices[k], inputs.Slice(k * size, size));
            targets[k] = Target(indices[k]);
        }
    }

    /// <summary>
    /// One sample as a new tensor and its target, like <c>dataset[index]</c>; allocates (use a <see cref="DataLoader"/> to train).
    /// </summary>
    (Tensor Input, long Target) Get(int index) => DatasetChecks.Get(this, index);
}

/// <summary>Argument checks shared by the datasets.</summary>
internal static class DatasetChecks
{
    public static int SampleSize(IReadOnlyList<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        return checked((int)n);
    }

    public static (Tensor Input, long Target) Get(IDataset dataset, int index)
    {
        var data = new float[SampleSize(dataset.SampleShape)];
        dataset.CopySample(index, data);
        return (Tensor.FromArray(data, dataset.SampleShape.ToArray()), dataset.Target(index));
    }

    /// <summary>
    /// Multi-label batches: samples <paramref name="indices"/> one after another into <paramref name="inputs"/> and their 0/1 label
    /// vectors into <paramref name="labels"/> (indices.Length × LabelCount), as <see cref="IDataset.CopyBatch"/> does with classes.
    /// </summary>
    public static void CopyLabelBatch(IDataset dataset, ReadOnlySpan<int> indices, Span<float> inputs, Span<float> labels)
    {
        int size = SampleSize(dataset.SampleShape), l = dataset.LabelCount;
        for (int k = 0; k < indices.Length; k++)
        {
            dataset.CopySample(indices[k], inputs.Slice(k * size, size));
            dataset.CopyLabels(indices[k], labels.Slice(k * l, l));
        }
    }

    public static void Index(int index, int count)
    {
        if ((uint)index >= (uint)count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"index {index} is out of range for a dataset of {count} samples.");
    }

    public static void BatchSpans(int batch, int sampleSize, int inputs, int targets)
    {
        if (inputs != (long)batch * sampleSize)
            throw new ArgumentException($"The input buffer holds {inputs} floats but {batch} samples of {sampleSize} need " +
                $"{(long)batch * sampleSize}.");
        if (targets != batch)
            throw new ArgumentException($"The target buffer holds {targets} values but the batch has {batch} samples.");
    }
}
