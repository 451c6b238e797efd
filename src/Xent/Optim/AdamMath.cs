using Xent.NN;

namespace Xent.Optim;

/// <summary>What <see cref="Adam"/> and <see cref="AdamW"/> share: defaults, validation, state names and the per-parameter update.</summary>
internal static class AdamMath
{
    private static readonly string[] Plain = ["exp_avg", "exp_avg_sq"];
    private static readonly string[] Ams = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];

    public static Dictionary<string, double> Defaults(double lr, (double Beta1, double Beta2) betas, double eps, double weightDecay, bool amsgrad) => new()
    {
        ["lr"] = lr, ["beta1"] = betas.Beta1, ["beta2"] = betas.Beta2, ["eps"] = eps, ["weight_decay"] = weightDecay, ["amsgrad"] = amsgrad ? 1 : 0,
    };

    public static void Validate(ParamGroup group)
    {
        foreach (var name in new[] { "lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad" })
            if (!group.Has(name)) throw new ArgumentException($"parameter group didn't specify a value of optimization parameter {name}");
        double lr = group.Lr, eps = group["eps"], b1 = group["beta1"], b2 = group["beta2"], wd = group.WeightDecay;
        if (!(lr >= 0)) throw new ArgumentException($"Invalid learning rate: {ParamGroup.Format(lr)}");
        if (!(eps >= 0)) throw new ArgumentException($"Invalid epsilon value: {ParamGroup.Format(eps)}");
        if (!(b1 >= 0 && b1 < 1)) throw new ArgumentException($"Invalid beta parameter at index 0: {ParamGroup.Format(b1)}");
        if (!(b2 >= 0 && b2 < 1)) throw new ArgumentException($"Invalid beta parameter at index 1: {ParamGroup.Format(b2)}");
        if (!(wd >= 0)) throw new ArgumentException($"Invalid weight_decay value: {ParamGroup.Format(wd)}");
    }

    public static string[] StateNames(ParamGroup group) => group["amsgrad"] != 0 ? Ams : Plain;

    /// <summary>One step for one parameter; the bias corrections are computed in float64 as PyTorch does in Python.</summary>
    public static void Update(Parameter p, Span<float> grad, Optimizer.ParamState state, ParamGroup group, bool decoupled)
    {
        double lr = group.Lr, b1 = group["beta1"], b2 = group["beta2"], wd = group.WeightDecay;
        long step = ++state.Step;
        double bc1 = 1 - Math.Pow(b1, step);
        double bc2 = 1 - Math.Pow(b2, step);
        double stepSize = lr / bc1;
        var s = new OptimizerKernels.AdamScalars(
            ParamScale: decoupled ? (float)(1 - lr * wd) : 1f,
            WeightDecay: decoupled ? 0f : (float)wd,
            Beta1: (float)b1, OneMinusBeta1: (float)(1 - b1),
            Beta2: (float)b2, OneMinusBeta2: (float)(1 - b2),
            BiasCorrection2Sqrt: (float)Math.Sqrt(bc2), Eps: (float)group["eps"], NegStepSize: (float)-stepSize);
        var buffers = state.Buffers;
        OptimizerKernels.Adam(p.Data, grad, buffers[0], buffers[1], group["amsgrad"] != 0 ? buffers[2] : default, s);
    }
}
