namespace Xent.NN;

/// <summary><c>max(0, x)</c> elementwise, PyTorch's <c>nn.ReLU</c>. No parameters.</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Relu(input);

    /// <inheritdoc/>
    public override string ToString() => "ReLU()";
}
