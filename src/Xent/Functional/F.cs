namespace Xent;

/// <summary>
/// The functional API, PyTorch's <c>torch.nn.functional</c>: <c>F.CrossEntropy(x, t)</c>, <c>F.Linear(x, w, b)</c>, ….
/// Each function validates its arguments, computes with a kernel and records one autograd node.
/// One concept per file: this class is partial across <c>src/Xent/Functional/*.cs</c>.
/// </summary>
public static partial class F
{
}
