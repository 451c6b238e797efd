namespace Xent.NN;

/// <summary>
/// Sigmoid plus binary cross-entropy in one stable step, PyTorch's <c>nn.BCEWithLogitsLoss</c>.
/// A thin wrapper over <see cref="F.BinaryCrossEntropyWithLogits"/>.
/// </summary>
/// <param name="weight">Optional rescaling weight broadcast to the input's shape.</param>
/// <param name="reduction">None, Mean (default) or Sum.</param>
/// <param name="posWeight">Optional weight of positive examples, broadcast along the last dim.</param>
public sealed class BCEWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null) : Module
{
    /// <summary>The element weight, or null.</summary>
    public Tensor? Weight { get; } = weight;

    /// <summary>The positive-example weight, or null.</summary>
    public Tensor? PosWeight { get; } = posWeight;

    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>
    /// The loss of <paramref name="input"/> logits against <paramref name="target"/>; see <see cref="F.BinaryCrossEntropyWithLogits"/>.
    /// </summary>
    public Tensor Forward(Tensor input, Tensor target) => F.BinaryCrossEntropyWithLogits(input, target, Weight, Reduction, PosWeight);
}
