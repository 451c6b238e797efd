using System.Diagnostics.CodeAnalysis;

namespace Xent.NN;

/// <summary>
/// Base of every layer, model and loss: owns named parameters and child modules, the train/eval
/// flag, and the state dict whose keys follow PyTorch's naming (<c>conv1.weight</c>, <c>fc2.bias</c>).
/// </summary>
/// <remarks>
/// Register children and parameters in the constructor, in the order PyTorch's <c>__init__</c>
/// assigns them: <c>conv1 = Register("conv1", new Conv2d(1, 32, 3, 1));</c>.
/// </remarks>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Parameter?>> _parameters = [];
    private readonly List<KeyValuePair<string, Module>> _children = [];

    /// <summary>True in training mode (dropout active), false after <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Applies the module to one input. Layers override it; modules with other signatures (losses) throw.</summary>
    public virtual Tensor Forward(Tensor input) =>
        throw new NotSupportedException($"{GetType().Name} does not take a single input; call its own Forward overload.");

    /// <summary>Registers a child module under <paramref name="name"/> and returns it.</summary>
    protected T Register<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add(new(name, module));
        return module;
    }

    /// <summary>Registers a parameter (or a null placeholder, like <c>bias=None</c>) and returns it.</summary>
    [return: NotNullIfNotNull(nameof(parameter))]
    protected Parameter? Register(string name, Parameter? parameter)
    {
        CheckName(name);
        _parameters.Add(new(name, parameter));
        return parameter;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"Invalid name '{name}': names must be non-empty and contain no '.'.", nameof(name));
        foreach (var p in _parameters) if (p.Key == name)
            throw new ArgumentException($"A parameter named '{name}' is already registered in {GetType().Name}.");
        foreach (var c in _children) if (c.Key == name)
            throw new ArgumentException($"A module named '{name}' is already registered in {GetType().Name}.");
    }

    /// <summary>Direct children in registration order.</summary>
    public IEnumerable<KeyValuePair<string, Module>> NamedChildren() => _children;

    /// <summary>Every parameter with its dotted path, depth first in registration order (PyTorch's order).</summary>
    public IEnumerable<KeyValuePair<string, Parameter>> NamedParameters()
    {
        foreach (var p in _parameters)
            if (p.Value is not null) yield return new(p.Key, p.Value);
        foreach (var c in _children)
            foreach (var p in c.Value.NamedParameters())
                yield return new(c.Key + "." + p.Key, p.Value);
    }

    /// <summary>Every parameter, in <see cref="NamedParameters"/> order.</summary>
    public IEnumerable<Parameter> Parameters()
    {
        foreach (var p in NamedParameters()) yield return p.Value;
    }

    /// <summary>Sets training mode on this module and its children.</summary>
    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var c in _children) c.Value.Train(mode);
        return this;
    }

    /// <summary>Sets evaluation mode (dropout off), like <c>model.eval()</c>.</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears every parameter's gradient to zero (keeping its buffer).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad?.Data.Clear();
    }

    /// <summary>Parameters by dotted name, sharing storage, like <c>model.state_dict()</c>.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var dict = new Dictionary<string, Tensor>();
        foreach (var p in NamedParameters()) dict[p.Key] = p.Value.Detach();
        return dict;
    }

    /// <summary>
    /// Copies values from <paramref name="stateDict"/> into the parameters. With <paramref name="strict"/>,
    /// missing and unexpected keys are errors; a shape mismatch is always an error. Nothing is copied unless all checks pass.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var own = new Dictionary<string, Parameter>();
        foreach (var p in NamedParameters()) own[p.Key] = p.Value;
        var problems = new List<string>();
        var missing = own.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (strict && missing.Count > 0) problems.Add("Missing key(s) in state_dict: " + string.Join(", ", missing.Select(k => $"\"{k}\""))
            + ".");
        if (strict && unexpected.Count > 0) problems.Add("Unexpected key(s) in state_dict: "
            + string.Join(", ", unexpected.Select(k => $"\"{k}\"")) + ".");
        foreach (var (name, p) in own)
        {
            if (!stateDict.TryGetValue(name, out var t)) continue;
            if (t.DType != DType.Float32)
                problems.Add($"dtype mismatch for {name}: expected float32, got " +
                    $"{IO.Checkpoint.StoredDTypeName(t) ?? Tensor.Name(t.DType)}.");
            else if (!t.ShapeSpan.SequenceEqual(p.ShapeSpan))
                problems.Add($"size mismatch for {name}: copying a param with shape {Shapes.Format(t.ShapeSpan)} from checkpoint, the " +
                    $"shape in current model is {Shapes.Format(p.ShapeSpan)}.");
        }
        if (problems.Count > 0)
            throw new InvalidOperationException($"Error(s) in loading state_dict for {GetType().Name}:\n\t"
                + string.Join("\n\t", problems));
        foreach (var (name, p) in own)
            if (stateDict.TryGetValue(name, out var t)) t.Data.CopyTo(p.Data);
    }
}
