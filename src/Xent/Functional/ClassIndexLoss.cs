using Xent.Autograd;
using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// The kernel entry points of a loss over class-index targets (cross-entropy, focal loss), with the loss's own option
    /// (label smoothing, γ) bound: what <see cref="ClassIndexLoss{TKernel}"/> turns into one autograd node.
    /// </summary>
    private interface IClassIndexKernel
    {
        /// <summary>Mean loss; overwrites <paramref name="grad"/> with the mean loss's gradient.</summary>
        float ForwardBackwardMean(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> weight,
            long ignoreIndex, Span<float> grad);

        /// <summary>Summed loss; overwrites <paramref name="grad"/> with the summed loss's gradient.</summary>
        double ForwardBackwardSum(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> weight,
            long ignoreIndex, Span<float> grad);

        /// <summary>Per-row losses (when <paramref name="loss"/> is not empty), totals, and the row statistics backward needs.</summary>
        CrossEntropyTotals Forward(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> weight,
            long ignoreIndex, Span<float> loss, Span<float> rowMax, Span<float> rowLogSum);

        /// <summary>Gradient of the logits from the forward's row statistics and the upstream gradient per row.</summary>
        void Backward(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> weight, long ignoreIndex,
            ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad, Span<float> grad);
    }

    /// <summary><see cref="CrossEntropyKernel"/> with a label smoothing.</summary>
    private readonly struct CrossEntropyIndexKernel(float labelSmoothing) : IClassIndexKernel
    {
        public float ForwardBackwardMean(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> weight,
            long ignoreIndex, Span<float> grad) =>
            CrossEntropyKernel.ForwardBackwardMean(logits, targets, classes, weight, ignoreIndex, labelSmoothing, grad);

        public double ForwardBackwardSum(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> weight,
            long ignoreIndex, Span<float> grad) =>
            CrossEntropyKernel.ForwardBackward(logits, targets, classes, weight, ignoreIndex, labelSmoothing, 1f, grad).LossSum;

        public CrossEntropyTotals Forward(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> weight,
            long ignoreIndex, Span<float> loss, Span<float> rowMax, Span<float> rowLogSum) =>
            CrossEntropyKernel.Forward(logits, targets, classes, weight, ignoreIndex, labelSmoothing, loss, rowMax, rowLogSum);

        public void Backward(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> weight,
            long ignoreIndex, ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad, Span<float> grad) =>
            CrossEntropyKernel.Backward(logits, targets, classes, weight, ignoreIndex, labelSmoothing, rowMax, rowLogSum, rowGrad, grad);
    }

    /// <summary><see cref="FocalLossKernel"/> with a focusing exponent γ.</summary>
    private readonly struct FocalIndexKernel(float gamma) : IClassIndexKernel
    {
        public float ForwardBackwardMean(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> weight,
            long ignoreIndex, Span<float> grad) =>
            FocalLossKernel.ForwardBackwardMean(logits, targets, classes, gamma, weight, ignoreIndex, grad);

        public double ForwardBackwardSum(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> weight,
            long ignoreIndex, Span<float> grad) =>
            FocalLossKernel.ForwardBackward(logits, targets, classes, gamma, weight, ignoreIndex, 1f, grad).LossSum;

        public CrossEntropyTotals Forward(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> weight,
            long ignoreIndex, Span<float> loss, Span<float> rowMax, Span<float> rowLogSum) =>
            FocalLossKernel.Forward(logits, targets, classes, gamma, weight, ignoreIndex, loss, rowMax, rowLogSum);

        public void Backward(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, ReadOnlySpan<float> weight,
            long ignoreIndex, ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad, Span<float> grad) =>
            FocalLossKernel.Backward(logits, targets, classes, gamma, weight, ignoreIndex, rowMax, rowLogSum, rowGrad, grad);
    }

    /// <summary>
    /// One autograd node named <paramref name="nodeName"/> for a loss over class-index targets, from the logits already in
    /// (rows, C) order. Training (Mean or Sum with a gradient wanted): one fused pass writes the loss and the reduced loss's
    /// gradient, and backward only scales it. Otherwise the forward keeps each row's max and log-sum-exp for the backward.
    /// </summary>
    private static Tensor ClassIndexLoss<TKernel>(TKernel kernel, string nodeName, Tensor input, Tensor target, float[] logits,
        float[] w, int outer, int classes, int inner, long ignoreIndex, Reduction reduction) where TKernel : struct, IClassIndexKernel
    {
        int rows = outer * inner;
        var targets = target.LongArray;
        var inputShape = input.Shape;
        bool needGrad = GradMode.IsEnabled && input.RequiresGrad;
        if (reduction != Reduction.None && needGrad)
        {
            var grad = GC.AllocateUninitializedArray<float>(logits.Length);
            float value = reduction == Reduction.Mean
                ? kernel.ForwardBackwardMean(logits, targets, classes, w, ignoreIndex, grad)
                : (float)kernel.ForwardBackwardSum(logits, targets, classes, w, ignoreIndex, grad);
            return Tensor.Record(Tensor.Scalar(value), nodeName,
                (g, ctx) => [SavedGradient(grad, g.Item(), ctx, outer, classes, inner, inputShape)], input);
        }

        var loss = reduction == Reduction.None ? new float[rows] : [];
        var rowMax = needGrad ? new float[rows] : [];
        var rowLogSum = needGrad ? new float[rows] : [];
        var t = kernel.Forward(logits, targets, classes, w, ignoreIndex, loss, rowMax, rowLogSum);
        var result = reduction switch
        {
            Reduction.None => new Tensor(loss, target.Shape),
            Reduction.Sum => Tensor.Scalar((float)t.LossSum),
            _ => Tensor.Scalar(t.Mean),
        };
        return Tensor.Record(result, nodeName, (g, ctx) =>
        {
            var dx = GC.AllocateUninitializedArray<float>(logits.Length);
            kernel.Backward(logits, targets, classes, w, ignoreIndex, rowMax, rowLogSum, RowGrad(g, reduction, t.WeightSum), dx);
            return [ctx.Adopt(ClassRows.FromRows(dx, outer, classes, inner), inputShape)];
        }, input);
    }
}
