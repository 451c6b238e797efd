using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// The sigmoid focal loss of RetinaNet (Lin et al., 2017), <c>torchvision.ops.sigmoid_focal_loss</c> (torchvision 0.14;
    /// the remarks list where Xent's float64 evaluation departs from it): per element, α_t·BCEWithLogits(x, y)·(1 − p_t)^γ
    /// with p = σ(x), p_t = p·y + (1 − p)·(1 − y) and α_t = α·y + (1 − α)·(1 − y). For multi-label and dense detection,
    /// where easy negatives swamp the loss.
    /// </summary>
    /// <remarks>
    /// <para>A negative <paramref name="alpha"/> disables the α weighting (torchvision's −1). γ = 0 with α &lt; 0 is
    /// <see cref="BinaryCrossEntropyWithLogits"/>. <paramref name="reduction"/> defaults to None, as torchvision's does;
    /// Mean divides by the element count.</para>
    /// <para>Each element is evaluated in float64, with ce = BCEWithLogits(x, y) and q = 1 − p_t: loss α_t·ce·q^γ, gradient
    /// α_t·((σ(x) − y)·q^γ + γ·ce·q^(γ−1)·σ(x)·σ(−x)·(1 − 2y)). So Xent departs from
    /// torchvision's float32 arithmetic where that loses every digit: for a correct logit beyond |x| ≈ 17 torchvision's loss
    /// is exactly 0 and Xent's the tiny true value, and for γ &lt; 1 torchvision's gradient there is ∞·0 = NaN and Xent's the
    /// true value (0 once σ(x) underflows); where (1 − y)·x + softplus(−x) cancels (x = −1e30, y = 1e-30) torchvision's loss
    /// is 0 and Xent's keeps −x·y. At x = ±∞ the loss and gradient are torchvision's, NaN and ∞ included: the loss is
    /// α_t·(1 − y)·∞·(1 − y)^γ at +∞ and NaN at −∞ (as <see cref="BinaryCrossEntropyWithLogits"/>'s), the gradient
    /// α_t·(σ(x) − y) for γ = 0 and NaN for γ &gt; 0. A target outside [0, 1] is taken as torchvision takes it: 1 − p_t may be negative,
    /// where an integer γ gives a number and any other γ NaN.</para>
    /// <para>One autograd node; the gradient flows to <paramref name="input"/> only.</para>
    /// </remarks>
    /// <param name="input">Logits, float32, any shape.</param>
    /// <param name="target">Targets, usually 0/1 or probabilities in [0, 1] (other finite values are taken as torchvision takes
    /// them), float32, of the input's shape.</param>
    /// <param name="alpha">Weight of the positive class in (0, 1); negative to disable. Default 0.25.</param>
    /// <param name="gamma">The focusing exponent γ ≥ 0. Default 2.</param>
    /// <param name="reduction">None (default, torchvision's), Mean or Sum.</param>
    /// <exception cref="ArgumentException">The target is int64 or of another shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is negative or not finite, or
    /// <paramref name="alpha"/> is NaN.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="input"/> is int64, not float32.</exception>
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
