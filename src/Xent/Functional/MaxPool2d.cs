using System.Runtime.InteropServices;
using Xent.Autograd;
using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// 2-D max pooling, PyTorch's <c>F.max_pool2d</c> (dilation 1, floor mode): input (N, C, H, W) or (C, H, W) →
    /// (…, Ho, Wo) with <c>Ho = (H + 2·padding − kernelSize) / stride + 1</c>. Padding counts as −∞.
    /// </summary>
    /// <param name="input">Float32 (N, C, H, W) or (C, H, W) tensor.</param>
    /// <param name="kernelSize">Window height and width (≥ 1).</param>
    /// <param name="stride">Window step (≥ 1); default <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit −∞ padding on each side, at most half the kernel size.</param>
    /// <exception cref="ArgumentException">Bad shape, kernel, stride or padding (PyTorch's messages).</exception>
    /// <remarks>
    /// Ties pick the first maximum in row-major window order and NaN propagates, as in PyTorch; backward routes each
    /// output gradient to that element (overlapping windows accumulate).
    /// </remarks>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0) =>
        MaxPool2d(input, (kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding));

    /// <summary><see cref="MaxPool2d(Tensor, int, int?, int)"/> with separate (height, width) kernel, stride and padding.</summary>
    public static Tensor MaxPool2d(Tensor input, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.RequireFloat("max_pool2d");
        var (kh, kw) = kernelSize;
        var (sh, sw) = stride ?? kernelSize;
        var (ph, pw) = padding ?? (0, 0);
        CheckPoolKernelSize(kh, kw, nameof(kernelSize));
        if (sh < 1 || sw < 1) throw new ArgumentException($"stride should be greater than zero, but got dH: {sh} dW: {sw}", nameof(stride));
        if (ph < 0 || pw < 0 || ph > kh / 2 || pw > kw / 2)
            throw new ArgumentException($"pad should be at most half of kernel size, but got pad=({ph}, {pw}) and kernel_size=({kh}, {kw})",
                nameof(padding));
        if ((input.Rank != 3 && input.Rank != 4) || input.NumEl == 0)
            throw new ArgumentException("non-empty 3D or 4D (batch mode) tensor expected for input, but got input of size " +
                $"{Shapes.Format(input.ShapeSpan)}", nameof(input));
        int rank = input.Rank;
        int h = input.Size(-2), w = input.Size(-1);
        int planes = input.NumEl / (h * w);
        // Floor division (PyTorch's div_rtn), so a too-small input reports output size 0, not 1.
        int ho = FloorDiv(h + 2L * ph - kh, sh) + 1, wo = FloorDiv(w + 2L * pw - kw, sw) + 1;
        CheckPoolOutputSize(input.Size(-3), h, w, ho, wo, nameof(input));

        var x = input.FloatArray;
        var y = StepArena.Allocate(planes * ho * wo);
        // Flat index within the (H, W) plane, as PyTorch's return_indices; int32 bits in float storage so that
        // a StepArena can lend it like the output.
        var argmaxStorage = StepArena.Allocate(y.Length);
        MaxPool2dKernel.Forward(x, planes, h, w, kh, kw, sh, sw, ph, pw, y, MemoryMarshal.Cast<float, int>(argmaxStorage.AsSpan()));
        var outShape = input.Shape;
        outShape[rank - 2] = ho;
        outShape[rank - 1] = wo;
        var result = new Tensor(y, outShape);
        return Tensor.Record(result, "MaxPool2DWithIndicesBackward", (g, ctx) =>
        {
            var gx = ctx.NewGrad(input);
            MaxPool2dKernel.Backward(g.FloatArray, MemoryMarshal.Cast<float, int>(argmaxStorage.AsSpan()), planes, h, w, ho, wo, gx.Data);
            return [gx];
        }, input);
    }

    /// <summary>PyTorch's max_pool2d check of the window size, shared with <see cref="Conv2dReluMaxPool2d"/>.</summary>
    private static void CheckPoolKernelSize(int kh, int kw, string paramName)
    {
        if (kh < 1 || kw < 1)
            throw new ArgumentException($"kernel size should be greater than zero, but got kH: {kh} kW: {kw}", paramName);
    }

    /// <summary>
    /// PyTorch's max_pool2d check that a (c, h, w) input pools to a non-empty (c, ho, wo), shared with
    /// <see cref="Conv2dReluMaxPool2d"/>.
    /// </summary>
    private static void CheckPoolOutputSize(int c, int h, int w, int ho, int wo, string paramName)
    {
        if (ho < 1 || wo < 1)
            throw new ArgumentException($"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{ho}x{wo}). Output size is too " +
                "small", paramName);
    }

    /// <summary>Integer division rounding toward −∞ (stride is positive).</summary>
    // In long: size + 2·padding − kernel can pass int.MaxValue (both are ints) even though the quotient fits.
    private static int FloorDiv(long a, int b) => (int)(a >= 0 ? a / b : -((-a + b - 1) / b));
}
