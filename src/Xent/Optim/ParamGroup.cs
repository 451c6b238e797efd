using System.Globalization;
using Xent.NN;

namespace Xent.Optim;

/// <summary>
/// A set of parameters that an <see cref="Optimizer"/> updates with the same hyper-parameters, like one
/// dict of PyTorch's <c>optimizer.param_groups</c>. Options not set here take the optimizer's defaults
/// when the optimizer is constructed (PyTorch's <c>setdefault</c>); after that, every option the optimizer
/// uses is set and can be changed between steps.
/// </summary>
/// <remarks>
/// Each option is a typed property; reading one that is not set (an SGD group's <see cref="Beta1"/>) throws
/// <see cref="KeyNotFoundException"/>. In state dicts the options keep PyTorch's names: <c>lr</c>,
/// <c>weight_decay</c>, <c>momentum</c>, <c>dampening</c>, <c>nesterov</c>, <c>beta1</c>, <c>beta2</c> (PyTorch's
/// <c>betas</c> tuple), <c>eps</c>, <c>amsgrad</c>, <c>rho</c> and <c>initial_lr</c>, booleans as 0 or 1.
/// <code>
/// var fc2 = new ParamGroup(model.Fc2.Parameters(), lr: 1e-3) { Momentum = 0.9 };
/// var opt = new Sgd([new ParamGroup(model.Fc1.Parameters()), fc2], lr: 1e-2);
/// </code>
/// </remarks>
public sealed class ParamGroup
{
    /// <summary>PyTorch's name of each <see cref="GroupOption"/>, by its value.</summary>
    internal static readonly string[] OptionNames =
        ["lr", "weight_decay", "momentum", "dampening", "nesterov", "beta1", "beta2", "eps", "amsgrad", "rho", "initial_lr"];

    private readonly Parameter[] _parameters;
    private readonly double?[] _options = new double?[OptionNames.Length];

    /// <summary>Creates a group over <paramref name="parameters"/> with optional per-group learning rate and weight decay.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or one of its items is null.</exception>
    public ParamGroup(IEnumerable<Parameter> parameters, double? lr = null, double? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        for (int i = 0; i < _parameters.Length; i++)
            if (_parameters[i] is null) throw new ArgumentNullException(nameof(parameters), $"Parameter {i} of the group is null.");
        this[GroupOption.Lr] = lr;
        this[GroupOption.WeightDecay] = weightDecay;
    }

    /// <summary>The parameters, in the order the optimizer indexes them.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    internal Parameter[] ParameterArray => _parameters;

    /// <summary>The learning rate (<c>lr</c>); schedulers set it.</summary>
    public double Lr { get => Get(GroupOption.Lr); set => this[GroupOption.Lr] = value; }

    /// <summary>The L2 penalty (<c>weight_decay</c>; decoupled in <see cref="AdamW"/>).</summary>
    public double WeightDecay { get => Get(GroupOption.WeightDecay); set => this[GroupOption.WeightDecay] = value; }

    /// <summary>SGD's momentum factor (<c>momentum</c>).</summary>
    public double Momentum { get => Get(GroupOption.Momentum); set => this[GroupOption.Momentum] = value; }

    /// <summary>SGD's dampening of the momentum (<c>dampening</c>).</summary>
    public double Dampening { get => Get(GroupOption.Dampening); set => this[GroupOption.Dampening] = value; }

    /// <summary>SGD's Nesterov momentum (<c>nesterov</c>).</summary>
    public bool Nesterov { get => Get(GroupOption.Nesterov) != 0; set => this[GroupOption.Nesterov] = value ? 1 : 0; }

    /// <summary>Adam's decay rate of the first moment (<c>betas[0]</c>, saved as <c>beta1</c>).</summary>
    public double Beta1 { get => Get(GroupOption.Beta1); set => this[GroupOption.Beta1] = value; }

    /// <summary>Adam's decay rate of the second moment (<c>betas[1]</c>, saved as <c>beta2</c>).</summary>
    public double Beta2 { get => Get(GroupOption.Beta2); set => this[GroupOption.Beta2] = value; }

    /// <summary>The term added to denominators for stability (<c>eps</c>).</summary>
    public double Eps { get => Get(GroupOption.Eps); set => this[GroupOption.Eps] = value; }

    /// <summary>Adam's AMSGrad variant (<c>amsgrad</c>); switching it on after the first step is an error.</summary>
    public bool Amsgrad { get => Get(GroupOption.Amsgrad) != 0; set => this[GroupOption.Amsgrad] = value ? 1 : 0; }

    /// <summary>Adadelta's decay rate of the running averages (<c>rho</c>).</summary>
    public double Rho { get => Get(GroupOption.Rho); set => this[GroupOption.Rho] = value; }

    /// <summary>
    /// The learning rate when scheduling started (<c>initial_lr</c>), set by the first <see cref="LRScheduler"/>; null before.
    /// </summary>
    public double? InitialLr { get => this[GroupOption.InitialLr]; set => this[GroupOption.InitialLr] = value; }

    /// <summary>
    /// Every option set on this group, by PyTorch name, for code that handles options generically (tools, logs);
    /// optimizers and user code use the typed properties.
    /// </summary>
    public IReadOnlyDictionary<string, double> Options
    {
        get
        {
            var d = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int i = 0; i < _options.Length; i++) if (_options[i] is double v) d[OptionNames[i]] = v;
            return d;
        }
    }

    internal bool Has(GroupOption option) => this[option] is not null;

    internal double? this[GroupOption option]
    {
        get => _options[(int)option];
        set => _options[(int)option] = value;
    }

    internal static bool TryLookup(string name, out GroupOption option)
    {
        int i = Array.IndexOf(OptionNames, name);
        option = (GroupOption)i;
        return i >= 0;
    }

    private double Get(GroupOption option) => _options[(int)option]
        ?? throw new KeyNotFoundException($"Parameter group has no option '{OptionNames[(int)option]}'; it has: " +
            $"{string.Join(", ", Options.Keys)}.");

    /// <summary>Sets every option that <paramref name="defaults"/> sets and this group does not.</summary>
    internal void FillDefaults(ParamGroup defaults)
    {
        for (int i = 0; i < _options.Length; i++) _options[i] ??= defaults._options[i];
    }

    /// <summary>Replaces every option with <paramref name="source"/>'s (a validated copy made while loading a state dict).</summary>
    internal void CopyOptionsFrom(ParamGroup source) => Array.Copy(source._options, _options, _options.Length);

    internal static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
