namespace Xent.Autograd;

/// <summary>
/// One recorded op in the autograd graph: its inputs and the function that maps the gradient of
/// its output to gradients of its inputs. Each op defines that function next to its forward.
/// </summary>
public sealed class Node
{
    private Func<Tensor, Tensor?[]>? _backward;

    internal Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Name = name;
        Inputs = inputs;
        _backward = backward;
    }

    /// <summary>PyTorch-style name of the backward function, e.g. <c>MulBackward</c>.</summary>
    public string Name { get; }

    internal Tensor[] Inputs { get; private set; }

    internal bool IsFreed => _backward is null;

    internal Tensor?[] Apply(Tensor gradOutput) =>
        (_backward ?? throw new InvalidOperationException(
            $"Trying to backward through the graph a second time ({Name} was already freed). " +
            "Pass retainGraph: true to the first Backward call if you need to backward twice."))(gradOutput);

    /// <summary>Drops the saved tensors so their memory can be reclaimed.</summary>
    internal void Free()
    {
        _backward = null;
        Inputs = [];
    }
}
