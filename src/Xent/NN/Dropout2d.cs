namespace Xent.NN;

/// <summary>
/// Channel dropout, PyTorch's <c>nn.Dropout2d</c>: zeroes whole feature maps of (N, C, H, W) input in training
/// mode; see <see cref="F.Dropout2d"/> for PyTorch 1.13's handling of 2-D and 3-D input.
/// </summary>
/// <remarks>Owns a <see cref="DropoutBase.Generator"/> seeded from <see cref="Generator.Default"/> at construction, like
/// <see cref="Dropout"/>.</remarks>
public sealed class Dropout2d : DropoutBase
{
    /// <summary>Creates the layer; <paramref name="p"/> is the probability of zeroing a channel.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public Dropout2d(double p = 0.5, Generator? generator = null) : base(p, generator) { }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Dropout2d(input, P, Training, Generator);
}
