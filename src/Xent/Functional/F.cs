using Xent.Autograd;

namespace Xent;

/// <summary>
/// The functional API, PyTorch's <c>torch.nn.functional</c>: <c>F.CrossEntropy(x, t)</c>, <c>F.Linear(x, w, b)</c>, ….
/// Each function validates its arguments, computes with a kernel and records one autograd node.
/// One concept per file: this class is partial across <c>src/Xent/Functional/*.cs</c>.
/// </summary>
public static partial class F
{
    /// <summary>
    /// Refuses a float target (probabilities, labels, a teacher's logits) that requires grad while recording: PyTorch also
    /// differentiates a loss with respect to such a target, Xent only with respect to its input, and a gradient that silently
    /// never arrives is worse than an error.
    /// </summary>
    /// <exception cref="NotSupportedException">The target requires grad and grad mode is on.</exception>
    internal static void RefuseTargetGradient(Tensor target, string op)
    {
        if (GradMode.IsEnabled && target.RequiresGrad)
            throw new NotSupportedException($"{op}: the target requires grad, but Xent's losses differentiate only their input "
                + "(PyTorch also differentiates the target); pass target.Detach(), or compute the target under Tensor.NoGrad().");
    }

    /// <summary>
    /// Refuses a loss's weight (class weights, <c>pos_weight</c>) that requires grad while recording: its gradient would silently
    /// never arrive. PyTorch refuses it too, with the message used here, except where it differentiates the weight
    /// (<paramref name="pytorchDifferentiatesWhen"/>, e.g. "with class probabilities" for cross-entropy), which Xent does not.
    /// </summary>
    /// <exception cref="ArgumentException">The weight requires grad and grad mode is on (PyTorch's message).</exception>
    /// <exception cref="NotSupportedException">The same, where PyTorch would differentiate the weight.</exception>
    internal static void RefuseWeightGradient(Tensor? weight, string op, string argument, string? pytorchDifferentiatesWhen = null)
    {
        if (weight is null || !GradMode.IsEnabled || !weight.RequiresGrad) return;
        if (pytorchDifferentiatesWhen is not null)
            throw new NotSupportedException($"{op}: the {argument} requires grad, but Xent's losses differentiate only their input " +
                $"({pytorchDifferentiatesWhen} PyTorch also differentiates the {argument}); pass {argument}.Detach().");
        throw new ArgumentException($"The function '{op}' is not differentiable with respect to argument '{argument}'. This input "
            + "cannot have requires_grad True.", argument);
    }
}
