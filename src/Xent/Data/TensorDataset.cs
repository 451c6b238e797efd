namespace Xent.Data;

/// <summary>
/// Samples taken along the first dimension of an inputs tensor <c>(N, ...)</c> (float32) and a targets tensor
/// <c>(N)</c> (int64 class indices), like PyTorch's <c>TensorDataset(inputs, targets)</c>. The tensors are not copied.
/// </summary>
public sealed class TensorDataset : IDataset
{
    private readonly float[] _inputs;
    private readonly long[] _targets;
    private readonly int[] _sampleShape;
    private readonly int _sampleSize;

    /// <summary>Wraps <paramref name="inputs"/> and <paramref name="targets"/>.</summary>
    /// <exception cref="ArgumentException">Wrong dtypes or ranks, or the first dimensions differ.</exception>
    public TensorDataset(Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.DType != DType.Float32 || inputs.Rank < 1)
            throw new ArgumentException("TensorDataset inputs must be a float32 tensor with a sample dimension first, got " +
                $"{Tensor.Name(inputs.DType)} with shape {Shapes.Format(inputs.ShapeSpan)}.", nameof(inputs));
        if (targets.DType != DType.Int64 || targets.Rank != 1)
            throw new ArgumentException("TensorDataset targets must be a 1-D int64 tensor of class indices, got " +
                $"{Tensor.Name(targets.DType)} with shape {Shapes.Format(targets.ShapeSpan)}.", nameof(targets));
        if (inputs.Size(0) != targets.Size(0))
            throw new ArgumentException($"Size mismatch between tensors: inputs have {inputs.Size(0)} samples, targets {targets.Size(0)}.");
        _inputs = inputs.FloatArray;
        _targets = targets.LongArray;
        _sampleShape = inputs.Shape[1..];
        _sampleSize = DatasetChecks.SampleSize(_sampleShape);
        Count = inputs.Size(0);
    }

    /// <inheritdoc/>
    public int Count { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int> SampleShape => _sampleShape;

    /// <inheritdoc/>
    public void CopySample(int index, Span<float> destination)
    {
        DatasetChecks.Index(index, Count);
        _inputs.AsSpan(index * _sampleSize, _sampleSize).CopyTo(destination);
    }

    /// <summary>
    /// One sample as a new tensor and its target, like <c>dataset[index]</c>; allocates (use a <see cref="DataLoader"/> to train).
    /// </summary>
    public (Tensor Input, long Target) Get(int index) => DatasetChecks.Get(this, index);

    /// <inheritdoc/>
    public long Target(int index)
    {
        DatasetChecks.Index(index, Count);
        return _targets[index];
    }
}
