using Xent.NN;

namespace Xent.Models;

/// <summary>
/// A one-hidden-layer perceptron: flatten → fc1 (input→hidden) → ReLU → fc2 (hidden→classes).
/// Defaults 784→256→10 for MNIST; parameter names <c>fc1.weight</c>, <c>fc1.bias</c>, <c>fc2.weight</c>, <c>fc2.bias</c>.
/// </summary>
public sealed class Mlp : Module
{
    /// <summary>Builds the model, drawing initial weights from <paramref name="generator"/> (default <see cref="Generator.Default"/>).</summary>
    public Mlp(int inputSize = 784, int hiddenSize = 256, int numClasses = 10, Generator? generator = null)
    {
        Fc1 = Register("fc1", new Linear(inputSize, hiddenSize, generator: generator));
        Fc2 = Register("fc2", new Linear(hiddenSize, numClasses, generator: generator));
    }

    /// <summary>Hidden layer.</summary>
    public Linear Fc1 { get; }

    /// <summary>Output layer.</summary>
    public Linear Fc2 { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Fc2.Forward(F.Relu(Fc1.Forward(input.Rank > 2 ? input.Flatten(1) : input)));
}
