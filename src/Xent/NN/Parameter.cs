namespace Xent.NN;

/// <summary>A leaf tensor that a <see cref="Module"/> owns and an optimizer updates; it requires gradients.</summary>
public sealed class Parameter : Tensor
{
    /// <summary>Wraps <paramref name="data"/>'s storage (no copy) as a parameter.</summary>
    public Parameter(Tensor data, bool requiresGrad = true) : base(data.FloatArray, data.Shape)
    {
        RequiresGrad = requiresGrad;
    }
}
