namespace Xent.Data;

/// <summary>
/// Another dataset's samples with each target <c>t</c> replaced by <c>map[t]</c>: labels numbered one way read as the classes
/// of a model that numbers them another (an IDX folder's label order against a model's sorted class names). For multi-label data
/// the map reorders the labels: label <c>t</c> of a sample's 0/1 vector becomes label <c>map[t]</c>. Nothing is copied.
/// </summary>
internal sealed class TargetMapDataset : IDataset
{
    private readonly IDataset _dataset;
    private readonly long[] _map;

    /// <summary>
    /// Wraps <paramref name="dataset"/>, whose targets must lie in 0 … <paramref name="map"/>.Length − 1; for multi-label data
    /// <paramref name="map"/> must be a permutation of its labels 0 … LabelCount − 1.
    /// </summary>
    /// <exception cref="ArgumentException">Multi-label data and a map that is not a permutation of its labels.</exception>
    public TargetMapDataset(IDataset dataset, IReadOnlyList<long> map)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(map);
        _dataset = dataset;
        _map = [.. map];
        int labels = dataset.LabelCount;
        if (labels > 0 && (_map.Length != labels || _map.Any(t => t < 0 || t >= labels) || _map.Distinct().Count() != labels))
            throw new ArgumentException($"A map of a multi-label dataset's {labels} labels must be a permutation of 0 … {labels - 1}.",
                nameof(map));
    }

    /// <inheritdoc/>
    public int Count => _dataset.Count;

    /// <inheritdoc/>
    public IReadOnlyList<int> SampleShape => _dataset.SampleShape;

    /// <inheritdoc/>
    public int LabelCount => _dataset.LabelCount;

    /// <inheritdoc/>
    public void CopySample(int index, Span<float> destination) => _dataset.CopySample(index, destination);

    /// <inheritdoc/>
    public long Target(int index) => _map[_dataset.Target(index)];

    /// <inheritdoc/>
    public void CopyLabels(int index, Span<float> destination)
    {
        var own = new float[LabelCount];
        _dataset.CopyLabels(index, own);
        for (int t = 0; t < own.Length; t++) destination[(int)_map[t]] = own[t];
    }

    /// <inheritdoc/>
    public void CopyBatch(ReadOnlySpan<int> indices, Span<float> inputs, Span<long> targets)
    {
        _dataset.CopyBatch(indices, inputs, targets); // the wrapped dataset's own (fast) batch path
        foreach (ref long t in targets) t = _map[t];
    }
}
