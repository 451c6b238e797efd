using Xent.NN;

namespace Xent.Models;

/// <summary>
/// The MNIST convolutional network of the PyTorch tutorial (its <c>MNISTModel</c>, the CNN of PyTorch's own MNIST script),
/// layer for layer and with the same parameter names, so its state dict loads from and into PyTorch:
/// conv1 (1→32, 3×3) → ReLU → conv2 (32→64, 3×3) → ReLU → max-pool 2 → dropout1 (Dropout2d 0.25) → flatten →
/// fc1 (9216→128) → ReLU → dropout2 (Dropout2d 0.5) → fc2 (128→10). Input (N, 1, 28, 28), output (N, 10) logits.
/// The same architecture adapts to C×H×W inputs and K classes: conv1 takes C channels, fc1 takes
/// 64·⌊(H−4)/2⌋·⌊(W−4)/2⌋ inputs and fc2 gives K logits; at 1×28×28 and 10 classes it is the tutorial's model, weights
/// drawn in the same order from the same generator.
/// </summary>
public sealed class MnistCnn : Module
{
    /// <summary>
    /// Builds the tutorial's model for 1×28×28 inputs and 10 classes, drawing initial weights from <paramref name="generator"/> (default
    /// <see cref="Generator.Default"/>).
    /// </summary>
    public MnistCnn(Generator? generator = null) : this(1, 28, 28, 10, generator) { }

    /// <summary>
    /// Builds the architecture for <paramref name="channels"/>×<paramref name="height"/>×<paramref name="width"/> inputs and
    /// <paramref name="numClasses"/> classes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Images smaller than 6×6 (nothing is left after two 3×3 convolutions and a 2×2 pool),
    /// or no class.</exception>
    public MnistCnn(int channels, int height, int width, int numClasses, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 6);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 6);
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        Conv1 = Register("conv1", new Conv2d(channels, 32, 3, 1, generator: generator));
        Conv2 = Register("conv2", new Conv2d(32, 64, 3, 1, generator: generator));
        Dropout1 = Register("dropout1", new Dropout2d(0.25,
            generator is null ? null : new Generator(unchecked((long)generator.NextUInt64()))));
        Dropout2 = Register("dropout2", new Dropout2d(0.5,
            generator is null ? null : new Generator(unchecked((long)generator.NextUInt64()))));
        Fc1 = Register("fc1", new Linear(FlatSize(height, width), 128, generator: generator));
        Fc2 = Register("fc2", new Linear(128, numClasses, generator: generator));
    }

    /// <summary>fc1's input size for H×W images: 64 channels of the pooled ⌊(H−4)/2⌋×⌊(W−4)/2⌋ map (9216 at 28×28).</summary>
    public static int FlatSize(int height, int width) => checked(64 * ((height - 4) / 2) * ((width - 4) / 2));

    /// <summary>First convolution, C→32 channels, 3×3.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Second convolution, 32→64 channels, 3×3.</summary>
    public Conv2d Conv2 { get; }

    /// <summary>Channel dropout after pooling (p = 0.25).</summary>
    public Dropout2d Dropout1 { get; }

    /// <summary>Dropout after fc1 (p = 0.5; 2-D input, so element-wise, as in PyTorch 1.13).</summary>
    public Dropout2d Dropout2 { get; }

    /// <summary>Hidden fully connected layer, 9216→128 at 28×28.</summary>
    public Linear Fc1 { get; }

    /// <summary>Output layer, 128→K logits.</summary>
    public Linear Fc2 { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        // conv → ReLU (→ max-pool) run fused: the same values as the separate ops, one pass over memory, and conv2's
        // backward only at the pooled maxima.
        var x = Conv1.ForwardRelu(input);
        x = Conv2.ForwardReluMaxPool2d(x, (2, 2));
        x = Dropout1.Forward(x);
        x = x.Flatten(1);
        x = Fc1.Forward(x);
        x = F.Relu(x);
        x = Dropout2.Forward(x);
        return Fc2.Forward(x);
    }
}
