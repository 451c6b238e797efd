using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// Cross-entropy of a linear layer's output without materialising the logits:
    /// <c>F.CrossEntropy(F.Linear(hidden, linearWeight, linearBias), target, ...)</c> for language-model
    /// heads with 32k–256k classes, whose (N, V) logits and their gradient would dominate memory.
    /// The logits are produced and consumed in small tiles (row chunk × vocabulary chunk). With 'mean' or
    /// 'sum' and gradients wanted, the gradients are computed in the same pass as the loss (3 GEMM passes over
    /// N·V·D, 12.5 MiB of scratch, or 1/12 of the logits or 1/8 of the weight when larger) and held until backward,
    /// which only scales them; otherwise (no gradient, or 'none') the backward pass recomputes the logits. Extra memory is
    /// that scratch instead of 2·N·V floats.
    /// </summary>
    /// <param name="hidden">(N, D) hidden states (or (…, D) with <paramref name="target"/> shaped (…)).</param>
    /// <param name="linearWeight">(V, D), nn.Linear's weight layout.</param>
    /// <param name="target">(N) int64 class indices in [0, V), or <paramref name="ignoreIndex"/>.</param>
    /// <param name="linearBias">(V) bias of the linear layer, or null.</param>
    /// <param name="weight">(V) class weights (PyTorch's <c>weight=</c>), or null. Not differentiated.</param>
    /// <param name="ignoreIndex">Target value whose rows contribute nothing (any value; a valid class is ignored too).</param>
    /// <param name="reduction">None: (N) losses, 0 where ignored. Sum. Mean: Σ loss / Σ weight[t_i] over non-ignored rows (NaN when all are
    /// ignored).</param>
    /// <param name="labelSmoothing">ε in [0, 1], with PyTorch's normalisation (the smoothing term is class-weighted and divided by the same
    /// Σ weight[t_i]).</param>
    /// <param name="zLossScale">
    /// z ≥ 0: adds z·lse_i² per non-ignored row (PaLM's z-loss, lse_i = logsumexp of the row's logits),
    /// before the reduction — so 'mean' divides it by the same denominator as the cross-entropy term and
    /// it is not multiplied by the class weight; its gradient is 2z·lse·softmax(row).
    /// </param>
    /// <param name="softcap">cap &gt; 0: logits become cap·tanh(logits / cap) before the loss (Gemma 2); null for none.</param>
    /// <param name="options">Tiling overrides, or null for the defaults.</param>
    /// <returns>A scalar for Mean and Sum; for None a tensor shaped like <paramref name="target"/>.</returns>
    /// <exception cref="ArgumentException">A shape does not fit, <paramref name="target"/> is not int64,
    /// <paramref name="labelSmoothing"/> is outside [0, 1], or <paramref name="weight"/> requires grad while grad mode is on
    /// (PyTorch's message: it is not differentiable).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is out of bounds ("Target 12 is out of bounds."),
    /// <paramref name="zLossScale"/> is negative or not finite, <paramref name="softcap"/> is not finite and positive, or
    /// an <paramref name="options"/> value is set but not positive.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="hidden"/>, <paramref name="linearWeight"/>,
    /// <paramref name="linearBias"/> or <paramref name="weight"/> is int64, not float32.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public static Tensor LinearCrossEntropy(Tensor hidden, Tensor linearWeight, Tensor target, Tensor? linearBias = null,
        Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, float labelSmoothing = 0f,
        float zLossScale = 0f, float? softcap = null, LinearCrossEntropyOptions? options = null)
    {
        LossOptions.CheckReduction(reduction);
        var (n, d, v) = CheckLinearCrossEntropy(hidden, linearWeight, target, linearBias, weight, zLossScale, softcap);
        float cap = softcap ?? 0f;
        var chunking = options?.ToChunking() ?? default;
        // D = 0: PyTorch's linear gives every logit its class's bias alone. One zero feature gives the same logits exactly, so
        // the kernels see D = 1; hidden's and linearWeight's gradients are empty, as their shapes are.
        bool featureless = d == 0;
        float[] h = featureless ? new float[n] : hidden.FloatArray, w = featureless ? new float[v] : linearWeight.FloatArray;
        d = Math.Max(d, 1);
        float[] b = linearBias?.FloatArray ?? [], cw = weight?.FloatArray ?? [];
        long[] t = target.LongArray;
        bool needsGrad = Autograd.GradMode.IsEnabled
            && (hidden.RequiresGrad || linearWeight.RequiresGrad || (linearBias?.RequiresGrad ?? false));
        if (needsGrad && reduction != Reduction.None)
            return LinearCrossEntropyTraining(hidden, linearWeight, target, linearBias, h, w, b, cw, t, n, d, v,
                ignoreIndex, reduction, labelSmoothing, zLossScale, cap, chunking);
        var loss = reduction == Reduction.None ? new float[n] : [];
        var rowMax = needsGrad ? new float[n] : [];
        var rowLogSum = needsGrad ? new float[n] : [];
        var totals = LinearCrossEntropyKernel.Forward(h, w, b, t, d, cw, ignoreIndex, labelSmoothing, zLossScale, cap,
            loss, rowMax, rowLogSum, chunking);
        var result = reduction switch
        {
            Reduction.None => new Tensor(loss, target.Shape),
            Reduction.Sum => Tensor.Scalar((float)totals.LossSum),
            _ => Tensor.Scalar(totals.Mean),
        };
        if (!needsGrad) return result;
        Tensor[] inputs = linearBias is null ? [hidden, linearWeight] : [hidden, linearWeight, linearBias];
        var wanted = GradientsWanted(hidden, linearWeight, linearBias);
        return Tensor.Record(result, "LinearCrossEntropyBackward", (g, ctx) =>
        {
            // All rows ignored under Mean: 1/0 = inf, but every row's gradient is cleared (zero), as PyTorch's.
            float[] rowGrad = RowGrad(g, reduction, totals.WeightSum);
            var gh = wanted.Hidden ? new float[hidden.NumEl] : [];
            var gw = wanted.Weight ? new float[linearWeight.NumEl] : [];
            var gb = wanted.Bias ? new float[v] : [];
            LinearCrossEntropyKernel.Backward(h, w, b, t, d, cw, ignoreIndex, labelSmoothing, zLossScale, cap,
                rowMax, rowLogSum, rowGrad, gh, gw, gb, chunking);
            // Whether a gradient was wanted, not its length: with N = 0 hidden gets an empty (0, D) one, as in PyTorch.
            Tensor? Grad(bool want, float[] fresh, Tensor of) => want ? ctx.Adopt(fresh, of.Shape) : null;
            return linearBias is null ? [Grad(wanted.Hidden, gh, hidden), Grad(wanted.Weight, gw, linearWeight)]
                : [Grad(wanted.Hidden, gh, hidden), Grad(wanted.Weight, gw, linearWeight), Grad(wanted.Bias, gb, linearBias)];
        }, inputs);
    }

    /// <summary>
    /// 'mean' / 'sum' with gradients wanted: the gradients of the reduced loss are computed in the forward
    /// pass (3 GEMM passes instead of 4, <see cref="LinearCrossEntropyKernel.ForwardBackward"/>); backward only scales them.
    /// </summary>
    private static Tensor LinearCrossEntropyTraining(Tensor hidden, Tensor linearWeight, Tensor target, Tensor? linearBias,
        float[] h, float[] w, float[] b, float[] cw, long[] t, int n, int d, int v,
        long ignoreIndex, Reduction reduction, float labelSmoothing, float zLossScale, float cap, LinearCrossEntropyChunking chunking)
    {
        var wanted = GradientsWanted(hidden, linearWeight, linearBias);
        var gh = wanted.Hidden ? GC.AllocateUninitializedArray<float>(hidden.NumEl) : [];
        var gw = wanted.Weight ? GC.AllocateUninitializedArray<float>(linearWeight.NumEl) : [];
        var gb = wanted.Bias ? new float[v] : [];
        var totals = LinearCrossEntropyKernel.ForwardBackward(h, w, b, t, d, cw, ignoreIndex, labelSmoothing, zLossScale, cap,
            reduction == Reduction.Mean, gh, gw, gb, chunking);
        var result = Tensor.Scalar(reduction == Reduction.Sum ? (float)totals.LossSum : totals.Mean);
        Tensor[] inputs = linearBias is null ? [hidden, linearWeight] : [hidden, linearWeight, linearBias];
        return Tensor.Record(result, "LinearCrossEntropyBackward", (g, ctx) =>
        {
            float gs = g.Item();
            Tensor? Grad(bool want, float[] saved, Tensor of) => want ? SavedGradient(saved, gs, ctx, of.Shape) : null;
            return linearBias is null ? [Grad(wanted.Hidden, gh, hidden), Grad(wanted.Weight, gw, linearWeight)]
                : [Grad(wanted.Hidden, gh, hidden), Grad(wanted.Weight, gw, linearWeight), Grad(wanted.Bias, gb, linearBias)];
        }, inputs);
    }

    /// <summary>Which of the inputs want a gradient, fixed at forward time (the buffers are sized by it).</summary>
    private static (bool Hidden, bool Weight, bool Bias) GradientsWanted(Tensor hidden, Tensor linearWeight, Tensor? linearBias) =>
        (hidden.RequiresGrad, linearWeight.RequiresGrad, linearBias is not null && linearBias.RequiresGrad);

    private static (int N, int D, int V) CheckLinearCrossEntropy(Tensor hidden, Tensor linearWeight, Tensor target, Tensor? linearBias,
        Tensor? weight, float zLossScale, float? softcap)
    {
        hidden.RequireFloat("LinearCrossEntropy's hidden");
        linearWeight.RequireFloat("LinearCrossEntropy's linearWeight");
        if (target.DType != DType.Int64)
            throw new ArgumentException($"Expected target of dtype int64 (class indices) but got {Tensor.Name(target.DType)}.",
                nameof(target));
        if (hidden.Rank < 1) throw new ArgumentException("hidden must have at least one dimension (its last is the hidden size).",
            nameof(hidden));
        if (linearWeight.Rank != 2)
            throw new ArgumentException($"linearWeight must be 2-D (V, D) but has shape {Shapes.Format(linearWeight.ShapeSpan)}.",
                nameof(linearWeight));
        int d = hidden.Size(-1), v = linearWeight.Size(0), rows = Shapes.NumEl(hidden.ShapeSpan[..^1]);
        if (linearWeight.Size(1) != d)
            throw new ArgumentException($"mat1 and mat2 shapes cannot be multiplied ({rows}x{d} and {linearWeight.Size(1)}x{v}).",
                nameof(linearWeight));
        var lead = hidden.ShapeSpan[..^1];
        if (!lead.SequenceEqual(target.ShapeSpan))
        {
            if (hidden.Rank == 2 && target.Rank == 1)
                throw new ArgumentException($"Expected input batch_size ({rows}) to match target batch_size ({target.Size(0)}).",
                    nameof(target));
            throw new ArgumentException(
                $"Expected target of shape {Shapes.Format(lead)} (hidden's shape without its last dimension) "
                + $"but got {Shapes.Format(target.ShapeSpan)}.", nameof(target));
        }
        if (linearBias is not null)
        {
            linearBias.RequireFloat("LinearCrossEntropy's linearBias");
            if (linearBias.Rank != 1 || linearBias.NumEl != v)
                throw new ArgumentException($"Expected linearBias of shape [{v}] but got {Shapes.Format(linearBias.ShapeSpan)}.",
                    nameof(linearBias));
        }
        if (weight is not null)
        {
            weight.RequireFloat("LinearCrossEntropy's weight");
            RefuseWeightGradient(weight, "linear_cross_entropy", "weight");
            if (weight.Rank != 1 || weight.NumEl != v)
                throw new ArgumentException($"Expected weight of shape [{v}] (one per class) but got {Shapes.Format(weight.ShapeSpan)}.",
                    nameof(weight));
        }
        LossOptions.CheckZLossScale(zLossScale);
        if (softcap is float c) SoftcapKernel.ValidateCap(c);
        return (rows, d, v);
    }
}
