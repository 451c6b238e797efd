using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// Sigmoid and binary cross-entropy in one numerically stable step, exactly
    /// <c>torch.nn.functional.binary_cross_entropy_with_logits</c> (PyTorch 1.13):
    /// loss = w·((1 − y)·x + (1 + (pw − 1)·y)·log(1 + e^−x)), computed as log1p(e^−|x|) + max(−x, 0),
    /// so it is exact for |x| up to 1e4 and beyond (no overflow, no log(0)).
    /// </summary>
    /// <remarks>
    /// Mean divides by the element count. <paramref name="weight"/> broadcasts to the input's shape;
    /// <paramref name="posWeight"/> (the weight of positive examples, one per class) broadcasts along the last dim.
    /// One autograd node; the gradient w·((pw·y + 1 − y)·σ(x) − pw·y) flows to <paramref name="input"/> only.
    /// </remarks>
    /// <param name="input">Logits, float32, any shape.</param>
    /// <param name="target">Targets (float32, usually in [0, 1]) of <paramref name="input"/>'s shape.</param>
    /// <param name="weight">Optional rescaling weight broadcast to the input's shape.</param>
    /// <param name="reduction">None, Mean (default) or Sum.</param>
    /// <param name="posWeight">Optional weight of positive examples, broadcast to the input's shape (typically (C) for the last
    /// dim).</param>
    /// <exception cref="ArgumentException">The target is int64 or of another shape, or <paramref name="weight"/> or
    /// <paramref name="posWeight"/> does not broadcast or requires grad while grad mode is on (PyTorch's message: they are not
    /// differentiable).</exception>
    /// <exception cref="InvalidOperationException"><paramref name="input"/>, <paramref name="weight"/> or
    /// <paramref name="posWeight"/> is int64, not float32.</exception>
    /// <exception cref="NotSupportedException">The target requires grad: only the input is differentiated
    /// (PyTorch also differentiates a float target).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null,
        Reduction reduction = Reduction.Mean, Tensor? posWeight = null)
    {
        input.RequireFloat(nameof(BinaryCrossEntropyWithLogits));
        LossOptions.CheckReduction(reduction);
        CheckLogitsTarget(input, target, nameof(BinaryCrossEntropyWithLogits));
        var shape = input.Shape;
        var w = BroadcastWeight(weight, shape, "weight", "binary_cross_entropy_with_logits");
        float[] pw;
        // A (C) pos_weight along the last dim goes to the kernel as is (it indexes i mod C); any other broadcast is expanded.
        if (posWeight is not null && posWeight.Rank <= 1 && input.Rank >= 1 && posWeight.NumEl == shape[^1] && posWeight.NumEl > 0)
        {
            posWeight.RequireFloat("posWeight");
            RefuseWeightGradient(posWeight, "binary_cross_entropy_with_logits", "posWeight");
            pw = posWeight.FloatArray;
        }
        else pw = BroadcastWeight(posWeight, shape, "posWeight", "binary_cross_entropy_with_logits");
        var x = input.FloatArray;
        var y = target.FloatArray;
        var loss = new float[x.Length];
        double sum = BinaryCrossEntropyKernel.WithLogitsForward(x, y, w, pw, loss);
        var result = Reduce(loss, sum, shape, reduction);
        return Tensor.Record(result, "BinaryCrossEntropyWithLogitsBackward", (g, ctx) =>
        {
            var dx = GC.AllocateUninitializedArray<float>(x.Length);
            BinaryCrossEntropyKernel.WithLogitsBackward(x, y, w, pw, RowGrad(g, reduction, x.Length), dx);
            return [ctx.Adopt(dx, shape)];
        }, input);
    }
}
