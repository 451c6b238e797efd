using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// The sigmoid focal loss of RetinaNet (Lin et al., 2017), exactly <c>torchvision.ops.sigmoid_focal_loss</c>
    /// (torchvision 0.14): per element, α_t·BCEWithLogits(x, y)·(1 − p_t)^γ with p = σ(x), p_t = p·y + (1 − p)·(1 − y)
    /// and α_t = α·y + (1 − α)·(1 − y). For multi-label and dense detection, where easy negatives swamp the loss.
    /// </summary>
    /// <remarks>
    /// <para>A negative <paramref name="alpha"/> disables the α weighting (torchvision's −1). γ = 0 with α &lt; 0 is
    /// <see cref="BinaryCrossEntropyWithLogits"/>. <paramref name="reduction"/> defaults to None, as torchvision's does;
    /// Mean divides by the element count.</para>
    /// <para>Each element is evaluated in float64 (see <see cref="SigmoidFocalLossKernel"/>): where torchvision's float32
    /// 1 − p_t rounds to 0 for a saturated, correct logit (loss exactly 0) Xent returns the tiny true value.</para>
    /// <para>One autograd node; the gradient flows to <paramref name="input"/> only.</para>
    /// </remarks>
    /// <param name="input">Logits, float32, any shape.</param>
    /// <param name="target">Targets in [0, 1] (usually 0/1), float32, of the input's shape.</param>
    /// <param name="alpha">Weight of the positive class in (0, 1); negative to disable. Default 0.25.</param>
    /// <param name="gamma">The focusing exponent γ ≥ 0. Default 2.</param>
    /// <param name="reduction">None (default, torchvision's), Mean or Sum.</param>
    /// <exception cref="ArgumentException">The target is int64 or of another shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">γ is negative or not finite, or α is NaN.</exception>
    /// <exception cref="NotSupportedException">The target requires grad: only the input is differentiated
    /// (PyTorch also differentiates a float target).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public static Tensor SigmoidFocalLoss(Tensor input, Tensor target, float alpha = 0.25f, float gamma = 2f,
        Reduction reduction = Reduction.None)
    {
        input.RequireFloat(nameof(SigmoidFocalLoss));
        LossOptions.CheckReduction(reduction);
        CheckLogitsTarget(input, target, nameof(SigmoidFocalLoss));
        var shape = input.Shape;
        var x = input.FloatArray;
        var y = target.FloatArray;
        var loss = new float[x.Length];
        double sum = SigmoidFocalLossKernel.Forward(x, y, alpha, gamma, loss);
        var result = Reduce(loss, sum, shape, reduction);
        return Tensor.Record(result, "SigmoidFocalLossBackward", (g, ctx) =>
        {
            var dx = GC.AllocateUninitializedArray<float>(x.Length);
            SigmoidFocalLossKernel.Backward(x, y, alpha, gamma, RowGrad(g, reduction, x.Length), dx);
            return [ctx.Adopt(dx, shape)];
        }, input);
    }
}
