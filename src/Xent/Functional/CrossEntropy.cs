using Xent.Autograd;
using Xent.Diagnostics;
using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// Cross-entropy between logits and targets, exactly <c>torch.nn.functional.cross_entropy</c> (PyTorch 1.13):
    /// log-softmax over the class dim fused with the negative log-likelihood.
    /// </summary>
    /// <remarks>
    /// <para><b>Shapes.</b> <paramref name="input"/> is (C) unbatched, (N, C), or (N, C, d1, …, dk); the class dim is 0
    /// for a 1-D input, 1 otherwise. <paramref name="target"/> is either</para>
    /// <list type="bullet">
    /// <item>class indices (int64): a 0-d tensor, (N), or (N, d1, …, dk), each in [0, C) or equal to
    /// <paramref name="ignoreIndex"/>; with label smoothing ε the target distribution is (1 − ε)·onehot + ε/C; or</item>
    /// <item>class probabilities (float32) of <paramref name="input"/>'s shape; smoothed as t' = t·(1 − ε) + ε/C.</item>
    /// </list>
    /// <para><b>Reductions.</b> <see cref="Reduction.None"/> returns the target's shape (the input's shape without
    /// the class dim for probabilities), with 0 where the target is ignored. <see cref="Reduction.Sum"/> sums.
    /// <see cref="Reduction.Mean"/> divides by the summed <c>weight[target]</c> of the non-ignored targets (their
    /// count without weights); for probability targets it divides by N·d1⋯dk whatever the weights.</para>
    /// <para><b>PyTorch's quirks, reproduced.</b> When every target is ignored, 'mean' is NaN (0/0) and the
    /// gradient is 0. With both weights and smoothing, the smoothing term of a row is Σ_c w_c·(−log p_c)·ε/C
    /// (weighted per class, not by the target's weight) yet 'mean' still divides it by Σ weight[target], so the
    /// mean is not a weighted average of the rows. With smoothing, a class weight of ±inf makes the loss ±inf (NaN in a row
    /// where that class has all the probability) and ignored rows' gradient NaN, as PyTorch's term-by-term sums do. An
    /// <paramref name="ignoreIndex"/> that is a valid class (e.g. 3) ignores that class. One deliberate difference: a negative
    /// <paramref name="labelSmoothing"/> is rejected here, where PyTorch 1.13 silently treats it as 0.</para>
    /// <para><b>Gradient.</b> One autograd node; backward reuses the row max and log-sum-exp from the forward pass.
    /// Gradients flow to <paramref name="input"/> only (not to the weight or a probability target). In 'mean' and
    /// 'sum' with class indices, forward computes the gradient in the same pass over the logits and backward only scales it.</para>
    /// <para><b>Diagnostics.</b> When the first rows of <paramref name="input"/> already look like probabilities
    /// (each in [0, 1], summing to 1), it warns once through <see cref="Warnings"/>: softmax was probably applied twice.</para>
    /// </remarks>
    /// <param name="input">Logits (unnormalised scores), float32.</param>
    /// <param name="target">Class indices (int64) or class probabilities (float32), see remarks.</param>
    /// <param name="weight">Optional (C) rescaling weight per class.</param>
    /// <param name="ignoreIndex">A target value that does not contribute to the loss or its gradient (class indices only).</param>
    /// <param name="reduction">None, Mean (default) or Sum.</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the amount of probability mass spread uniformly over the classes.</param>
    /// <param name="zLossScale">z ≥ 0: adds PaLM's z-loss z·lse² per non-ignored row (lse = logsumexp of the row's logits)
    /// before the reduction, so 'mean' divides it by the same denominator and no class weight scales it; its gradient is
    /// 2z·lse·softmax(row).</param>
    /// <param name="softcap">cap &gt; 0: the logits become cap·tanh(logits / cap) first (Gemma 2); null for none.</param>
    /// <returns>A 0-d loss for Mean and Sum; per-element losses for None.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A target is neither a class in [0, C) nor <paramref name="ignoreIndex"/>
    /// ("Target 12 is out of bounds."), <paramref name="zLossScale"/> is negative or not finite, or <paramref name="softcap"/>
    /// is not finite and positive.</exception>
    /// <exception cref="ArgumentException">Batch sizes or target shape do not match the input ("Expected input batch_size (4) to
    /// match target batch_size (3)."), the weight is not (C), a float target is not of the input's shape (float class indices),
    /// an int64 target has the input's shape, a probability target comes with a non-negative <paramref name="ignoreIndex"/>,
    /// <paramref name="labelSmoothing"/> is outside [0, 1], or, with class indices, <paramref name="weight"/> requires grad
    /// while grad mode is on (PyTorch's message: it is not differentiable).</exception>
    /// <exception cref="InvalidOperationException"><paramref name="input"/> or <paramref name="weight"/> is int64, not
    /// float32.</exception>
    /// <exception cref="NotSupportedException">A probability target, or <paramref name="weight"/> with probability targets,
    /// requires grad while grad mode is on: only the input is differentiated (PyTorch also differentiates those).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
        Reduction reduction = Reduction.Mean, float labelSmoothing = 0f, float zLossScale = 0f, float? softcap = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        LossOptions.CheckReduction(reduction);
        input.RequireFloat(nameof(CrossEntropy));
        if (input.Rank < 1) throw new ArgumentException($"Expected 1 or more dimensions (got {input.Rank}).", nameof(input));
        bool probabilities = Shapes.Equal(input.ShapeSpan, target.ShapeSpan);
        if (probabilities)
        {
            if (target.DType != DType.Float32)
                throw new ArgumentException("Expected floating point type for target with class probabilities, got Long (int64 target " +
                    $"of the input's shape {Shapes.Format(input.ShapeSpan)}; class indices have no class dim).", nameof(target));
            if (ignoreIndex >= 0)
                throw new ArgumentException($"ignore_index is not supported for floating point target (got ignoreIndex = {ignoreIndex}; " +
                    "leave it at -100 for class probabilities).", nameof(ignoreIndex));
            RefuseTargetGradient(target, nameof(CrossEntropy));
        }
        LossOptions.CheckLabelSmoothing(labelSmoothing);

        int classDim = input.Rank == 1 ? 0 : 1;
        var (outer, classes, inner) = Shapes.Split(input.ShapeSpan, classDim);
        RequireClasses(input, classes, classDim, "cross_entropy");
        // With class probabilities PyTorch differentiates the weight too (it is built from differentiable ops there).
        var w = CheckClassWeight(weight, classes, "cross_entropy", probabilities ? "with class probabilities" : null);
        // Target values are range-checked once, by the kernel that reads them.
        if (!probabilities) CheckIndexTargetShape(input, target, nameof(CrossEntropy));

        var logits = ClassRows.ToRows(input.FloatArray, outer, classes, inner);
        int rows = outer * inner;
        WarnIfProbabilities(logits, rows, classes);
        if (zLossScale != 0f || softcap is not null)
            return CrossEntropySoftcapZLoss(input, target, logits, w, outer, classes, inner, probabilities, ignoreIndex, reduction,
                labelSmoothing, zLossScale, softcap);
        return probabilities
            ? CrossEntropyProbabilities(input, target, logits, w, outer, classes, inner, reduction, labelSmoothing)
            : ClassIndexLoss(new CrossEntropyIndexKernel(labelSmoothing), "CrossEntropyLossBackward", input, target, logits, w, outer,
                classes, inner, ignoreIndex, reduction);
    }

    private static Tensor CrossEntropyProbabilities(Tensor input, Tensor target, float[] logits, float[] w, int outer, int classes,
        int inner,
        Reduction reduction, float eps)
    {
        int rows = outer * inner;
        var q = ClassRows.ToRows(target.FloatArray, outer, classes, inner);
        var inputShape = input.Shape;
        bool needGrad = GradMode.IsEnabled && input.RequiresGrad;
        var loss = reduction == Reduction.None ? new float[rows] : [];
        var rowMax = needGrad ? new float[rows] : [];
        var rowLogSum = needGrad ? new float[rows] : [];
        double sum = CrossEntropyKernel.ForwardProb(logits, q, classes, w, eps, loss, rowMax, rowLogSum);
        var result = reduction switch
        {
            // The loss has the input's shape without the class dim: [] unbatched, (N, d1, …, dk) otherwise.
            Reduction.None => new Tensor(loss, RemoveDim(inputShape, input.Rank == 1 ? 0 : 1)),
            Reduction.Sum => Tensor.Scalar((float)sum),
            _ => Tensor.Scalar((float)(sum / rows)),
        };
        return Tensor.Record(result, "CrossEntropyLossBackward", (g, ctx) =>
        {
            var dx = GC.AllocateUninitializedArray<float>(logits.Length);
            CrossEntropyKernel.BackwardProb(logits, q, classes, w, eps, rowMax, rowLogSum, RowGrad(g, reduction, rows), dx);
            return [ctx.Adopt(ClassRows.FromRows(dx, outer, classes, inner), inputShape)];
        }, input);
    }

    /// <summary>Upstream gradient per row: g itself for None, g for Sum, g / denominator for Mean.</summary>
    private static float[] RowGrad(Tensor g, Reduction reduction, double denominator) => reduction switch
    {
        Reduction.None => g.FloatArray,
        Reduction.Sum => [g.Item()],
        _ => [(float)(g.Item() / denominator)],
    };

    /// <summary>
    /// The gradient of an input whose d loss / d input a fused forward already wrote into <paramref name="saved"/> (same
    /// layout), times the upstream scalar <paramref name="gs"/>. loss.Backward() (gs = 1) returns the saved gradient as is.
    /// On the node's last use nothing else will read the saved buffer, so it is scaled in place and handed over to the
    /// engine (a leaf adopts it as its Grad without a copy); otherwise a scaled copy is made.
    /// </summary>
    private static Tensor SavedGradient(float[] saved, float gs, BackwardContext ctx, int[] shape) =>
        gs == 1f ? ctx.HandOver(saved, shape)
        : ctx.LastUse ? ctx.HandOver(ScaleInPlace(saved, gs), shape)
        : ctx.Adopt(Scaled(saved, gs), shape);

    /// <summary>
    /// <see cref="SavedGradient(float[], float, BackwardContext, int[])"/> for a gradient saved as class rows
    /// (<see cref="ClassRows"/>): with spatial dimensions (inner &gt; 1) the rows are transposed into a fresh buffer,
    /// which is then scaled in place (the saved buffer is left as it is).
    /// </summary>
    private static Tensor SavedGradient(float[] saved, float gs, BackwardContext ctx, int outer, int classes, int inner, int[] shape)
    {
        if (inner == 1) return SavedGradient(saved, gs, ctx, shape);
        var grad = ClassRows.FromRows(saved, outer, classes, inner);
        return ctx.Adopt(gs == 1f ? grad : ScaleInPlace(grad, gs), shape);
    }

    private static float[] ScaleInPlace(float[] x, float s)
    {
        System.Numerics.Tensors.TensorPrimitives.Multiply(x, s, x);
        return x;
    }

    private static float[] Scaled(float[] x, float s)
    {
        var y = GC.AllocateUninitializedArray<float>(x.Length);
        System.Numerics.Tensors.TensorPrimitives.Multiply(x, s, y);
        return y;
    }

    private static int[] RemoveDim(int[] shape, int dim) => [.. shape[..dim], .. shape[(dim + 1)..]];

    /// <summary>
    /// Refuses an input whose class dim is empty before a kernel does: the kernels' own check would name their
    /// internal span parameter, not the caller's <c>input</c>.
    /// </summary>
    private static void RequireClasses(Tensor input, int classes, int classDim, string op)
    {
        if (classes == 0)
            throw new ArgumentException($"{op}: input of shape {Shapes.Format(input.ShapeSpan)} has no classes (dim {classDim} has " +
                "size 0).", nameof(input));
    }

    /// <summary>The (C) weight's values, or an empty array; PyTorch's wording when its length is wrong.</summary>
    private static float[] CheckClassWeight(Tensor? weight, int classes, string op, string? pytorchDifferentiatesWhen = null)
    {
        if (weight is null) return [];
        weight.RequireFloat(op + " weight");
        RefuseWeightGradient(weight, op, "weight", pytorchDifferentiatesWhen);
        if (weight.Rank != 1 || weight.NumEl != classes)
            throw new ArgumentException($"{op}: weight tensor should be defined either for all {classes} classes or no classes but got " +
                $"weight tensor of shape: {Shapes.Format(weight.ShapeSpan)}.", nameof(weight));
        return weight.FloatArray;
    }

    /// <summary>
    /// Checks a class-index target against an input of (C), (N, C) or (N, C, d1, …, dk), in PyTorch's order and
    /// wording: dtype, then shape. Its values (each in [0, C) or the ignore index) are checked by the kernel that reads them.
    /// </summary>
    private static void CheckIndexTargetShape(Tensor input, Tensor target, string op)
    {
        var inShape = input.ShapeSpan;
        var tShape = target.ShapeSpan;
        if (target.DType != DType.Int64)
            throw new ArgumentException(
                $"{op}: expected class indices of dtype int64 (Long) but got a float32 target of shape {Shapes.Format(tShape)}; " +
                $"a float32 target is read as class probabilities only when it has the input's shape {Shapes.Format(inShape)}.",
                    nameof(target));
        if (input.Rank == 1)
        {
            if (target.Rank != 0)
                throw new ArgumentException($"size mismatch (got input: {Shapes.Format(inShape)}, target: {Shapes.Format(tShape)}): an " +
                    "unbatched input of shape (C) takes a 0-d target.", nameof(target));
        }
        else if (input.Rank == 2)
        {
            if (target.Rank != 1)
                throw new ArgumentException(target.Rank == 0
                    ?
                        $"size mismatch (got input: {Shapes.Format(inShape)}, target: {Shapes.Format(tShape)}): an input of shape (N, C) " +
                        "takes a target of shape (N)."
                    : "0D or 1D target tensor expected, multi-target not supported", nameof(target));
            if (tShape[0] != inShape[0])
                throw new ArgumentException($"Expected input batch_size ({inShape[0]}) to match target batch_size ({tShape[0]}).",
                    nameof(target));
        }
        else
        {
            if (target.Rank >= 1 && tShape[0] != inShape[0])
                throw new ArgumentException($"Expected input batch_size ({inShape[0]}) to match target batch_size ({tShape[0]}).",
                    nameof(target));
            int[] expected = [inShape[0], .. inShape[2..]];
            if (!Shapes.Equal(expected, tShape))
                throw new ArgumentException($"Expected target size {Shapes.Format(expected)}, got {Shapes.Format(tShape)}", nameof(target));
        }
    }

    /// <summary>Rows checked by the softmax-twice diagnostic: enough to be confident, few enough to cost nothing.</summary>
    private const int ProbabilityCheckRows = 8;

    private static void WarnIfProbabilities(float[] logits, int rows, int classes)
    {
        if (rows == 0 || classes < 2) return;
        int n = Math.Min(rows, ProbabilityCheckRows);
        for (int r = 0; r < n; r++)
        {
            double s = 0;
            for (int c = 0; c < classes; c++)
            {
                float v = logits[r * classes + c];
                if (!(v >= 0f && v <= 1f)) return;
                s += v;
            }
            if (Math.Abs(s - 1.0) > 1e-3) return;
        }
        Warnings.Warn("cross-entropy-probability-input",
            "F.CrossEntropy received inputs whose rows are already probabilities (each value in [0, 1], each row summing to 1). " +
            "CrossEntropy expects raw logits and applies log-softmax itself, so softmax is being applied twice and the gradients shrink. " +
            "Pass the logits, or use F.NllLoss(F.LogSoftmax(logits, 1), target).");
    }
}
