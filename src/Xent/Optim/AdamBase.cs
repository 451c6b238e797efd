using Xent.NN;

namespace Xent.Optim;

/// <summary>
/// What <see cref="Adam"/> and <see cref="AdamW"/> share: options, validation, state names and the step loop.
/// They differ only in how weight decay is applied (added to the gradient, or decoupled as a parameter scale).
/// </summary>
/// <remarks>Not meant to be derived from outside this library (its constructors are <c>private protected</c>).</remarks>
public abstract class AdamBase : Optimizer
{
    private static readonly string[] Plain = ["exp_avg", "exp_avg_sq"];
    private static readonly string[] Ams = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];
    private readonly bool _decoupled;

    private protected AdamBase(IEnumerable<Parameter> parameters, double lr, (double Beta1, double Beta2)? betas, double eps,
        double weightDecay, bool amsgrad, bool decoupled)
        : base(parameters, Defaults(lr, betas, eps, weightDecay, amsgrad))
    {
        _decoupled = decoupled;
        ValidateGroups();
    }

    private protected AdamBase(IEnumerable<ParamGroup> groups, double lr, (double Beta1, double Beta2)? betas, double eps,
        double weightDecay, bool amsgrad, bool decoupled)
        : base(groups, Defaults(lr, betas, eps, weightDecay, amsgrad))
    {
        _decoupled = decoupled;
        ValidateGroups();
    }

    private static ParamGroup Defaults(double lr, (double Beta1, double Beta2)? betas, double eps, double weightDecay, bool amsgrad)
    {
        var (b1, b2) = betas ?? (0.9, 0.999);
        return new([], lr, weightDecay) { Beta1 = b1, Beta2 = b2, Eps = eps, Amsgrad = amsgrad };
    }

    /// <inheritdoc/>
    protected sealed override void Validate(ParamGroup group)
    {
        OptionChecks.Require(group,
            GroupOption.Lr, GroupOption.Beta1, GroupOption.Beta2, GroupOption.Eps, GroupOption.WeightDecay, GroupOption.Amsgrad);
        double b1 = group.Beta1, b2 = group.Beta2;
        OptionChecks.LearningRate(group.Lr);
        OptionChecks.Epsilon(group.Eps);
        if (!(b1 >= 0 && b1 < 1)) throw new ArgumentException($"Invalid beta parameter at index 0: {ParamGroup.Format(b1)}");
        if (!(b2 >= 0 && b2 < 1)) throw new ArgumentException($"Invalid beta parameter at index 1: {ParamGroup.Format(b2)}");
        OptionChecks.WeightDecay(group.WeightDecay);
    }

    /// <inheritdoc/>
    protected sealed override string[] StateNames(ParamGroup group) => group.Amsgrad ? Ams : Plain;

    /// <summary><c>max_exp_avg_sq</c> is kept (and saved) when amsgrad is switched off, as in PyTorch.</summary>
    private protected sealed override string[] AllStateNames(ParamGroup group) => Ams;

    /// <inheritdoc/>
    protected sealed override bool CountsSteps => true;

    /// <inheritdoc/>
    public sealed override void Step()
    {
        int index = 0;
        for (int g = 0; g < GroupCount; g++)
        {
            var group = ParamGroups[g];
            var parameters = GroupParameters(g);
            for (int k = 0; k < parameters.Length; k++, index++)
            {
                var p = parameters[k];
                if (!TryGetGrad(p, out var grad)) continue;
                Update(p, grad, GetState(index, group, out _), group);
            }
        }
    }

    /// <summary>One step for one parameter; the bias corrections are computed in float64 as PyTorch does in Python.</summary>
    private void Update(Parameter p, Span<float> grad, ParamState state, ParamGroup group)
    {
        double lr = group.Lr, b1 = group.Beta1, b2 = group.Beta2, wd = group.WeightDecay;
        long step = ++state.Step;
        double bc1 = 1 - Math.Pow(b1, step);
        double bc2 = 1 - Math.Pow(b2, step);
        double stepSize = lr / bc1;
        var s = new OptimizerKernels.AdamScalars(
            ParamScale: _decoupled ? (float)(1 - lr * wd) : 1f,
            WeightDecay: _decoupled ? 0f : (float)wd,
            Beta1: (float)b1, OneMinusBeta1: (float)(1 - b1),
            Beta2: (float)b2, OneMinusBeta2: (float)(1 - b2),
            BiasCorrection2Sqrt: (float)Math.Sqrt(bc2), Eps: (float)group.Eps, NegStepSize: (float)-stepSize);
        var buffers = state.Buffers;
        OptimizerKernels.Adam(p.Data, grad, buffers[0], buffers[1], group.Amsgrad ? buffers[2] : default, s);
    }
}
