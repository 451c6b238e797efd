namespace Xent.NN;

/// <summary>2-D max pooling, PyTorch's <c>nn.MaxPool2d</c> (stride defaults to the kernel size). No parameters.</summary>
public sealed class MaxPool2d : Module
{
    /// <summary>Square window: <c>new MaxPool2d(2)</c> like <c>nn.MaxPool2d(2)</c>.</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding)) { }

    /// <summary>Separate (height, width) window, stride and padding.</summary>
    public MaxPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? (0, 0);
    }

    /// <summary>(height, width) of the window.</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>(height, width) step.</summary>
    public (int H, int W) Stride { get; }

    /// <summary>(height, width) implicit −∞ padding.</summary>
    public (int H, int W) Padding { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.MaxPool2d(input, KernelSize, Stride, Padding);

    /// <inheritdoc/>
    public override string ToString() =>
        $"MaxPool2d(kernel_size=({KernelSize.H}, {KernelSize.W}), stride=({Stride.H}, {Stride.W}), padding=({Padding.H}, {Padding.W}))";
}
