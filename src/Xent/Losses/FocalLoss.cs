namespace Xent.NN;

/// <summary>
/// The softmax focal loss of Lin et al. for class indices: <c>new FocalLoss(gamma: 2).Forward(logits, target)</c>.
/// A thin wrapper over <see cref="F.FocalLoss"/>, whose documentation gives the shapes, reductions and gradient.
/// </summary>
/// <param name="gamma">The focusing exponent γ ≥ 0 (default 2; 0 is cross-entropy).</param>
/// <param name="weight">Optional (C) rescaling weight per class.</param>
/// <param name="ignoreIndex">A target value that does not contribute (default −100).</param>
/// <param name="reduction">None, Mean (default) or Sum.</param>
public sealed class FocalLoss(float gamma = 2f, Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    : Module
{
    /// <summary>The focusing exponent γ.</summary>
    public float Gamma { get; } = gamma;

    /// <summary>The (C) class weight, or null.</summary>
    public Tensor? Weight { get; } = weight;

    /// <summary>The ignored target value.</summary>
    public long IgnoreIndex { get; } = ignoreIndex;

    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>
    /// The loss of <paramref name="input"/> logits against class indices <paramref name="target"/>; see <see cref="F.FocalLoss"/>.
    /// </summary>
    public Tensor Forward(Tensor input, Tensor target) => F.FocalLoss(input, target, Gamma, Weight, IgnoreIndex, Reduction);
}
