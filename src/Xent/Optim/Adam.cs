using Xent.NN;

namespace Xent.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba) with optional L2 weight decay added to the gradient and the AMSGrad variant,
/// exactly as PyTorch 1.13's <c>torch.optim.Adam</c> (single-tensor path):
/// <code>
/// g = g + weight_decay·p
/// m = β1·m + (1 − β1)·g;   v = β2·v + (1 − β2)·g²;   [v̂ = max(v̂, v)]
/// p = p − lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + eps)
/// </code>
/// State per parameter: <c>step</c>, <c>exp_avg</c>, <c>exp_avg_sq</c> and, with amsgrad, <c>max_exp_avg_sq</c>.
/// </summary>
public sealed class Adam : AdamBase
{
    /// <summary>Creates the optimizer over one group of parameters.</summary>
    /// <exception cref="ArgumentException">An invalid hyper-parameter (PyTorch's message), or no parameters.</exception>
    public Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false)
        : base(parameters, lr, betas, eps, weightDecay, amsgrad, decoupled: false) { }

    /// <summary>Creates the optimizer over parameter groups; options a group does not set take these values.</summary>
    /// <exception cref="ArgumentException">An invalid hyper-parameter (PyTorch's message, a group's own or a default), no
    /// parameters, or a parameter in two groups.</exception>
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false)
        : base(groups, lr, betas, eps, weightDecay, amsgrad, decoupled: false) { }
}
