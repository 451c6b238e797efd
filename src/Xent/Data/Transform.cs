namespace Xent.Data;

/// <summary>
/// A transform applied to each image sample, like torchvision's transforms. Images start as their raw pixel
/// values converted to float (0–255); <see cref="ToTensor"/> scales them to [0, 1] and <see cref="Normalize"/>
/// standardises them. Transforms must keep the sample's shape <c>(C, H, W)</c>.
/// </summary>
/// <remarks>
/// Transforms that map each value independently (per channel) say so with <see cref="IsPointwise"/> and
/// <see cref="Map"/>: a dataset of bytes then runs a whole chain of them as one 256-entry lookup table per channel,
/// computed with the same float32 operations, hence bit-identical to applying them one by one.
/// </remarks>
public abstract class Transform
{
    /// <summary>Applies the transform in place to one sample of shape <paramref name="shape"/> (channels first).</summary>
    public abstract void Apply(Span<float> sample, ReadOnlySpan<int> shape);

    /// <summary>True when the output value depends only on the input value and its channel (see <see cref="Map"/>).</summary>
    public virtual bool IsPointwise => false;

    /// <summary>
    /// The output for input <paramref name="value"/> in channel <paramref name="channel"/> of <paramref name="channels"/>; pointwise
    /// transforms only.
    /// </summary>
    public virtual float Map(float value, int channel, int channels) =>
        throw new NotSupportedException($"{GetType().Name} is not a pointwise transform.");

    /// <summary>Applies the transform to a copy of a float32 sample tensor <c>(C, H, W)</c>.</summary>
    public Tensor Forward(Tensor sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var data = sample.ToArray();
        Apply(data, sample.ShapeSpan);
        return Tensor.FromArray(data, sample.Shape);
    }

    /// <summary>The transforms this one consists of, in order (a <see cref="Compose"/> lists its parts).</summary>
    internal virtual IEnumerable<Transform> Steps() { yield return this; }

    /// <summary>Channel count of a channels-first sample shape (1 for a rank-0 or rank-1 shape).</summary>
    protected static int Channels(ReadOnlySpan<int> shape) => shape.Length >= 2 ? shape[0] : 1;
}
