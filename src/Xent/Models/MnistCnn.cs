using Xent.NN;

namespace Xent.Models;

/// <summary>
/// The MNIST convolutional network of PyTorch's MNIST example (the <c>MNISTModel</c> of the cross-entropy tutorial),
/// layer for layer and with the same parameter names, so its state dict loads from and into PyTorch:
/// conv1 (1→32, 3×3) → ReLU → conv2 (32→64, 3×3) → ReLU → max-pool 2 → dropout1 (Dropout2d 0.25) → flatten →
/// fc1 (9216→128) → ReLU → dropout2 (Dropout2d 0.5) → fc2 (128→10). Input (N, 1, 28, 28), output (N, 10) logits.
/// </summary>
public sealed class MnistCnn : Module
{
    /// <summary>Builds the model, drawing initial weights from <paramref name="generator"/> (default <see cref="Generator.Default"/>).</summary>
    public MnistCnn(Generator? generator = null)
    {
        Conv1 = Register("conv1", new Conv2d(1, 32, 3, 1, generator: generator));
        Conv2 = Register("conv2", new Conv2d(32, 64, 3, 1, generator: generator));
        Dropout1 = Register("dropout1", new Dropout2d(0.25, generator is null ? null : new Generator(unchecked((long)generator.NextUInt64()))));
        Dropout2 = Register("dropout2", new Dropout2d(0.5, generator is null ? null : new Generator(unchecked((long)generator.NextUInt64()))));
        Fc1 = Register("fc1", new Linear(9216, 128, generator: generator));
        Fc2 = Register("fc2", new Linear(128, 10, generator: generator));
    }

    /// <summary>First convolution, 1→32 channels, 3×3.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Second convolution, 32→64 channels, 3×3.</summary>
    public Conv2d Conv2 { get; }

    /// <summary>Channel dropout after pooling (p = 0.25).</summary>
    public Dropout2d Dropout1 { get; }

    /// <summary>Dropout after fc1 (p = 0.5; 2-D input, so element-wise, as in PyTorch 1.13).</summary>
    public Dropout2d Dropout2 { get; }

    /// <summary>Hidden fully connected layer, 9216→128.</summary>
    public Linear Fc1 { get; }

    /// <summary>Output layer, 128→10 logits.</summary>
    public Linear Fc2 { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        // conv → ReLU pairs run fused: the same values and gradients as the two ops, one pass over memory.
        var x = Conv1.ForwardRelu(input);
        x = Conv2.ForwardRelu(x);
        x = F.MaxPool2d(x, 2);
        x = Dropout1.Forward(x);
        x = x.Flatten(1);
        x = Fc1.Forward(x);
        x = F.Relu(x);
        x = Dropout2.Forward(x);
        return Fc2.Forward(x);
    }
}
