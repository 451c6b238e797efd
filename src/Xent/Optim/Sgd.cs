using Xent.NN;

namespace Xent.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay,
/// exactly as PyTorch 1.13's <c>torch.optim.SGD</c> (single-tensor path):
/// <code>
/// d = g + weight_decay·p
/// b = d on the first step, else momentum·b + (1 − dampening)·d
/// d = nesterov ? d + momentum·b : b        (when momentum ≠ 0)
/// p = p − lr·d
/// </code>
/// State per parameter: <c>momentum_buffer</c> (made when momentum ≠ 0; kept if momentum is later set to 0).
/// </summary>
public sealed class Sgd : Optimizer
{
    private static readonly string[] MomentumState = ["momentum_buffer"];

    /// <summary>Creates the optimizer over one group of parameters.</summary>
    /// <exception cref="ArgumentException">An invalid hyper-parameter (PyTorch's message), or no parameters.</exception>
    public Sgd(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0,
        bool nesterov = false)
        : base(parameters, Defaults(lr, momentum, dampening, weightDecay, nesterov)) => ValidateGroups();

    /// <summary>Creates the optimizer over parameter groups; options a group does not set take these values.</summary>
    /// <param name="groups">The groups.</param>
    /// <param name="lr">Default learning rate; may be omitted only when every group sets its own.</param>
    /// <param name="momentum">Momentum factor.</param>
    /// <param name="dampening">Dampening of the momentum.</param>
    /// <param name="weightDecay">L2 penalty.</param>
    /// <param name="nesterov">Use Nesterov momentum.</param>
    public Sgd(IEnumerable<ParamGroup> groups, double? lr = null, double momentum = 0, double dampening = 0, double weightDecay = 0,
        bool nesterov = false)
        : base(groups, Defaults(lr, momentum, dampening, weightDecay, nesterov)) => ValidateGroups();

    private static ParamGroup Defaults(double? lr, double momentum, double dampening, double weightDecay, bool nesterov) =>
        new([], lr, weightDecay) { Momentum = momentum, Dampening = dampening, Nesterov = nesterov };

    /// <inheritdoc/>
    protected override void Validate(ParamGroup group)
    {
        if (!group.Has(GroupOption.Lr)) throw new ArgumentException("parameter group didn't specify a value of required optimization " +
            "parameter lr");
        OptionChecks.Require(group, GroupOption.Momentum, GroupOption.Dampening, GroupOption.WeightDecay, GroupOption.Nesterov);
        double momentum = group.Momentum, dampening = group.Dampening;
        OptionChecks.LearningRate(group.Lr);
        OptionChecks.NonNegative(momentum, "Invalid momentum value");
        OptionChecks.WeightDecay(group.WeightDecay);
        if (group.Nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening");
    }

    /// <inheritdoc/>
    protected override string[] StateNames(ParamGroup group) => group.Momentum != 0 ? MomentumState : [];

    /// <summary>A buffer made while momentum was on is kept (and saved) at momentum 0, and used again if it comes back,
    /// as in PyTorch.</summary>
    private protected override string[] AllStateNames(ParamGroup group) => MomentumState;

    /// <summary>Counts <see cref="Step"/> calls, to tell a buffer made earlier in the same step (see there).</summary>
    private long _steps;

    /// <inheritdoc/>
    protected override bool CountsSteps => false;

    /// <inheritdoc/>
    public override void Step()
    {
        long step = ++_steps;
        int index = 0;
        for (int g = 0; g < GroupCount; g++)
        {
            var group = ParamGroups[g];
            var parameters = GroupParameters(g);
            float negLr = (float)-group.Lr, wd = (float)group.WeightDecay;
            double momentum = group.Momentum;
            for (int k = 0; k < parameters.Length; k++, index++)
            {
                var p = parameters[k];
                if (!TryGetGrad(p, out var grad)) continue;
                if (momentum == 0)
                {
                    OptimizerKernels.Sgd(p.Data, grad, negLr, wd);
                    continue;
                }
                var state = GetState(index, group, out bool created);
                // PyTorch reads every listing's buffer before updating any, so a parameter listed twice in its group finds
                // none at both listings of its first step, and both start the buffer from their own d.
                if (created) state.CreatedInStep = step;
                else created = state.CreatedInStep == step;
                var s = new OptimizerKernels.SgdMomentumScalars(
                    negLr, wd, (float)momentum, (float)(1 - group.Dampening), group.Nesterov, created);
                OptimizerKernels.SgdMomentum(p.Data, grad, state.Buffers[0], s);
            }
        }
    }
}
