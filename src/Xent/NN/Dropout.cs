namespace Xent.NN;

/// <summary>
/// Inverted dropout, PyTorch's <c>nn.Dropout</c>: active in training mode, the identity after <see cref="Module.Eval"/>.
/// </summary>
/// <remarks>
/// Each instance owns a <see cref="Generator"/> seeded from <see cref="Generator.Default"/> when it is created, so
/// <c>Tensor.ManualSeed(s)</c> before building a model makes its dropout masks reproducible.
/// </remarks>
public sealed class Dropout : Module
{
    private readonly Generator _generator;

    /// <summary>Creates the layer; <paramref name="p"/> is the probability of zeroing an element.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (!(p >= 0.0 && p <= 1.0))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"dropout probability has to be between 0 and 1, but got {p}");
        P = p;
        _generator = generator ?? new Generator(unchecked((long)Generator.Default.NextUInt64()));
    }

    /// <summary>Probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>The generator that draws the masks; reseed it (<see cref="Generator.ManualSeed"/>) to make a run reproducible or resumable per epoch.</summary>
    public Generator Generator => _generator;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Dropout(input, P, Training, _generator);

    /// <inheritdoc/>
    public override string ToString() => $"Dropout(p={P})";
}
