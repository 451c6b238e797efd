namespace Xent;

/// <summary>How a loss combines its per-element values, PyTorch's <c>reduction=</c>.</summary>
public enum Reduction
{
    /// <summary>No reduction: one loss per element, in the target's shape.</summary>
    None,
    /// <summary>The (weighted) mean; PyTorch's default.</summary>
    Mean,
    /// <summary>The sum.</summary>
    Sum,
}
