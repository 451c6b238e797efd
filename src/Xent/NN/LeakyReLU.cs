using System.Globalization;

namespace Xent.NN;

/// <summary><c>x &gt; 0 ? x : negativeSlope·x</c> elementwise, PyTorch's <c>nn.LeakyReLU</c>. No parameters.</summary>
/// <param name="negativeSlope">Slope for x ≤ 0 (default 0.01).</param>
public sealed class LeakyReLU(float negativeSlope = 0.01f) : Module
{
    /// <summary>The slope for x ≤ 0.</summary>
    public float NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.LeakyRelu(input, NegativeSlope);

    /// <inheritdoc/>
    public override string ToString() => $"LeakyReLU(negative_slope={NegativeSlope.ToString(CultureInfo.InvariantCulture)})";
}
