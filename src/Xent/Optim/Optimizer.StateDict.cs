using System.Globalization;

namespace Xent.Optim;

public abstract partial class Optimizer
{
    /// <summary>
    /// A snapshot of the optimizer: <c>state.{i}.{buffer}</c> (float32, the parameter's shape), <c>state.{i}.step</c>
    /// (int64 scalar), <c>param_groups.{g}.params</c> (int64 indices of the group's parameters) and one
    /// <c>param_groups.{g}.{option}</c> per option. As in PyTorch's <c>state_dict</c>, a parameter listed more than once in
    /// a group is named by the index of its last listing, in <c>params</c> and in <c>state</c>.
    /// </summary>
    /// <remarks>
    /// Options are float64 in memory but tensors hold float32/int64, so each option is stored as an int64 scalar
    /// holding the IEEE-754 bit pattern of the double (<see cref="BitConverter.DoubleToInt64Bits"/>): a resumed
    /// run then uses exactly the same learning rate. The returned tensors are copies.
    /// </remarks>
    public Dictionary<string, Tensor> StateDict() => Snapshot(copy: true);

    /// <summary>
    /// <see cref="StateDict"/>, whose state tensors share the optimizer's buffers when <paramref name="copy"/> is false: a
    /// checkpoint written at once needs no second copy of adam's two buffers per parameter (a model that fit in memory to train
    /// ran out of it at its first save).
    /// </summary>
    internal Dictionary<string, Tensor> Snapshot(bool copy)
    {
        var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < _params.Length; i++)
        {
            var s = _state[i];
            if (s is null) continue;
            // Every buffer the state holds, also one its group's options no longer use (PyTorch keeps and saves those).
            var names = AllStateNames(_groups[_groupOf[i]]);
            if (s.Buffers.Length < names.Length) names = names[..s.Buffers.Length];
            for (int b = 0; b < names.Length; b++)
                dict[$"state.{i}.{names[b]}"] = new Tensor(copy ? (float[])s.Buffers[b].Clone() : s.Buffers[b], _params[i].Shape);
            if (CountsSteps) dict[$"state.{i}.step"] = Tensor.Scalar(s.Step);
        }
        for (int g = 0; g < _groups.Length; g++)
        {
            int first = FirstIndex(g), n = _groups[g].ParameterArray.Length;
            var indices = new long[n];
            for (int k = 0; k < n; k++) indices[k] = _stateIndex[first + k];
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
        var (groupEntries, stateEntries) = SortKeys(stateDict, problems);
        var groups = new ParamGroup[_groups.Length];
        for (int g = 0; g < groups.Length; g++) groups[g] = ReadGroup(g, groupEntries[g], problems);
        var state = new ParamState?[_params.Length];
        foreach (var (index, entries) in stateEntries.OrderBy(e => e.Key))
            state[index] = ReadParamState(index, entries, groups[_groupOf[index]], problems);
        if (problems.Count > 0)
            throw new InvalidOperationException($"Error(s) in loading state_dict for " +
                $"{GetType().Name}:\n\t" + string.Join("\n\t", problems));
        for (int g = 0; g < _groups.Length; g++) _groups[g].CopyOptionsFrom(groups[g]);
        Array.Copy(state, _state, _state.Length);
    }

    private const string KeyForms = "(expected \"state.<param>.<name>\" or \"param_groups.<group>.<option>\")";

    /// <summary>Splits the keys into each group's entries and each parameter's, by the index in the key.</summary>
    private (Dictionary<string, Tensor>[] Groups, Dictionary<int, Dictionary<string, Tensor>> States) SortKeys(
        IReadOnlyDictionary<string, Tensor> stateDict, List<string> problems)
    {
        var groups = new Dictionary<string, Tensor>[_groups.Length];
        for (int g = 0; g < groups.Length; g++) groups[g] = new(StringComparer.Ordinal);
        var states = new Dictionary<int, Dictionary<string, Tensor>>();
        foreach (var (key, tensor) in stateDict)
        {
            var parts = key.Split('.');
            if (parts.Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
                || parts[0] is not ("param_groups" or "state"))
                problems.Add($"Unexpected key \"{key}\" {KeyForms}.");
            else if (parts[0] == "param_groups" && index >= _groups.Length)
                problems.Add($"loaded state dict has a different number of parameter groups: key \"{key}\" names group {index}, but the " +
                    $"optimizer has {_groups.Length}.");
            else if (parts[0] == "param_groups")
                groups[index][parts[2]] = tensor;
            else if (index >= _params.Length)
                problems.Add($"State key \"{key}\" names parameter {index}, but the optimizer has {_params.Length} parameters.");
            else if (_stateIndex[index] != index)
                problems.Add($"State key \"{key}\" names parameter {index}, which its group lists again at {_stateIndex[index]}: its " +
                    $"state is saved under {_stateIndex[index]}.");
            else
            {
                if (!states.TryGetValue(index, out var entries)) states[index] = entries = new(StringComparer.Ordinal);
                entries[parts[2]] = tensor;
            }
        }
        return (groups, states);
    }

