namespace Xent.Data;

/// <summary>
/// Applies transforms in order, like torchvision's <c>Compose</c>: <c>new Compose(new ToTensor(), new Normalize(0.1307, 0.3081))</c>.
/// </summary>
public sealed class Compose : Transform
{
    private readonly Transform[] _transforms;

    /// <summary>Chains <paramref name="transforms"/>.</summary>
    public Compose(params Transform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        for (int i = 0; i < transforms.Length; i++)
            if (transforms[i] is null) throw new ArgumentNullException(nameof(transforms), $"Transform {i} is null.");
        _transforms = (Transform[])transforms.Clone();
    }

    /// <summary>The transforms, in order.</summary>
    public IReadOnlyList<Transform> Transforms => _transforms;

    /// <inheritdoc/>
    public override void Apply(Span<float> sample, ReadOnlySpan<int> shape)
    {
        foreach (var t in _transforms) t.Apply(sample, shape);
    }

    /// <inheritdoc/>
    public override bool IsPointwise => _transforms.All(t => t.IsPointwise);

    /// <inheritdoc/>
    public override float Map(float value, int channel, int channels)
    {
        foreach (var t in _transforms) value = t.Map(value, channel, channels);
        return value;
    }

    internal override IEnumerable<Transform> Steps() => _transforms.SelectMany(t => t.Steps());
}
