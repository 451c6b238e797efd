using Xent.Autograd;
using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// <see cref="CrossEntropy"/> with logit soft-capping and/or PaLM's z-loss: logits y = cap·tanh(x / cap)
    /// (<see cref="SoftcapKernel"/>), then the cross-entropy of y, plus z·lse_i² per non-ignored row
    /// (<see cref="ZLossKernel"/>) added before the reduction (so 'mean' divides it by the same denominator:
    /// Σ weight[t_i] for class indices, the row count for probabilities). Same semantics as
    /// <see cref="LinearCrossEntropy"/>. Backward: CE gradient w.r.t. y, plus 2z·lse·softmax(y), times 1 − (y/cap)².
    /// </summary>
    private static Tensor CrossEntropySoftcapZLoss(Tensor input, Tensor target, float[] logits, float[] w, int outer, int classes,
        int inner,
        bool probabilities, long ignoreIndex, Reduction reduction, float eps, float zLossScale, float? softcap)
    {
        LossOptions.CheckZLossScale(zLossScale);
        float cap = softcap ?? 0f;
        if (softcap is not null) SoftcapKernel.ValidateCap(cap);
        int rows = outer * inner;
        var y = logits;
        if (cap > 0f)
        {
            y = GC.AllocateUninitializedArray<float>(logits.Length);
            SoftcapKernel.Forward(logits, cap, y);
        }
        var q = probabilities ? ClassRows.ToRows(target.FloatArray, outer, classes, inner) : [];
        long[] targets = probabilities ? [] : target.LongArray;
        var loss = reduction == Reduction.None ? new float[rows] : [];
        var rowMax = new float[rows];
        var rowLogSum = new float[rows];
        double sum, denominator;
        float? meanOverride = null;
        if (probabilities)
        {
            sum = CrossEntropyKernel.ForwardProb(y, q, classes, w, eps, loss, rowMax, rowLogSum);
            denominator = rows;
        }
        else
        {
            var totals = CrossEntropyKernel.Forward(y, targets, classes, w, ignoreIndex, eps, loss, rowMax, rowLogSum);
            (sum, denominator, meanOverride) = (totals.LossSum, totals.WeightSum, totals.MeanOverride);
        }
        if (zLossScale != 0f) sum += ZLossKernel.Forward(rowMax, rowLogSum, targets, ignoreIndex, zLossScale, loss);
        var inputShape = input.Shape;
        var result = reduction switch
        {
            Reduction.None => new Tensor(loss, probabilities ? RemoveDim(inputShape, input.Rank == 1 ? 0 : 1) : target.Shape),
            Reduction.Sum => Tensor.Scalar((float)sum),
            // Without a z-loss the smoothed mean over weights summing to 0 is PyTorch's (CrossEntropyTotals.ZeroWeightSmoothedMean).
            _ => Tensor.Scalar(zLossScale == 0f && meanOverride is { } m ? m : (float)(sum / denominator)),
        };
        if (!(GradMode.IsEnabled && input.RequiresGrad)) return result;
        return Tensor.Record(result, "CrossEntropyLossBackward", (g, ctx) =>
        {
            var rowGrad = RowGrad(g, reduction, denominator);
            var dx = GC.AllocateUninitializedArray<float>(y.Length);
            if (probabilities) CrossEntropyKernel.BackwardProb(y, q, classes, w, eps, rowMax, rowLogSum, rowGrad, dx);
            else CrossEntropyKernel.Backward(y, targets, classes, w, ignoreIndex, eps, rowMax, rowLogSum, rowGrad, dx);
            if (zLossScale != 0f) ZLossKernel.Backward(y, classes, targets, ignoreIndex, zLossScale, rowMax, rowLogSum, rowGrad, dx);
            if (cap > 0f) SoftcapKernel.Backward(y, dx, cap, dx);
            return [ctx.Adopt(ClassRows.FromRows(dx, outer, classes, inner), inputShape)];
        }, input);
    }
}
