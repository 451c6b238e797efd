using Xent.NN;

namespace Xent.Models;

/// <summary>
/// Multinomial logistic regression, the tutorial's <c>SimpleModel</c>: one <see cref="NN.Linear"/> layer named
/// <c>linear</c> from flattened inputs to class logits (default 784→10 for MNIST).
/// </summary>
public sealed class LinearClassifier : Module
{
    /// <summary>Builds the model; inputs of rank > 2 are flattened from dim 1 in <see cref="Forward"/>.</summary>
    public LinearClassifier(int inputSize = 784, int numClasses = 10, Generator? generator = null)
    {
        Linear = Register("linear", new Linear(inputSize, numClasses, generator: generator));
    }

    /// <summary>The single layer (<c>linear.weight</c>, <c>linear.bias</c>).</summary>
    public Linear Linear { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Linear.Forward(input.Rank > 2 ? input.Flatten(1) : input);
}
