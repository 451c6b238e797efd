using System.Collections;

namespace Xent.NN;

/// <summary>
/// Applies its modules in order, PyTorch's <c>nn.Sequential</c>. Children are named "0", "1", … (or the given
/// names), so parameter names match PyTorch's (<c>0.weight</c>, <c>2.bias</c>).
/// </summary>
public sealed class Sequential : Module, IEnumerable<Module>
{
    private readonly List<Module> _modules = [];

    /// <summary>An empty container; add modules with <see cref="Add(Module)"/>.</summary>
    public Sequential() { }

    /// <summary>Modules named by position: "0", "1", ….</summary>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules) Add(m);
    }

    /// <summary>Named modules, like PyTorch's <c>nn.Sequential(OrderedDict(...))</c>.</summary>
    public Sequential(params (string Name, Module Module)[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var (name, m) in modules) Add(name, m);
    }

    /// <summary>Appends <paramref name="module"/> under the next position's name.</summary>
    public Sequential Add(Module module) => Add(_modules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);

    /// <summary>Appends <paramref name="module"/> under <paramref name="name"/>.</summary>
    public Sequential Add(string name, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        _modules.Add(Register(name, module));
        return this;
    }

    /// <summary>Number of modules.</summary>
    public int Count => _modules.Count;

    /// <summary>The module at <paramref name="index"/> (negative counts from the end).</summary>
    public Module this[int index] => _modules[index < 0 ? index + _modules.Count : index];

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        foreach (var m in _modules) input = m.Forward(input);
        return input;
    }

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _modules.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public override string ToString() =>
        "Sequential(\n" + string.Concat(NamedChildren().Select(c => $"  ({c.Key}): {c.Value.ToString()!.Replace("\n", "\n  ")}\n")) + ")";
}
