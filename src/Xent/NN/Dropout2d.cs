namespace Xent.NN;

/// <summary>
/// Channel dropout, PyTorch's <c>nn.Dropout2d</c>: zeroes whole feature maps of (N, C, H, W) input in training
/// mode; see <see cref="F.Dropout2d"/> for PyTorch 1.13's handling of 2-D and 3-D input.
/// </summary>
/// <remarks>Owns a <see cref="Generator"/> seeded from <see cref="Generator.Default"/> at construction, like <see cref="Dropout"/>.</remarks>
public sealed class Dropout2d : Module
{
    private readonly Generator _generator;

    /// <summary>Creates the layer; <paramref name="p"/> is the probability of zeroing a channel.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public Dropout2d(double p = 0.5, Generator? generator = null)
    {
        if (!(p >= 0.0 && p <= 1.0))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"dropout probability has to be between 0 and 1, but got {p}");
        P = p;
        _generator = generator ?? new Generator(unchecked((long)Generator.Default.NextUInt64()));
    }

    /// <summary>Probability of zeroing a channel.</summary>
    public double P { get; }

    /// <summary>The generator that draws the masks; reseed it (<see cref="Generator.ManualSeed"/>) to make a run reproducible or resumable per epoch.</summary>
    public Generator Generator => _generator;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Dropout2d(input, P, Training, _generator);

    /// <inheritdoc/>
    public override string ToString() => $"Dropout2d(p={P})";
}
