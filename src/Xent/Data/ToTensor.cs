namespace Xent.Data;

/// <summary>
/// Scales pixel values 0–255 to [0, 1] as torchvision's <c>ToTensor</c> does for 8-bit images: <c>x / 255</c>
/// in float32. Our datasets already produce channels-first <c>(C, H, W)</c>, so there is no transpose.
/// </summary>
public sealed class ToTensor : Transform
{
    /// <inheritdoc/>
    public override void Apply(Span<float> sample, ReadOnlySpan<int> shape)
    {
        for (int i = 0; i < sample.Length; i++) sample[i] /= 255f;
    }

    /// <inheritdoc/>
    public override bool IsPointwise => true;

    /// <inheritdoc/>
    public override float Map(float value, int channel, int channels) => value / 255f;
}