    /// <summary>
    /// Group <paramref name="g"/> as the state dict describes it: a detached copy whose options are the saved ones,
    /// checked against this optimizer's option set and validated with its own rules.
    /// </summary>
    private ParamGroup ReadGroup(int g, Dictionary<string, Tensor> entries, List<string> problems)
    {
        var current = _groups[g];
        var loaded = new ParamGroup(current.ParameterArray); // no options yet
        if (entries.Remove("params", out var ids)) CheckParamIds(g, ids, problems);
        else problems.Add($"Missing key \"param_groups.{g}.params\": the state dict has fewer parameter groups than the optimizer " +
            $"({_groups.Length}).");
        foreach (var (name, tensor) in entries)
        {
            string key = $"param_groups.{g}.{name}";
            if (tensor.DType != DType.Int64 || tensor.NumEl != 1)
                problems.Add($"Option \"{key}\" must be an int64 scalar holding float64 bits, got {Tensor.Name(tensor.DType)} with shape " +
                    $"{Shapes.Format(tensor.ShapeSpan)}.");
            // initial_lr comes and goes with schedulers; every other option must be one this optimizer uses.
            else if (ParamGroup.TryLookup(name, out var option) && (current.Has(option) || option == GroupOption.InitialLr))
                loaded[option] = BitConverter.Int64BitsToDouble(tensor.Int64Data[0]);
            else problems.Add($"Unexpected key \"{key}\" for {GetType().Name}.");
        }
        int missing = 0;
        for (int i = 0; i < ParamGroup.OptionNames.Length; i++)
        {
            var option = (GroupOption)i;
            if (option == GroupOption.InitialLr || !current.Has(option) || loaded.Has(option)) continue;
            problems.Add($"Missing key \"param_groups.{g}.{ParamGroup.OptionNames[i]}\".");
            missing++;
        }
        if (missing == 0)
        {
            try { Validate(loaded); }
            catch (ArgumentException e) { problems.Add($"param_groups.{g}: {e.Message}"); }
        }
        return loaded;
    }

    /// <summary>Checks <c>param_groups.{g}.params</c>: this group's parameter indices, in order.</summary>
    private void CheckParamIds(int g, Tensor ids, List<string> problems)
    {
        string key = $"param_groups.{g}.params";
        int expected = _groups[g].ParameterArray.Length;
        if (ids.DType != DType.Int64 || ids.Rank != 1)
        {
            problems.Add($"\"{key}\" must be a 1-D int64 tensor of parameter indices, got {Tensor.Name(ids.DType)} with shape " +
                $"{Shapes.Format(ids.ShapeSpan)}.");
            return;
        }
        if (ids.NumEl != expected)
        {
            problems.Add($"loaded state dict contains a parameter group that doesn't match the size of optimizer's group: group {g} has " +
                $"{ids.NumEl} parameters in the state dict and {expected} in the optimizer.");
            return;
        }
        int first = FirstIndex(g);
        var values = ids.Int64Data;
        for (int k = 0; k < values.Length; k++)
            if (values[k] != _stateIndex[first + k])
            {
                problems.Add($"\"{key}\" lists parameter {values[k]} at position {k}; expected {_stateIndex[first + k]}.");
                return;
            }
    }

    /// <summary>A saved step count (int64, or float32 as PyTorch's Adam stores it) when it is a whole number >= 0, else null.</summary>
    private static long? StepCount(Tensor step)
    {
        if (step.DType == DType.Int64) return step.Int64Data[0] is >= 0 and var n ? n : null;
        double v = step.Item();
        return v >= 0 && v == Math.Floor(v) && v < 9.2e18 ? (long)v : null; // also false for NaN and infinity
    }

    private static string StepText(Tensor step) => step.DType == DType.Int64
        ? step.Int64Data[0].ToString(CultureInfo.InvariantCulture)
        : step.Item().ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Parameter <paramref name="index"/>'s state as saved: the buffers its group's options call for, and the step.</summary>
    private ParamState ReadParamState(int index, Dictionary<string, Tensor> entries, ParamGroup group, List<string> problems)
    {
        var p = _params[index];
        string[] required, names;
        try { (required, names) = (StateNames(group), AllStateNames(group)); }
        catch (KeyNotFoundException) // the missing option is already reported
        {
            (required, names) = (StateNames(_groups[_groupOf[index]]), AllStateNames(_groups[_groupOf[index]]));
        }
        // The buffers the group's options use, then any further ones saved in order (kept after an option was switched off).
        int count = required.Length;
        while (count < names.Length && entries.ContainsKey(names[count])) count++;
        names = names[..count];
        var s = new ParamState { Buffers = new float[count][] };
        for (int b = 0; b < count; b++)
        {
            string key = $"state.{index}.{names[b]}";
            if (!entries.TryGetValue(names[b], out var t)) problems.Add($"Missing key \"{key}\".");
            else if (t.DType != DType.Float32) problems.Add($"\"{key}\" must be float32, got {Tensor.Name(t.DType)}.");
            else if (!t.ShapeSpan.SequenceEqual(p.ShapeSpan))
                problems.Add($"size mismatch for \"{key}\": shape {Shapes.Format(t.ShapeSpan)} in the state dict, but parameter {index} " +
                    $"has shape {Shapes.Format(p.ShapeSpan)}.");
            else s.Buffers[b] = t.Data.ToArray();
        }
        if (CountsSteps)
        {
            if (!entries.TryGetValue("step", out var st)) problems.Add($"Missing key \"state.{index}.step\".");
            else if (st.NumEl != 1) problems.Add($"\"state.{index}.step\" must be a scalar, got shape {Shapes.Format(st.ShapeSpan)}.");
            else if (StepCount(st) is long step) s.Step = step;
            // Bias correction divides by 1 - beta^step: a negative or fractional count is a damaged file, not a run to go on with.
            else problems.Add($"\"state.{index}.step\" must be a whole number of steps >= 0, got {StepText(st)}.");
        }
        foreach (var name in entries.Keys)
            if (!names.Contains(name) && !(CountsSteps && name == "step"))
                problems.Add($"Unexpected key \"state.{index}.{name}\" for {GetType().Name} (expected " +
                    $"{string.Join(", ", names.Concat(CountsSteps ? ["step"] : Array.Empty<string>()))}).");
        return s;
    }
}
