using System.Runtime.InteropServices;
using Xent.Autograd;
using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// <c>max_pool2d(relu(conv2d(input, weight, bias, stride, padding)), poolSize)</c> in one op: the same values and
    /// gradients (up to float32 rounding order) as <see cref="Conv2dRelu"/> then <see cref="MaxPool2d(Tensor, int, int?, int)"/>
    /// with stride = <paramref name="poolSize"/> and no pooling padding, the block of the PyTorch MNIST tutorial's CNN.
    /// </summary>
    /// <param name="input">Float32 (N, Cin, H, W) or (Cin, H, W) tensor.</param>
    /// <param name="weight">Float32 (Cout, Cin, kh, kw) filters.</param>
    /// <param name="bias">Optional float32 (Cout) bias.</param>
    /// <param name="poolSize">Pooling window (height, width), which is also its stride; each ≥ 1.</param>
    /// <param name="stride">Convolution stride, as <see cref="Conv2d"/>.</param>
    /// <param name="padding">Convolution zero padding, as <see cref="Conv2d"/>.</param>
    /// <returns>(N, Cout, ⌊Ho / poolH⌋, ⌊Wo / poolW⌋) for the convolution's Ho × Wo.</returns>
    /// <exception cref="ArgumentException">As <see cref="Conv2d"/>, or the pooling window is empty or larger than the
    /// convolution's output.</exception>
    /// <remarks>
    /// The full-resolution activation is never stored: each image's convolution is pooled while in cache, and the backward
    /// works from the window maxima alone (one position per pooled value, and only where it is not ≤ 0), a quarter of the
    /// dense convolution backward's arithmetic for 2×2 windows. Forward values are bit-identical to the unfused ops' save
    /// one case: where an input and a weight are both NaN, the batched (AVX-512) path may keep the other NaN's payload (a
    /// NaN either way, with the same index). Gradients are the same sums in a different order (within float32 rounding of
    /// them), and identical for any thread count.
    /// Only the products that can be nonzero are formed, except where an operand is not finite: an image whose input holds
    /// NaN or ±∞ (for the weight gradient), or every image when the weights do (for the input gradient), is summed over
    /// every convolution output, so that 0·NaN and 0·∞ give the NaNs of the unfused ops and PyTorch.
    /// </remarks>
    public static Tensor Conv2dReluMaxPool2d(Tensor input, Tensor weight, Tensor? bias, (int H, int W) poolSize,
        (int H, int W)? stride = null, (int H, int W)? padding = null)
    {
        if (CheckConvolution(input, weight, bias, stride, padding) is not { } shape)
            return Conv2dReluMaxPool2d(input.Unsqueeze(0), weight, bias, poolSize, stride, padding).Squeeze(0);
        var (poolH, poolW) = poolSize;
        CheckPoolKernelSize(poolH, poolW, nameof(poolSize));
        var (hp, wp) = Conv2dReluMaxPoolKernel.PooledSize(in shape, poolH, poolW);
        CheckPoolOutputSize(shape.OutChannels, shape.OutHeight, shape.OutWidth, hp, wp, nameof(poolSize));

        int n = shape.Batch, cout = shape.OutChannels;
        var x = input.FloatArray;
        var wt = weight.FloatArray;
        var y = StepArena.Allocate(n * cout * hp * wp);
        // Window argmax within the convolution's (Ho, Wo) plane, int32 bits in float storage so a StepArena can lend it.
        var argmaxStorage = StepArena.Allocate(y.Length);
        Conv2dReluMaxPoolKernel.Forward(in shape, poolH, poolW, x, wt, bias is null ? default : bias.FloatArray, y,
            MemoryMarshal.Cast<float, int>(argmaxStorage.AsSpan()));

        var result = new Tensor(y, [n, cout, hp, wp]);
        return Tensor.Record(result, "ConvolutionReluMaxPoolBackward", (g, ctx) =>
        {
            Tensor? gx = input.RequiresGrad ? ctx.NewGrad(input) : null;
            Tensor? gw = weight.RequiresGrad ? ctx.NewGrad(weight) : null;
            float[]? db = bias is not null && bias.RequiresGrad ? new float[cout] : null;
            Conv2dReluMaxPoolKernel.Backward(in shape, poolH, poolW, g.FloatArray, y,
                MemoryMarshal.Cast<float, int>(argmaxStorage.AsSpan()), x, wt, gx is null ? default : gx.Data,
                gw is null ? default : gw.Data, db);
            Tensor? gb = db is null ? null : ctx.Adopt(db, bias!.Shape);
            return bias is null ? [gx, gw] : [gx, gw, gb];
        }, bias is null ? [input, weight] : [input, weight, bias]);
    }
}
