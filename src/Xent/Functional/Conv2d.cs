using Xent.Autograd;
using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// 2-D cross-correlation, PyTorch's <c>F.conv2d</c> with groups = 1 and dilation = 1:
    /// input (N, Cin, H, W) or unbatched (Cin, H, W), weight (Cout, Cin, kh, kw), bias (Cout) →
    /// (N, Cout, Ho, Wo) with <c>Ho = (H + 2·padH − kh) / strideH + 1</c> (floor), likewise Wo.
    /// </summary>
    /// <param name="input">Float32 (N, Cin, H, W) or (Cin, H, W) tensor.</param>
    /// <param name="weight">Float32 (Cout, Cin, kh, kw) filters.</param>
    /// <param name="bias">Optional float32 (Cout) bias.</param>
    /// <param name="stride">(strideH, strideW), each ≥ 1; default (1, 1).</param>
    /// <param name="padding">(padH, padW) zero padding on both sides, each ≥ 0; default (0, 0).</param>
    /// <exception cref="ArgumentException">A shape, stride or padding is invalid; messages follow PyTorch's
    /// ("Given groups=1, weight of size [32, 1, 3, 3], expected input[64, 3, 28, 28] to have 1 channels, but got 3 channels
    /// instead").</exception>
    /// <exception cref="InvalidOperationException">An argument is int64, not float32.</exception>
    /// <remarks>
    /// Computed by im2col and SGEMM. One autograd node; its backward gives dX (col2im of Wᵀ·dY),
    /// dW (Σₙ dYₙ·colₙᵀ) and db (sums of dY), each only for inputs that require gradients.
    /// </remarks>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, (int H, int W)? stride = null,
        (int H, int W)? padding = null)
        => Convolution(input, weight, bias, stride, padding, relu: false);

    /// <summary>
    /// <c>relu(conv2d(input, weight, bias, stride, padding))</c> in one pass: the same values and gradients as
    /// <see cref="Relu"/> after <see cref="Conv2d"/>, without materialising the pre-activation or reading it back
    /// (one node, <c>ConvolutionReluBackward</c>). Arguments and errors as <see cref="Conv2d"/>.
    /// </summary>
    public static Tensor Conv2dRelu(Tensor input, Tensor weight, Tensor? bias = null, (int H, int W)? stride = null,
        (int H, int W)? padding = null)
        => Convolution(input, weight, bias, stride, padding, relu: true);

    private static Tensor Convolution(Tensor input, Tensor weight, Tensor? bias, (int H, int W)? stride, (int H, int W)? padding, bool relu)
    {
        if (CheckConvolution(input, weight, bias, stride, padding) is not { } shape)
        {
            // Unbatched input: run as a batch of one and drop the batch dim again (differentiable views).
            return Convolution(input.Unsqueeze(0), weight, bias, stride, padding, relu).Squeeze(0);
        }
        int n = shape.Batch, cout = shape.OutChannels;
        var x = input.FloatArray;
        var wt = weight.FloatArray;
        var y = StepArena.Allocate(n * shape.OutputImageSize);
        Conv2dKernel.Forward(in shape, x, wt, bias is null ? default : bias.FloatArray, y, relu);

        var result = new Tensor(y, [n, cout, shape.OutHeight, shape.OutWidth]);
        return Tensor.Record(result, relu ? "ConvolutionReluBackward" : "ConvolutionBackward", (g, ctx) =>
        {
            var gy = g.FloatArray;
            float[]? preActivationGrad = null;
            if (relu)
            {
                // Gradient through the ReLU (zero where the output is ≤ 0; NaN passes), an internal temporary.
                preActivationGrad = BufferPool.Rent(y.Length);
                Elementwise.ReluBackward(y, gy, preActivationGrad);
                gy = preActivationGrad;
            }
            Tensor? gx = null, gw = null, gb = null;
            if (input.RequiresGrad)
            {
                gx = ctx.NewGrad(input);
                Conv2dKernel.BackwardInput(in shape, gy, wt, gx.Data);
            }
            if (weight.RequiresGrad)
            {
                gw = ctx.NewGrad(weight);
                Conv2dKernel.BackwardWeight(in shape, gy, x, gw.Data);
            }
            if (bias is not null && bias.RequiresGrad)
            {
                var db = new float[cout];
                Conv2dKernel.BackwardBias(in shape, gy, db);
                gb = ctx.Adopt(db, bias.Shape);
            }
            if (preActivationGrad is not null) BufferPool.Return(preActivationGrad);
            return bias is null ? [gx, gw] : [gx, gw, gb];
        }, bias is null ? [input, weight] : [input, weight, bias]);
    }

    /// <summary>
    /// Validates conv2d's arguments with PyTorch's messages and returns the geometry of a batched (4-D) input, or null for
    /// an unbatched (3-D) one, which the caller runs as a batch of one.
    /// </summary>
    private static Conv2dShape? CheckConvolution(Tensor input, Tensor weight, Tensor? bias, (int H, int W)? stride, (int H, int W)? padding)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        input.RequireFloat("conv2d");
        weight.RequireFloat("conv2d");
        bias?.RequireFloat("conv2d");
        var (sh, sw) = stride ?? (1, 1);
        var (ph, pw) = padding ?? (0, 0);
        if (input.Rank != 3 && input.Rank != 4)
            throw new ArgumentException("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: " +
                $"{Shapes.Format(input.ShapeSpan)}", nameof(input));
        if (weight.Rank != 4)
            throw new ArgumentException("Expected 4D weight (out_channels, in_channels, kH, kW) to conv2d, but got weight of size " +
                $"{Shapes.Format(weight.ShapeSpan)}", nameof(weight));
        if (sh < 1 || sw < 1) throw new ArgumentException($"non-positive stride is not supported (got stride=({sh}, {sw}))",
            nameof(stride));
        if (ph < 0 || pw < 0) throw new ArgumentException($"negative padding is not supported (got padding=({ph}, {pw}))", nameof(padding));
        if (input.Rank == 3) return null;

        int n = input.Size(0), cin = input.Size(1), h = input.Size(2), w = input.Size(3);
        int cout = weight.Size(0), kh = weight.Size(2), kw = weight.Size(3);
        if (weight.Size(1) != cin)
            throw new ArgumentException($"Given groups=1, weight of size {Shapes.Format(weight.ShapeSpan)}, expected " +
                $"input{Shapes.Format(input.ShapeSpan)} to have {weight.Size(1)} channels, but got {cin} channels instead", nameof(input));
        if (bias is not null && (bias.Rank != 1 || bias.NumEl != cout))
            throw new ArgumentException($"Given weight of size {Shapes.Format(weight.ShapeSpan)}, expected bias to be 1-dimensional with " +
                $"{cout} elements, but got bias of size {Shapes.Format(bias.ShapeSpan)} instead", nameof(bias));
        if (h + 2L * ph < kh || w + 2L * pw < kw)
            throw new ArgumentException($"Calculated padded input size per channel: ({h + 2L * ph} x {w + 2L * pw}). " +
                $"Kernel size: ({kh} x {kw}). Kernel size can't be greater than actual input size", nameof(input));

        var shape = new Conv2dShape(n, cin, h, w, cout, kh, kw, sh, sw, ph, pw);
        shape.Validate();
        return shape;
    }
}
