using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// Binary cross-entropy between probabilities and targets, exactly <c>torch.nn.functional.binary_cross_entropy</c>
    /// (PyTorch 1.13): loss = −w·(y·log p + (1 − y)·log(1 − p)), each log clamped at −100 so that p = 0 or 1 gives a
    /// finite loss (100·w at most) and the gradient uses max((1 − p)·p, 1e-12).
    /// </summary>
    /// <remarks>
    /// Prefer <see cref="BinaryCrossEntropyWithLogits"/> on logits: it is exact where sigmoid then this loss saturates.
    /// Mean divides by the element count. One autograd node; gradients flow to <paramref name="input"/> only.
    /// </remarks>
    /// <param name="input">Probabilities in [0, 1], float32, any shape.</param>
    /// <param name="target">Targets (float32, usually in [0, 1]) of <paramref name="input"/>'s shape.</param>
    /// <param name="weight">Optional rescaling weight broadcast to the input's shape.</param>
    /// <param name="reduction">None, Mean (default) or Sum.</param>
    /// <exception cref="ArgumentException">An input is outside [0, 1] or NaN ("all elements of input should be between 0 and 1"),
    /// the target is int64 or of another shape, or the weight does not broadcast to the input's shape or requires grad while
    /// grad mode is on (PyTorch's message: it is not differentiable).</exception>
    /// <exception cref="InvalidOperationException"><paramref name="input"/> or <paramref name="weight"/> is int64, not
    /// float32.</exception>
    /// <exception cref="NotSupportedException">The target requires grad: only the input is differentiated
    /// (PyTorch also differentiates a float target).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        input.RequireFloat(nameof(BinaryCrossEntropy));
        LossOptions.CheckReduction(reduction);
        CheckFloatTarget(target, nameof(BinaryCrossEntropy));
        if (!Shapes.Equal(input.ShapeSpan, target.ShapeSpan))
            throw new ArgumentException($"Using a target size ({Shapes.Format(target.ShapeSpan)}) that is different to the input size " +
                $"({Shapes.Format(input.ShapeSpan)}) is deprecated. Please ensure they have the same size.", nameof(target));
        var shape = input.Shape;
        var w = BroadcastWeight(weight, shape, "weight", "binary_cross_entropy");
        var p = input.FloatArray;
        var y = target.FloatArray;
        var loss = new float[p.Length];
        double sum = BinaryCrossEntropyKernel.Forward(p, y, w, loss);
        var result = Reduce(loss, sum, shape, reduction);
        return Tensor.Record(result, "BinaryCrossEntropyBackward", (g, ctx) =>
        {
            var dx = GC.AllocateUninitializedArray<float>(p.Length);
            BinaryCrossEntropyKernel.Backward(p, y, w, RowGrad(g, reduction, p.Length), dx);
            return [ctx.Adopt(dx, shape)];
        }, input);
    }

    private static void CheckFloatTarget(Tensor target, string op)
    {
        if (target.DType != DType.Float32)
            throw new ArgumentException($"{op}: Found dtype Long but expected Float: the target must be float32 (0/1 labels or " +
                "probabilities), not int64 class indices; convert it with target.ToFloat().", nameof(target));
        RefuseTargetGradient(target, op);
    }

    /// <summary>The target of a loss on logits: float32 (<see cref="CheckFloatTarget"/>) and of the input's shape.</summary>
    private static void CheckLogitsTarget(Tensor input, Tensor target, string op)
    {
        CheckFloatTarget(target, op);
        if (!Shapes.Equal(input.ShapeSpan, target.ShapeSpan))
            throw new ArgumentException($"Target size ({Shapes.Format(target.ShapeSpan)}) must be the same as input size " +
                $"({Shapes.Format(input.ShapeSpan)})", nameof(target));
    }

    /// <summary>The weight expanded to <paramref name="shape"/> (no copy when it already has it), or empty.</summary>
    private static float[] BroadcastWeight(Tensor? weight, int[] shape, string name, string op)
    {
        if (weight is null) return [];
        weight.RequireFloat(name);
        RefuseWeightGradient(weight, op, name);
        int[] b;
        try { b = Shapes.Broadcast(weight.ShapeSpan, shape); }
        catch (ArgumentException) { b = []; }
        if (!Shapes.Equal(b, shape))
            throw new ArgumentException($"The {name} of shape {Shapes.Format(weight.ShapeSpan)} does not broadcast to the input's shape " +
                $"{Shapes.Format(shape)}.", name);
        return weight.ExpandTo(shape).FloatArray;
    }

    private static Tensor Reduce(float[] loss, double sum, int[] shape, Reduction reduction) => reduction switch
    {
        Reduction.None => new Tensor(loss, shape),
        Reduction.Sum => Tensor.Scalar((float)sum),
        _ => Tensor.Scalar((float)(sum / loss.Length)),
    };
}
