namespace Xent.Data;

/// <summary>
/// Another dataset's samples with each target <c>t</c> replaced by <c>map[t]</c>: labels numbered one way read as the classes
/// of a model that numbers them another (an IDX folder's label order against a model's sorted class names). Nothing is copied.
/// </summary>
internal sealed class TargetMapDataset : IDataset
{
    private readonly IDataset _dataset;
    private readonly long[] _map;

    /// <summary>Wraps <paramref name="dataset"/>, whose targets must lie in 0 … <paramref name="map"/>.Length − 1.</summary>
    public TargetMapDataset(IDataset dataset, IReadOnlyList<long> map)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(map);
        _dataset = dataset;
        _map = [.. map];
    }

    /// <inheritdoc/>
    public int Count => _dataset.Count;

    /// <inheritdoc/>
    public IReadOnlyList<int> SampleShape => _dataset.SampleShape;

    /// <inheritdoc/>
    public void CopySample(int index, Span<float> destination) => _dataset.CopySample(index, destination);

    /// <inheritdoc/>
    public long Target(int index) => _map[_dataset.Target(index)];

    /// <inheritdoc/>
    public void CopyBatch(ReadOnlySpan<int> indices, Span<float> inputs, Span<long> targets)
    {
        _dataset.CopyBatch(indices, inputs, targets); // the wrapped dataset's own (fast) batch path
        foreach (ref long t in targets) t = _map[t];
    }
}
