using System.Globalization;
using Xent.NN;

namespace Xent.Optim;

/// <summary>
/// A set of parameters that an <see cref="Optimizer"/> updates with the same hyper-parameters, like one
/// dict of PyTorch's <c>optimizer.param_groups</c>. Options not set here take the optimizer's defaults
/// when the optimizer is constructed (PyTorch's <c>setdefault</c>).
/// </summary>
/// <remarks>
/// Options use PyTorch's names: <c>lr</c>, <c>weight_decay</c>, <c>momentum</c>, <c>dampening</c>,
/// <c>nesterov</c>, <c>beta1</c>, <c>beta2</c> (PyTorch's <c>betas</c> tuple), <c>eps</c>, <c>amsgrad</c>,
/// <c>rho</c>, and <c>initial_lr</c> (set by schedulers). Booleans are stored as 0 or 1.
/// <code>
/// var opt = new Sgd([new ParamGroup(model.Fc1.Parameters()), new ParamGroup(model.Fc2.Parameters(), lr: 1e-3) { ["momentum"] = 0.9 }], lr: 1e-2);
/// </code>
/// </remarks>
public sealed class ParamGroup
{
    private readonly Parameter[] _parameters;
    private readonly Dictionary<string, double> _options = new(StringComparer.Ordinal);

    /// <summary>Creates a group over <paramref name="parameters"/> with optional per-group learning rate and weight decay.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or one of its items is null.</exception>
    public ParamGroup(IEnumerable<Parameter> parameters, double? lr = null, double? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        for (int i = 0; i < _parameters.Length; i++)
            if (_parameters[i] is null) throw new ArgumentNullException(nameof(parameters), $"Parameter {i} of the group is null.");
        if (lr is double l) _options["lr"] = l;
        if (weightDecay is double w) _options["weight_decay"] = w;
    }

    /// <summary>The parameters, in the order the optimizer indexes them.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    internal Parameter[] ParameterArray => _parameters;

    /// <summary>All options set on this group (after construction of the optimizer: every option it uses).</summary>
    public IReadOnlyDictionary<string, double> Options => _options;

    /// <summary>Gets or sets an option by PyTorch name (<c>"momentum"</c>, <c>"eps"</c>, ...).</summary>
    /// <exception cref="KeyNotFoundException">Getting an option that is not set.</exception>
    public double this[string name]
    {
        get => _options.TryGetValue(name, out double v) ? v
            : throw new KeyNotFoundException($"Parameter group has no option '{name}'; it has: {string.Join(", ", _options.Keys)}.");
        set
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            if (name.Contains('.')) throw new ArgumentException($"Option names cannot contain '.': '{name}'.", nameof(name));
            _options[name] = value;
        }
    }

    /// <summary>True when option <paramref name="name"/> is set.</summary>
    public bool Has(string name) => _options.ContainsKey(name);

    /// <summary>The learning rate (option <c>lr</c>); schedulers set it.</summary>
    public double Lr { get => this["lr"]; set => this["lr"] = value; }

    /// <summary>The L2 penalty (option <c>weight_decay</c>).</summary>
    public double WeightDecay { get => this["weight_decay"]; set => this["weight_decay"] = value; }

    internal void SetDefault(string name, double value) => _options.TryAdd(name, value);

    internal void ReplaceOptions(IReadOnlyDictionary<string, double> options)
    {
        _options.Clear();
        foreach (var (k, v) in options) _options[k] = v;
    }

    internal static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
