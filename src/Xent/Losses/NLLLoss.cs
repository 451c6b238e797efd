namespace Xent.NN;

/// <summary>
/// Negative log-likelihood of class indices under log-probabilities, PyTorch's <c>nn.NLLLoss</c>; pair it with
/// <see cref="F.LogSoftmax"/>. A thin wrapper over <see cref="F.NllLoss"/>.
/// </summary>
/// <param name="weight">Optional (C) rescaling weight per class.</param>
/// <param name="ignoreIndex">A target value that does not contribute (default −100).</param>
/// <param name="reduction">None, Mean (default) or Sum.</param>
public sealed class NLLLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean) : Module
{
    /// <summary>The (C) class weight, or null.</summary>
    public Tensor? Weight { get; } = weight;

    /// <summary>The ignored target value.</summary>
    public long IgnoreIndex { get; } = ignoreIndex;

    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>
    /// The loss of <paramref name="input"/> log-probabilities against <paramref name="target"/>; see <see cref="F.NllLoss"/>.
    /// </summary>
    public Tensor Forward(Tensor input, Tensor target) => F.NllLoss(input, target, Weight, IgnoreIndex, Reduction);
}
