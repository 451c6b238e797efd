using Xent.NN;

namespace Xent.Optim;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter), exactly as PyTorch 1.13's <c>torch.optim.AdamW</c>:
/// the parameter is first scaled by <c>1 − lr·weight_decay</c>, then the Adam update (without an L2 term) is applied.
/// State per parameter: <c>step</c>, <c>exp_avg</c>, <c>exp_avg_sq</c> and, with amsgrad, <c>max_exp_avg_sq</c>.
/// </summary>
public sealed class AdamW : AdamBase
{
    /// <summary>Creates the optimizer over one group of parameters.</summary>
    /// <exception cref="ArgumentException">An invalid hyper-parameter (PyTorch's message), or no parameters.</exception>
    public AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false)
        : base(parameters, lr, betas, eps, weightDecay, amsgrad, decoupled: true) { }

    /// <summary>Creates the optimizer over parameter groups; options a group does not set take these values.</summary>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false)
        : base(groups, lr, betas, eps, weightDecay, amsgrad, decoupled: true) { }
}
