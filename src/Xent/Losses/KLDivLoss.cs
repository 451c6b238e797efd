namespace Xent.NN;

/// <summary>
/// The Kullback–Leibler divergence loss, PyTorch's <c>nn.KLDivLoss</c>: <c>new KLDivLoss(KlDivReduction.BatchMean).Forward(logProbs,
/// target)</c>. A thin wrapper over <see cref="F.KlDiv"/>.
/// </summary>
/// <param name="reduction">None, Mean (default, PyTorch's; it warns), Sum or BatchMean (the KL divergence per sample).</param>
/// <param name="logTarget">Whether the target holds log-probabilities.</param>
public sealed class KLDivLoss(KlDivReduction reduction = KlDivReduction.Mean, bool logTarget = false) : Module
{
    /// <summary>How the element-wise terms are combined.</summary>
    public KlDivReduction Reduction { get; } = reduction;

    /// <summary>Whether the target holds log-probabilities.</summary>
    public bool LogTarget { get; } = logTarget;

    /// <summary>
    /// The divergence of <paramref name="input"/> log-probabilities from <paramref name="target"/>; see <see cref="F.KlDiv"/>.
    /// </summary>
    public Tensor Forward(Tensor input, Tensor target) => F.KlDiv(input, target, Reduction, LogTarget);
}
