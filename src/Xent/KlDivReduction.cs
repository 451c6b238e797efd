namespace Xent;

/// <summary>
/// How <see cref="F.KlDiv"/> combines its element-wise terms, PyTorch's <c>kl_div(reduction=)</c>: <see cref="Reduction"/>'s
/// three plus <see cref="BatchMean"/>, the one that is the KL divergence of the math definition.
/// </summary>
public enum KlDivReduction
{
    /// <summary>No reduction: one term per element, in the input's shape.</summary>
    None,
    /// <summary>
    /// The sum divided by the element count (batch × support): PyTorch's default, which it warns is not the KL divergence.
    /// </summary>
    Mean,
    /// <summary>The sum.</summary>
    Sum,
    /// <summary>The sum divided by the batch size (the first dim; the sum for a 0-d input): the mean KL divergence per sample.</summary>
    BatchMean,
}
