namespace Xent.NN;

/// <summary>Merges dims <see cref="StartDim"/> … <see cref="EndDim"/>, PyTorch's <c>nn.Flatten</c> (default keeps the batch dim).</summary>
public sealed class Flatten : Module
{
    /// <summary>Creates the layer; negative dims count from the end.</summary>
    public Flatten(int startDim = 1, int endDim = -1)
    {
        StartDim = startDim;
        EndDim = endDim;
    }

    /// <summary>First dim merged.</summary>
    public int StartDim { get; }

    /// <summary>Last dim merged.</summary>
    public int EndDim { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    public override string ToString() => $"Flatten(start_dim={StartDim}, end_dim={EndDim})";
}
