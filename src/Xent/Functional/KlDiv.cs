using Xent.Diagnostics;
using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// The Kullback–Leibler divergence loss, exactly <c>torch.nn.functional.kl_div</c> (PyTorch 1.13): element-wise
    /// target·(log target − input) for an <paramref name="input"/> of log-probabilities and a target of probabilities,
    /// or e^target·(target − input) when <paramref name="logTarget"/> says the target holds log-probabilities too.
    /// </summary>
    /// <remarks>
    /// <para><b>Zero targets</b> contribute 0 (0·log 0 = 0, PyTorch's <c>xlogy</c>), and their gradient is 0. PyTorch's other
    /// edges are kept: a negative target gives NaN, and with <paramref name="logTarget"/> a −inf target gives NaN (0·−inf).</para>
    /// <para><b>Reductions.</b> <see cref="KlDivReduction.BatchMean"/> (sum / size(0)) is the KL divergence per sample;
    /// <see cref="KlDivReduction.Mean"/>, PyTorch's default, divides by the element count and, as PyTorch does, warns
    /// once that it is not the KL divergence.</para>
    /// <para><b>Shapes.</b> Any shape; <paramref name="target"/> must have <paramref name="input"/>'s (PyTorch's broadcasting of
    /// the two is not supported and throws <see cref="NotSupportedException"/>).</para>
    /// <para><b>Gradient.</b> One autograd node; d/d input = −target (or −e^target), to <paramref name="input"/> only
    /// (PyTorch also differentiates with respect to the target; Xent does not).</para>
    /// </remarks>
    /// <param name="input">Log-probabilities, float32.</param>
    /// <param name="target">Probabilities (or log-probabilities with <paramref name="logTarget"/>), float32, of the input's shape.</param>
    /// <param name="reduction">None, Mean (default, PyTorch's), Sum or BatchMean.</param>
    /// <param name="logTarget">Whether <paramref name="target"/> holds log-probabilities.</param>
    /// <returns>A 0-d loss, or per-element terms for None.</returns>
    /// <exception cref="ArgumentException">The target is not float32.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="input"/> is int64, not float32.</exception>
    /// <exception cref="NotSupportedException">The shapes differ (broadcasting), or the target requires grad (only the input is
    /// differentiated; PyTorch also differentiates the target).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public static Tensor KlDiv(Tensor input, Tensor target, KlDivReduction reduction = KlDivReduction.Mean, bool logTarget = false)
    {
        input.RequireFloat(nameof(KlDiv));
        LossOptions.CheckReduction(reduction);
        CheckFloatTarget(target, nameof(KlDiv));
        if (!Shapes.Equal(input.ShapeSpan, target.ShapeSpan))
            throw new NotSupportedException($"kl_div: the target's shape {Shapes.Format(target.ShapeSpan)} differs from the input's " +
                $"{Shapes.Format(input.ShapeSpan)}; broadcasting them is not supported, expand the target to the input's shape.");
        if (reduction == KlDivReduction.Mean)
            Warnings.Warn("kl-div-mean",
                "reduction: 'mean' divides the total loss by both the batch size and the support size.'batchmean' divides only by the " +
                    "batch size, " +
                "and aligns with the KL div math definition.'mean' will be changed to behave the same as 'batchmean' in the next major " +
                    "release.");
        var shape = input.Shape;
        var x = input.FloatArray;
        var t = target.FloatArray;
        var loss = reduction == KlDivReduction.None ? new float[x.Length] : [];
        double sum = KlDivKernel.Forward(x, t, logTarget, loss);
        double divisor = reduction switch
        {
            KlDivReduction.Mean => x.Length,
            KlDivReduction.BatchMean => shape.Length == 0 ? 1 : shape[0],
            _ => 1,
        };
        var result = reduction == KlDivReduction.None ? new Tensor(loss, shape) : Tensor.Scalar((float)(sum / divisor));
        return Tensor.Record(result, "KlDivBackward", (g, ctx) =>
        {
            var dx = GC.AllocateUninitializedArray<float>(x.Length);
            float[] rowGrad = reduction == KlDivReduction.None ? g.FloatArray : [(float)(g.Item() / divisor)];
            KlDivKernel.Backward(t, logTarget, rowGrad, dx);
            return [ctx.Adopt(dx, shape)];
        }, input);
    }
}
