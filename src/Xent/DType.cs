namespace Xent;

/// <summary>Element type of a <see cref="Tensor"/>.</summary>
public enum DType
{
    /// <summary>32-bit float: values, activations, losses (PyTorch's default <c>torch.float32</c>).</summary>
    Float32,
    /// <summary>64-bit integer: class indices and counts (PyTorch's <c>torch.int64</c>/<c>long</c>).</summary>
    Int64,
}
