using Xent.NN;

namespace Xent.Optim;

/// <summary>
/// Adadelta (Zeiler, 2012), exactly as PyTorch 1.13's <c>torch.optim.Adadelta</c> (single-tensor path):
/// <code>
/// g = g + weight_decay·p
/// sq = ρ·sq + (1 − ρ)·g²
/// δ = sqrt(acc + eps) / sqrt(sq + eps) · g
/// acc = ρ·acc + (1 − ρ)·δ²
/// p = p − lr·δ
/// </code>
/// State per parameter: <c>step</c>, <c>square_avg</c>, <c>acc_delta</c>.
/// </summary>
public sealed class Adadelta : Optimizer
{
    private static readonly string[] Names = ["square_avg", "acc_delta"];

    /// <summary>Creates the optimizer over one group of parameters.</summary>
    /// <exception cref="ArgumentException">An invalid hyper-parameter (PyTorch's message), or no parameters.</exception>
    public Adadelta(IEnumerable<Parameter> parameters, double lr = 1.0, double rho = 0.9, double eps = 1e-6, double weightDecay = 0)
        : base(parameters, Defaults(lr, rho, eps, weightDecay)) => ValidateGroups();

    /// <summary>Creates the optimizer over parameter groups; options a group does not set take these values.</summary>
    public Adadelta(IEnumerable<ParamGroup> groups, double lr = 1.0, double rho = 0.9, double eps = 1e-6, double weightDecay = 0)
        : base(groups, Defaults(lr, rho, eps, weightDecay)) => ValidateGroups();

    private static ParamGroup Defaults(double lr, double rho, double eps, double weightDecay) =>
        new([], lr, weightDecay) { Rho = rho, Eps = eps };

    /// <inheritdoc/>
    protected override void Validate(ParamGroup group)
    {
        OptionChecks.Require(group, GroupOption.Lr, GroupOption.Rho, GroupOption.Eps, GroupOption.WeightDecay);
        double rho = group.Rho;
        OptionChecks.LearningRate(group.Lr);
        if (!(rho >= 0 && rho <= 1)) throw new ArgumentException($"Invalid rho value: {ParamGroup.Format(rho)}");
        OptionChecks.Epsilon(group.Eps);
        OptionChecks.WeightDecay(group.WeightDecay);
    }

    /// <inheritdoc/>
    protected override string[] StateNames(ParamGroup group) => Names;

    /// <inheritdoc/>
    protected override bool CountsSteps => true;

    /// <inheritdoc/>
    public override void Step()
    {
        int index = 0;
        for (int g = 0; g < GroupCount; g++)
        {
            var group = ParamGroups[g];
            var parameters = GroupParameters(g);
            double rho = group.Rho;
            var s = new OptimizerKernels.AdadeltaScalars(
                (float)-group.Lr, (float)rho, (float)(1 - rho), (float)group.Eps, (float)group.WeightDecay);
            for (int k = 0; k < parameters.Length; k++, index++)
            {
                var p = parameters[k];
                if (!TryGetGrad(p, out var grad)) continue;
                var state = GetState(index, group, out _);
                state.Step++;
                OptimizerKernels.Adadelta(p.Data, grad, state.Buffers[0], state.Buffers[1], s);
            }
        }
    }
}
