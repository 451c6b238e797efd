namespace Xent.Data;

/// <summary>
/// Standardises each channel, <c>(x − mean[c]) / std[c]</c> in float32, as torchvision's <c>Normalize</c>
/// (<c>Normalize((0.1307,), (0.3081,))</c> for MNIST). One value applies to every channel.
/// </summary>
public sealed class Normalize : Transform
{
    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>Creates the transform from per-channel means and standard deviations (converted to float32, as torchvision does).</summary>
    /// <exception cref="ArgumentException">Empty or differently sized lists, or a standard deviation that is zero in float32.</exception>
    public Normalize(IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count == 0 || std.Count == 0) throw new ArgumentException("Normalize needs at least one mean and one std.");
        if (mean.Count != std.Count && mean.Count != 1 && std.Count != 1)
            throw new ArgumentException($"Normalize got {mean.Count} means and {std.Count} stds; give one per channel or a single value.");
        _mean = mean.Select(m => (float)m).ToArray();
        _std = std.Select(s => (float)s).ToArray();
        if (_std.Any(s => s == 0f))
            throw new ArgumentException($"std evaluated to zero after conversion to float32, leading to division by zero.");
    }

    /// <summary>Same mean and standard deviation for every channel.</summary>
    public Normalize(double mean, double std) : this([mean], [std]) { }

    /// <summary>The means as float32.</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>The standard deviations as float32.</summary>
    public IReadOnlyList<float> Std => _std;

    /// <inheritdoc/>
    public override void Apply(Span<float> sample, ReadOnlySpan<int> shape)
    {
        int channels = Channels(shape);
        CheckChannels(channels);
        int plane = sample.Length / channels;
        for (int c = 0; c < channels; c++)
        {
            float m = _mean[_mean.Length == 1 ? 0 : c], s = _std[_std.Length == 1 ? 0 : c];
            var span = sample.Slice(c * plane, plane);
            for (int i = 0; i < span.Length; i++) span[i] = (span[i] - m) / s;
        }
    }

    /// <inheritdoc/>
    public override bool IsPointwise => true;

    /// <inheritdoc/>
    public override float Map(float value, int channel, int channels)
    {
        CheckChannels(channels);
        return (value - _mean[_mean.Length == 1 ? 0 : channel]) / _std[_std.Length == 1 ? 0 : channel];
    }

    private void CheckChannels(int channels)
    {
        int n = Math.Max(_mean.Length, _std.Length);
        if (n != 1 && n != channels)
            throw new ArgumentException($"Normalize has {n} channel values but the image has {channels} channel(s).");
    }
}
