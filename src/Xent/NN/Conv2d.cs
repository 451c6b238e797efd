namespace Xent.NN;

/// <summary>
/// 2-D convolution layer, PyTorch's <c>nn.Conv2d</c> (groups 1, dilation 1, zero padding). Parameters
/// <c>weight</c> (out, in, kh, kw) and <c>bias</c> (out) start from PyTorch's defaults: U(−1/√fan_in, 1/√fan_in),
/// fan_in = in·kh·kw.
/// </summary>
public sealed class Conv2d : Module
{
    /// <summary>Square kernel, stride and padding: <c>new Conv2d(1, 32, 3, 1)</c> like <c>nn.Conv2d(1, 32, 3, 1)</c>.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, bool bias = true,
        Generator? generator = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), bias, generator) { }

    /// <summary>Separate (height, width) kernel size, stride and padding.</summary>
    /// <exception cref="ArgumentException">A channel count is not positive, a kernel size or stride is below 1, or padding is
    /// negative.</exception>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null,
        bool bias = true, Generator? generator = null)
    {
        if (inChannels < 1 || outChannels < 1)
            throw new ArgumentException($"Conv2d needs positive channel counts, got in_channels={inChannels}, out_channels={outChannels}.");
        var s = stride ?? (1, 1);
        var p = padding ?? (0, 0);
        if (kernelSize.H < 1 || kernelSize.W < 1)
            throw new ArgumentException($"kernel size should be greater than zero, got ({kernelSize.H}, {kernelSize.W}).",
            nameof(kernelSize));
        if (s.H < 1 || s.W < 1) throw new ArgumentException($"non-positive stride is not supported (got ({s.H}, {s.W})).", nameof(stride));
        if (p.H < 0 || p.W < 0) throw new ArgumentException($"negative padding is not supported (got ({p.H}, {p.W})).", nameof(padding));
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = s;
        Padding = p;
        Weight = Register("weight", new Parameter(Tensor.Zeros(outChannels, inChannels, kernelSize.H, kernelSize.W)));
        Bias = Register("bias", bias ? new Parameter(Tensor.Zeros(outChannels)) : null);
        ResetParameters(generator);
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels (filters).</summary>
    public int OutChannels { get; }

    /// <summary>(height, width) of each filter.</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>(height, width) step.</summary>
    public (int H, int W) Stride { get; }

    /// <summary>(height, width) zero padding on each side.</summary>
    public (int H, int W) Padding { get; }

    /// <summary>The (out, in, kh, kw) filters.</summary>
    public Parameter Weight { get; }

    /// <summary>The (out) bias, or null when created with <c>bias: false</c>.</summary>
    public Parameter? Bias { get; }

    /// <summary>Re-draws the parameters as PyTorch's <c>reset_parameters</c> does (kaiming_uniform with a = √5).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.KaimingUniform_(Weight, a: Math.Sqrt(5), generator: generator);
        if (Bias is not null) Init.BiasUniform_(Bias, Weight, generator);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Conv2d(input, Weight, Bias, Stride, Padding);

    /// <summary>
    /// <c>relu(Forward(input))</c> in one pass (<see cref="F.Conv2dRelu"/>): same values and gradients, less memory traffic.
    /// </summary>
    public Tensor ForwardRelu(Tensor input) => F.Conv2dRelu(input, Weight, Bias, Stride, Padding);

    /// <summary>
    /// <c>max_pool2d(relu(Forward(input)), poolSize)</c> in one op (<see cref="F.Conv2dReluMaxPool2d"/>): the same values,
    /// gradients up to float32 rounding order, without storing the full-resolution activation.
    /// </summary>
    public Tensor ForwardReluMaxPool2d(Tensor input, (int H, int W) poolSize) =>
        F.Conv2dReluMaxPool2d(input, Weight, Bias, poolSize, Stride, Padding);

    /// <inheritdoc/>
    public override string ToString() =>
        $"Conv2d({InChannels}, {OutChannels}, kernel_size=({KernelSize.H}, {KernelSize.W}), stride=({Stride.H}, {Stride.W})" +
        (Padding != (0, 0) ? $", padding=({Padding.H}, {Padding.W})" : "") + (Bias is null ? ", bias=False" : "") + ")";
}
