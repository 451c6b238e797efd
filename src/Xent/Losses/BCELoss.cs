namespace Xent.NN;

/// <summary>
/// Binary cross-entropy on probabilities, PyTorch's <c>nn.BCELoss</c>. A thin wrapper over
/// <see cref="F.BinaryCrossEntropy"/>; prefer <see cref="BCEWithLogitsLoss"/> on logits.
/// </summary>
/// <param name="weight">Optional rescaling weight broadcast to the input's shape.</param>
/// <param name="reduction">None, Mean (default) or Sum.</param>
public sealed class BCELoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) : Module
{
    /// <summary>The element weight, or null.</summary>
    public Tensor? Weight { get; } = weight;

    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>
    /// The loss of <paramref name="input"/> probabilities against <paramref name="target"/>; see <see cref="F.BinaryCrossEntropy"/>.
    /// </summary>
    public Tensor Forward(Tensor input, Tensor target) => F.BinaryCrossEntropy(input, target, Weight, Reduction);
}
