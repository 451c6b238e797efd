using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// The softmax focal loss of Lin et al. (2017) for class-index targets: lᵢ = −w[tᵢ]·(1 − p_tᵢ)^γ·log p_tᵢ with
    /// p = softmax(input) over the class dim. It down-weights the rows the model already gets right, so training
    /// concentrates on the hard ones; γ = 0 is <see cref="CrossEntropy"/>. PyTorch has no such function; the options,
    /// shapes and errors are <c>cross_entropy</c>'s.
    /// </summary>
    /// <remarks>
    /// <para><b>Shapes.</b> <paramref name="input"/> is (C), (N, C) or (N, C, d1, …, dk); <paramref name="target"/> holds
    /// int64 class indices of shape (), (N) or (N, d1, …, dk), each in [0, C) or equal to <paramref name="ignoreIndex"/>.
    /// Class probabilities are not accepted (focal loss is defined on the true class's probability).</para>
    /// <para><b>Reductions.</b> None returns the target's shape with 0 where the target is ignored; Sum sums; Mean divides
    /// by Σ w[tᵢ] over the non-ignored rows, exactly as cross-entropy does, so γ = 0 gives
    /// <see cref="CrossEntropy"/>'s value. An all-ignored mean is NaN (0/0).</para>
    /// <para><b>γ = 0</b> is computed by <see cref="CrossEntropy"/> itself, so the loss and its gradient equal
    /// cross-entropy's bit for bit (and its node is named <c>CrossEntropyLossBackward</c>).</para>
    /// <para><b>Gradient.</b> One autograd node. dlᵢ/dx_c = w[tᵢ]·F·(p_c − [c = tᵢ]) with F = u^γ·(1 − γ·p_t·log p_t / u),
    /// u = 1 − p_t, finite for every γ ≥ 0 (u is taken in float64 from log p_t, so γ &lt; 1 stays finite as p_t → 1). For
    /// Mean and Sum, forward computes the
    /// gradient in the same pass over the logits and backward only scales it. Gradients flow to <paramref name="input"/> only.</para>
    /// </remarks>
    /// <param name="input">Logits, float32.</param>
    /// <param name="target">Class indices, int64.</param>
    /// <param name="gamma">The focusing exponent γ ≥ 0 (Lin et al. use 2).</param>
    /// <param name="weight">Optional (C) rescaling weight per class (the paper's α_t per class).</param>
    /// <param name="ignoreIndex">A target value that contributes neither loss nor gradient.</param>
    /// <param name="reduction">None, Mean (default) or Sum.</param>
    /// <returns>A 0-d loss for Mean and Sum; per-element losses for None.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A target is out of bounds ("Target 12 is out of bounds."), or
    /// <paramref name="gamma"/> is negative or not finite.</exception>
    /// <exception cref="ArgumentException">The target is not int64 class indices of a matching shape, or the weight is not (C)
    /// or requires grad while grad mode is on (PyTorch's message: it is not differentiable).</exception>
    /// <exception cref="InvalidOperationException"><paramref name="input"/> or <paramref name="weight"/> is int64, not
    /// float32.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public static Tensor FocalLoss(Tensor input, Tensor target, float gamma = 2f, Tensor? weight = null, long ignoreIndex = -100,
        Reduction reduction = Reduction.Mean)
    {
        input.RequireFloat(nameof(FocalLoss));
        LossOptions.CheckReduction(reduction);
        if (input.Rank < 1) throw new ArgumentException($"Expected 1 or more dimensions (got {input.Rank}).", nameof(input));
        LossOptions.CheckGamma(gamma);
        int classDim = input.Rank == 1 ? 0 : 1;
        var (outer, classes, inner) = Shapes.Split(input.ShapeSpan, classDim);
        RequireClasses(input, classes, classDim, "focal_loss");
        var w = CheckClassWeight(weight, classes, "focal_loss");
        CheckIndexTargetShape(input, target, nameof(FocalLoss));
        if (gamma == 0f) return CrossEntropy(input, target, weight, ignoreIndex, reduction);

        var logits = ClassRows.ToRows(input.FloatArray, outer, classes, inner);
        return ClassIndexLoss(new FocalIndexKernel(gamma), "FocalLossBackward", input, target, logits, w, outer, classes, inner,
            ignoreIndex, reduction);
    }
}
