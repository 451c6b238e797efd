using System.Globalization;
using Xent.NN;

namespace Xent.Optim;

/// <summary>
/// Base of the optimizers: owns the parameter groups and the per-parameter state, clears gradients,
/// and saves/loads its state as flat named tensors so that a checkpoint can hold model and optimizer together.
/// </summary>
/// <remarks>
/// Like PyTorch, a parameter whose <see cref="Tensor.Grad"/> is null is skipped by <see cref="Step"/>, and its
/// state is created lazily on its first update. Parameters are indexed across groups in order (group 0's
/// first parameter is 0), which is how <see cref="StateDict"/> names them.
/// </remarks>
public abstract class Optimizer
{
    private readonly ParamGroup[] _groups;
    private readonly Parameter[] _params;
    private readonly int[] _groupOf;
    private readonly ParamState?[] _state;

    /// <summary>Per-parameter state: a step count (where the optimizer counts) and buffers shaped like the parameter.</summary>
    protected internal sealed class ParamState
    {
        /// <summary>Number of updates applied to the parameter.</summary>
        public long Step;

        /// <summary>Buffers in the order of <see cref="StateNames"/>.</summary>
        public float[][] Buffers = [];
    }

    /// <summary>Builds the groups and fills every option missing from a group with <paramref name="defaults"/>.</summary>
    /// <exception cref="ArgumentException">No parameters, or a parameter in two groups.</exception>
    protected Optimizer(IEnumerable<ParamGroup> groups, IReadOnlyDictionary<string, double> defaults)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(defaults);
        _groups = groups.ToArray();
        if (_groups.Length == 0 || _groups.All(g => g.Parameters.Count == 0))
            throw new ArgumentException("optimizer got an empty parameter list");
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        var all = new List<Parameter>();
        var groupOf = new List<int>();
        for (int gi = 0; gi < _groups.Length; gi++)
        {
            var group = _groups[gi] ?? throw new ArgumentNullException(nameof(groups), $"Parameter group {gi} is null.");
            foreach (var p in group.ParameterArray)
            {
                if (!seen.Add(p)) throw new ArgumentException("some parameters appear in more than one parameter group");
                if (p.DType != DType.Float32) throw new ArgumentException("optimizer can only optimize float32 tensors");
                all.Add(p);
                groupOf.Add(gi);
            }
            foreach (var (k, v) in defaults) group.SetDefault(k, v);
        }
        _params = [.. all];
        _groupOf = [.. groupOf];
        _state = new ParamState?[_params.Length];
    }

    /// <summary>Wraps <paramref name="parameters"/> in a single group.</summary>
    protected Optimizer(IEnumerable<Parameter> parameters, IReadOnlyDictionary<string, double> defaults)
        : this([new ParamGroup(parameters ?? throw new ArgumentNullException(nameof(parameters)))], defaults) { }

    /// <summary>The parameter groups (PyTorch's <c>param_groups</c>); their options can be changed between steps.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>
    /// The learning rate of the first group; setting it sets every group's (what schedulers do).
    /// </summary>
    public double LearningRate
    {
        get => _groups[0].Lr;
        set { foreach (var g in _groups) g.Lr = value; }
    }

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    public abstract void Step();

    /// <summary>Sets every gradient to zero in place (buffers are kept to avoid allocating), like <c>zero_grad(set_to_none=False)</c>.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _params) p.Grad?.Data.Clear();
    }

    /// <summary>Names of the per-parameter buffers for parameters of <paramref name="group"/>, e.g. <c>exp_avg</c>, <c>exp_avg_sq</c>.</summary>
    protected abstract string[] StateNames(ParamGroup group);

    /// <summary>Whether the state includes a step count (<c>state.{i}.step</c>).</summary>
    protected abstract bool CountsSteps { get; }

    /// <summary>Throws <see cref="ArgumentException"/> with PyTorch's wording when an option of <paramref name="group"/> is invalid.</summary>
    protected abstract void Validate(ParamGroup group);

    /// <summary>Validates every group; derived constructors call it after the base constructor filled in defaults.</summary>
    protected void ValidateGroups()
    {
        foreach (var g in _groups) Validate(g);
    }

    /// <summary>Number of groups.</summary>
    protected int GroupCount => _groups.Length;

    /// <summary>Group <paramref name="g"/>'s parameters.</summary>
    protected Parameter[] GroupParameters(int g) => _groups[g].ParameterArray;

    /// <summary>Global index of the first parameter of group <paramref name="g"/>.</summary>
    protected int FirstIndex(int g)
    {
        int index = 0;
        for (int i = 0; i < g; i++) index += _groups[i].ParameterArray.Length;
        return index;
    }

    /// <summary>
    /// The gradient of <paramref name="p"/> as a span, or false when it has none (the parameter is skipped).
    /// </summary>
    /// <exception cref="InvalidOperationException">The gradient's size differs from the parameter's.</exception>
    protected static bool TryGetGrad(Parameter p, out Span<float> grad)
    {
        var g = p.Grad;
        if (g is null) { grad = default; return false; }
        if (g.NumEl != p.NumEl)
            throw new InvalidOperationException($"The gradient has shape {Shapes.Format(g.ShapeSpan)} but its parameter has shape {Shapes.Format(p.ShapeSpan)}.");
        grad = g.Data;
        return true;
    }

    /// <summary>The state of parameter <paramref name="index"/>, created with zeroed buffers on first use.</summary>
    protected ParamState GetState(int index, ParamGroup group, out bool created)
    {
        var s = _state[index];
        created = s is null;
        var names = StateNames(group);
        if (s is null)
        {
            s = new ParamState { Buffers = new float[names.Length][] };
            for (int i = 0; i < names.Length; i++) s.Buffers[i] = new float[_params[index].NumEl];
            _state[index] = s;
        }
        else if (s.Buffers.Length < names.Length)
            throw new InvalidOperationException(
                $"Parameter {index} has no '{names[^1]}' state: an option that adds state (such as amsgrad) was switched on after its first step.");
        return s;
    }

    // ---------------- state dict ----------------

    /// <summary>
    /// A snapshot of the optimizer: <c>state.{i}.{buffer}</c> (float32, the parameter's shape), <c>state.{i}.step</c>
    /// (int64 scalar), <c>param_groups.{g}.params</c> (int64 indices of the group's parameters) and one
    /// <c>param_groups.{g}.{option}</c> per option.
    /// </summary>
    /// <remarks>
    /// Options are float64 in memory but tensors hold float32/int64, so each option is stored as an int64 scalar
    /// holding the IEEE-754 bit pattern of the double (<see cref="BitConverter.DoubleToInt64Bits"/>): a resumed
    /// run then uses exactly the same learning rate. The returned tensors are copies.
    /// </remarks>
    public Dictionary<string, Tensor> StateDict()
    {
        var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < _params.Length; i++)
        {
            var s = _state[i];
            if (s is null) continue;
            var names = StateNames(_groups[_groupOf[i]]);
            for (int b = 0; b < names.Length; b++)
                dict[$"state.{i}.{names[b]}"] = new Tensor((float[])s.Buffers[b].Clone(), _params[i].Shape);
            if (CountsSteps) dict[$"state.{i}.step"] = Tensor.Scalar(s.Step);
        }
        int first = 0;
        for (int g = 0; g < _groups.Length; g++)
        {
            int n = _groups[g].ParameterArray.Length;
            var indices = new long[n];
            for (int k = 0; k < n; k++) indices[k] = first + k;
            first += n;
            dict[$"param_groups.{g}.params"] = new Tensor(indices, [n]);
            foreach (var (name, value) in _groups[g].Options)
                dict[$"param_groups.{g}.{name}"] = Tensor.Scalar(BitConverter.DoubleToInt64Bits(value));
        }
        return dict;
    }

    /// <summary>
    /// Restores a snapshot from <see cref="StateDict"/> (possibly read back from a file): group options are replaced
    /// by the saved ones, per-parameter state is copied. Nothing changes unless every check passes.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The snapshot does not fit this optimizer: another number of groups or parameters per group, unknown or
    /// missing keys, a buffer whose shape or dtype differs from its parameter, or an invalid option value.
    /// </exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var problems = new List<string>();
        var groupOptions = new Dictionary<string, double>[_groups.Length];
        var paramsSeen = new bool[_groups.Length];
        for (int g = 0; g < _groups.Length; g++) groupOptions[g] = new(StringComparer.Ordinal);
        var stateKeys = new Dictionary<int, Dictionary<string, Tensor>>();

        foreach (var (key, tensor) in stateDict)
        {
            var parts = key.Split('.');
            if (parts.Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                problems.Add($"Unexpected key \"{key}\" (expected \"state.<param>.<name>\" or \"param_groups.<group>.<option>\").");
                continue;
            }
            if (parts[0] == "param_groups")
            {
                if (index >= _groups.Length)
                {
                    problems.Add($"loaded state dict has a different number of parameter groups: key \"{key}\" names group {index}, but the optimizer has {_groups.Length}.");
                    continue;
                }
                if (parts[2] == "params")
                {
                    paramsSeen[index] = true;
                    int expected = _groups[index].ParameterArray.Length;
                    if (tensor.DType != DType.Int64 || tensor.Rank != 1)
                        problems.Add($"\"{key}\" must be a 1-D int64 tensor of parameter indices, got {Tensor.Name(tensor.DType)} with shape {Shapes.Format(tensor.ShapeSpan)}.");
                    else if (tensor.NumEl != expected)
                        problems.Add($"loaded state dict contains a parameter group that doesn't match the size of optimizer's group: group {index} has {tensor.NumEl} parameters in the state dict and {expected} in the optimizer.");
                    else
                    {
                        int first = FirstIndex(index);
                        var ids = tensor.Int64Data;
                        for (int k = 0; k < ids.Length; k++)
                            if (ids[k] != first + k)
                            {
                                problems.Add($"\"{key}\" lists parameter {ids[k]} at position {k}; expected {first + k}.");
                                break;
                            }
                    }
                }
                else if (tensor.DType != DType.Int64 || tensor.NumEl != 1)
                    problems.Add($"Option \"{key}\" must be an int64 scalar holding float64 bits, got {Tensor.Name(tensor.DType)} with shape {Shapes.Format(tensor.ShapeSpan)}.");
                else
                    groupOptions[index][parts[2]] = BitConverter.Int64BitsToDouble(tensor.Int64Data[0]);
            }
            else if (parts[0] == "state")
            {
                if (index >= _params.Length)
                {
                    problems.Add($"State key \"{key}\" names parameter {index}, but the optimizer has {_params.Length} parameters.");
                    continue;
                }
                if (!stateKeys.TryGetValue(index, out var entries)) stateKeys[index] = entries = new(StringComparer.Ordinal);
                entries[parts[2]] = tensor;
            }
            else problems.Add($"Unexpected key \"{key}\" (expected \"state.<param>.<name>\" or \"param_groups.<group>.<option>\").");
        }

        // Validate the loaded options with the optimizer's own rules, on detached copies of the groups.
        var trial = new ParamGroup[_groups.Length];
        for (int g = 0; g < _groups.Length; g++)
        {
            if (!paramsSeen[g]) problems.Add($"Missing key \"param_groups.{g}.params\": the state dict has fewer parameter groups than the optimizer ({_groups.Length}).");
            trial[g] = new ParamGroup(_groups[g].ParameterArray);
            trial[g].ReplaceOptions(groupOptions[g]);
            // initial_lr comes and goes with schedulers; every other option must match this optimizer's.
            var missing = _groups[g].Options.Keys.Where(k => !groupOptions[g].ContainsKey(k) && k != "initial_lr").ToList();
            var unexpected = groupOptions[g].Keys.Where(k => !_groups[g].Options.ContainsKey(k) && k != "initial_lr").ToList();
            foreach (var name in missing) problems.Add($"Missing key \"param_groups.{g}.{name}\".");
            foreach (var name in unexpected) problems.Add($"Unexpected key \"param_groups.{g}.{name}\" for {GetType().Name}.");
            if (missing.Count == 0)
            {
                try { Validate(trial[g]); }
                catch (ArgumentException e) { problems.Add($"param_groups.{g}: {e.Message}"); }
            }
        }

        var newState = new ParamState?[_params.Length];
        foreach (var (index, entries) in stateKeys.OrderBy(e => e.Key))
        {
            var p = _params[index];
            string[] names;
            try { names = StateNames(trial[_groupOf[index]]); }
            catch (KeyNotFoundException) { names = StateNames(_groups[_groupOf[index]]); } // options already reported
            var s = new ParamState { Buffers = new float[names.Length][] };
            for (int b = 0; b < names.Length; b++)
            {
                string key = $"state.{index}.{names[b]}";
                if (!entries.TryGetValue(names[b], out var t)) { problems.Add($"Missing key \"{key}\"."); continue; }
                if (t.DType != DType.Float32)
                    problems.Add($"\"{key}\" must be float32, got {Tensor.Name(t.DType)}.");
                else if (!t.ShapeSpan.SequenceEqual(p.ShapeSpan))
                    problems.Add($"size mismatch for \"{key}\": shape {Shapes.Format(t.ShapeSpan)} in the state dict, but parameter {index} has shape {Shapes.Format(p.ShapeSpan)}.");
                else s.Buffers[b] = t.Data.ToArray();
            }
            if (CountsSteps)
            {
                if (!entries.TryGetValue("step", out var st)) problems.Add($"Missing key \"state.{index}.step\".");
                else if (st.NumEl != 1) problems.Add($"\"state.{index}.step\" must be a scalar, got shape {Shapes.Format(st.ShapeSpan)}.");
                else s.Step = st.DType == DType.Int64 ? st.Int64Data[0] : (long)st.Item();
            }
            foreach (var name in entries.Keys)
                if (!names.Contains(name) && !(CountsSteps && name == "step"))
                    problems.Add($"Unexpected key \"state.{index}.{name}\" for {GetType().Name} (expected {string.Join(", ", names.Concat(CountsSteps ? ["step"] : Array.Empty<string>()))}).");
            newState[index] = s;
        }

        if (problems.Count > 0)
            throw new InvalidOperationException($"Error(s) in loading state_dict for {GetType().Name}:\n\t" + string.Join("\n\t", problems));
        for (int g = 0; g < _groups.Length; g++) _groups[g].ReplaceOptions(groupOptions[g]);
        Array.Copy(newState, _state, _state.Length);
    }
}
