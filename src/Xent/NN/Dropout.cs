namespace Xent.NN;

/// <summary>
/// Inverted dropout, PyTorch's <c>nn.Dropout</c>: active in training mode, the identity after <see cref="Module.Eval"/>.
/// </summary>
/// <remarks>
/// Each instance owns a <see cref="DropoutBase.Generator"/> seeded from <see cref="Generator.Default"/> when it is created, so
/// <c>Tensor.ManualSeed(s)</c> before building a model makes its dropout masks reproducible.
/// </remarks>
public sealed class Dropout : DropoutBase
{
    /// <summary>Creates the layer; <paramref name="p"/> is the probability of zeroing an element.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public Dropout(double p = 0.5, Generator? generator = null) : base(p, generator) { }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Dropout(input, P, Training, Generator);
}
