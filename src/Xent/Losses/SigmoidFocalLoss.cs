namespace Xent.NN;

/// <summary>
/// RetinaNet's sigmoid focal loss as a module, torchvision's <c>sigmoid_focal_loss</c>. A thin wrapper over
/// <see cref="F.SigmoidFocalLoss"/>; unlike that function (and torchvision's), the module's default reduction is Mean,
/// as every loss module's is.
/// </summary>
/// <param name="alpha">Weight of the positive class; negative disables it (default 0.25).</param>
/// <param name="gamma">The focusing exponent γ ≥ 0 (default 2).</param>
/// <param name="reduction">None, Mean (default) or Sum.</param>
public sealed class SigmoidFocalLoss(float alpha = 0.25f, float gamma = 2f, Reduction reduction = Reduction.Mean) : Module
{
    /// <summary>The positive-class weight α (negative: off).</summary>
    public float Alpha { get; } = alpha;

    /// <summary>The focusing exponent γ.</summary>
    public float Gamma { get; } = gamma;

    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>
    /// The loss of <paramref name="input"/> logits against <paramref name="target"/>; see <see cref="F.SigmoidFocalLoss"/>.
    /// </summary>
    public Tensor Forward(Tensor input, Tensor target) => F.SigmoidFocalLoss(input, target, Alpha, Gamma, Reduction);
}
