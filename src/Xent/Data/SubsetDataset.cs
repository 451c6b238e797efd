namespace Xent.Data;

/// <summary>
/// The samples <c>indices</c> of another dataset, in that order (PyTorch's <c>Subset</c>), with their classes or, for multi-label
/// data, their label vectors; nothing is copied.
/// </summary>
public sealed class SubsetDataset : IDataset
{
    private readonly IDataset _dataset;
    private readonly int[] _indices;

    /// <summary>Wraps <paramref name="dataset"/>'s samples <paramref name="indices"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index outside the dataset.</exception>
    public SubsetDataset(IDataset dataset, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        foreach (int i in indices) DatasetChecks.Index(i, dataset.Count);
        _dataset = dataset;
        _indices = [.. indices];
    }

    /// <inheritdoc/>
    public int Count => _indices.Length;

    /// <inheritdoc/>
    public IReadOnlyList<int> SampleShape => _dataset.SampleShape;

    /// <inheritdoc/>
    public void CopySample(int index, Span<float> destination)
    {
        DatasetChecks.Index(index, Count);
        _dataset.CopySample(_indices[index], destination);
    }

    /// <inheritdoc/>
    public long Target(int index)
    {
        DatasetChecks.Index(index, Count);
        return _dataset.Target(_indices[index]);
    }

    /// <inheritdoc/>
    public int LabelCount => _dataset.LabelCount;

    /// <inheritdoc/>
    public void CopyLabels(int index, Span<float> destination)
    {
        DatasetChecks.Index(index, Count);
        _dataset.CopyLabels(_indices[index], destination);
    }
}
