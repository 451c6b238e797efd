using Xent.NN;

namespace Xent.Models;

/// <summary>
/// A multi-layer perceptron: flatten → fc1 → ReLU → … → fcK (hidden sizes of your choice) → fc(K+1) to the class logits.
/// Defaults 784→256→10 for MNIST; parameter names <c>fc1.weight</c>, <c>fc1.bias</c>, <c>fc2.weight</c>, …
/// </summary>
public sealed class Mlp : Module
{
    private readonly Linear[] _layers;

    /// <summary>
    /// Builds a one-hidden-layer model, drawing initial weights from <paramref name="generator"/> (default
    /// <see cref="Generator.Default"/>).
    /// </summary>
    public Mlp(int inputSize = 784, int hiddenSize = 256, int numClasses = 10, Generator? generator = null)
        : this(inputSize, [hiddenSize], numClasses, generator) { }

    /// <summary>
    /// Builds a model with one hidden layer per entry of <paramref name="hiddenSizes"/> (none: logistic regression named <c>fc1</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1.</exception>
    public Mlp(int inputSize, IReadOnlyList<int> hiddenSizes, int numClasses, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(hiddenSizes);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        foreach (int h in hiddenSizes) ArgumentOutOfRangeException.ThrowIfLessThan(h, 1, nameof(hiddenSizes));
        int[] sizes = [inputSize, .. hiddenSizes, numClasses];
        _layers = new Linear[sizes.Length - 1];
        for (int i = 0; i < _layers.Length; i++)
            _layers[i] = Register($"fc{i + 1}", new Linear(sizes[i], sizes[i + 1], generator: generator));
        HiddenSizes = [.. hiddenSizes];
    }

    /// <summary>The hidden layer sizes.</summary>
    public IReadOnlyList<int> HiddenSizes { get; }

    /// <summary>First layer.</summary>
    public Linear Fc1 => _layers[0];

    /// <summary>Second layer (the output layer of a one-hidden-layer model).</summary>
    public Linear Fc2 => _layers[1];

    /// <summary>The layers, input to output.</summary>
    public IReadOnlyList<Linear> Layers => _layers;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = input.Rank > 2 ? input.Flatten(1) : input;
        for (int i = 0; i < _layers.Length; i++)
        {
            x = _layers[i].Forward(x);
            if (i + 1 < _layers.Length) x = F.Relu(x);
        }
        return x;
    }
}
