using Xent.NN;

namespace Xent.Optim;

/// <summary>
/// Base of the optimizers: owns the parameter groups and the per-parameter state, clears gradients,
/// and saves/loads its state as flat named tensors so that a checkpoint can hold model and optimizer together
/// (Optimizer.StateDict.cs).
/// </summary>
/// <remarks>
/// Like PyTorch, a parameter whose <see cref="Tensor.Grad"/> is null is skipped by <see cref="Step"/>, and its
/// state is created lazily on its first update. Parameters are indexed across groups in order (group 0's
/// first parameter is 0), which is how <see cref="StateDict"/> names them. A parameter listed more than once in one
/// group is accepted with PyTorch 1.13's warning and updated once per listing, all listings sharing one state, which
/// is named by the index of its last listing (as PyTorch's <c>state_dict</c> names it).
/// </remarks>
public abstract partial class Optimizer
{
    private readonly ParamGroup[] _groups;
    private readonly Parameter[] _params;
    private readonly int[] _groupOf;
    private readonly ParamState?[] _state;

    /// <summary>
    /// For each parameter index, the index its state is kept and saved under: itself, or for a parameter listed more than
    /// once in its group, the index of its last listing (the others keep no state of their own).
    /// </summary>
    private readonly int[] _stateIndex;

    /// <summary>Per-parameter state: a step count (where the optimizer counts) and buffers shaped like the parameter.</summary>
    protected internal sealed class ParamState
    {
        /// <summary>Number of updates applied to the parameter.</summary>
        public long Step;

        /// <summary>Buffers in the order of <see cref="StateNames"/>.</summary>
        public float[][] Buffers = [];

        /// <summary>The <see cref="Sgd"/> step that created this state (0: an earlier one, or loaded).</summary>
        internal long CreatedInStep;
    }

    /// <summary>
    /// Builds the groups and fills every option missing from a group with the one <paramref name="defaults"/> sets
    /// (a group without parameters that holds the optimizer's default options, like PyTorch's <c>defaults</c> dict).
    /// </summary>
    /// <exception cref="ArgumentException">No groups (PyTorch's "optimizer got an empty parameter list"; a group without
    /// parameters is accepted, as in PyTorch), or a parameter in two groups.</exception>
    protected Optimizer(IEnumerable<ParamGroup> groups, ParamGroup defaults)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(defaults);
        _groups = groups.ToArray();
        // PyTorch refuses only an empty list; SGD([{"params": []}]) is a valid optimizer that updates nothing.
        if (_groups.Length == 0) throw new ArgumentException("optimizer got an empty parameter list");
        var inEarlierGroup = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        var all = new List<Parameter>();
        var groupOf = new List<int>();
        var stateIndex = new List<int>();
        for (int gi = 0; gi < _groups.Length; gi++)
        {
            var group = _groups[gi] ?? throw new ArgumentNullException(nameof(groups), $"Parameter group {gi} is null.");
            var lastListing = new Dictionary<Parameter, int>(ReferenceEqualityComparer.Instance);
            int first = all.Count;
            foreach (var p in group.ParameterArray)
            {
                if (p.DType != DType.Float32) throw new ArgumentException("optimizer can only optimize float32 tensors");
                lastListing[p] = all.Count;
                all.Add(p);
                groupOf.Add(gi);
            }
            for (int i = first; i < all.Count; i++) stateIndex.Add(lastListing[all[i]]);
            // PyTorch 1.13's add_param_group: warn about a repeat within the group, then refuse one shared with another group.
            if (lastListing.Count < all.Count - first)
                Diagnostics.Warnings.Warn("optimizer.duplicate-parameters", "optimizer contains a parameter group with duplicate " +
                    "parameters; in future, this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more information");
            if (lastListing.Keys.Any(inEarlierGroup.Contains))
                throw new ArgumentException("some parameters appear in more than one parameter group");
            inEarlierGroup.UnionWith(lastListing.Keys);
            group.FillDefaults(defaults);
        }
        _params = [.. all];
        _groupOf = [.. groupOf];
        _stateIndex = [.. stateIndex];
        _state = new ParamState?[_params.Length];
    }

    /// <summary>Wraps <paramref name="parameters"/> in a single group.</summary>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> is empty ("optimizer got an empty parameter list").
    /// </exception>
    protected Optimizer(IEnumerable<Parameter> parameters, ParamGroup defaults)
        : this([SingleGroup(parameters)], defaults) { }

    /// <summary>PyTorch's <c>SGD(params)</c> with a list of tensors: refused when the list is empty.</summary>
    private static ParamGroup SingleGroup(IEnumerable<Parameter> parameters)
    {
        var group = new ParamGroup(parameters ?? throw new ArgumentNullException(nameof(parameters)));
        return group.ParameterArray.Length == 0 ? throw new ArgumentException("optimizer got an empty parameter list") : group;
    }

    /// <summary>The parameter groups (PyTorch's <c>param_groups</c>); their options can be changed between steps.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>
    /// The learning rate of the first group; setting it sets every group's (what schedulers do).
    /// </summary>
    /// <exception cref="ArgumentException">The value is negative or NaN ("Invalid learning rate: -1"), as the constructors
    /// refuse it.</exception>
    public double LearningRate
    {
        get => _groups[0].Lr;
        set
        {
            OptionChecks.LearningRate(value);
            foreach (var g in _groups) g.Lr = value;
        }
    }

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    /// <exception cref="InvalidOperationException">A parameter's gradient does not have the parameter's size.</exception>
    public abstract void Step();

    /// <summary>Sets every gradient to zero in place (buffers are kept to avoid allocating), like
    /// <c>zero_grad(set_to_none=False)</c>.</summary>
    /// <remarks>Throws nothing of its own: parameters without a gradient are skipped.</remarks>
    public void ZeroGrad()
    {
        foreach (var p in _params) p.Grad?.Data.Clear();
    }

    /// <summary>Names of the per-parameter buffers for parameters of <paramref name="group"/>, e.g. <c>exp_avg</c>,
    /// <c>exp_avg_sq</c>.</summary>
    protected abstract string[] StateNames(ParamGroup group);

    /// <summary>
    /// Names of every buffer a state may hold for parameters of <paramref name="group"/>, <see cref="StateNames"/> first:
    /// as in PyTorch, a buffer that an option created stays in the state (and in <see cref="StateDict"/>) after the
    /// option is switched off, such as SGD's <c>momentum_buffer</c> at momentum 0 or Adam's <c>max_exp_avg_sq</c>
    /// without amsgrad.
    /// </summary>
    private protected virtual string[] AllStateNames(ParamGroup group) => StateNames(group);

    /// <summary>Whether the state includes a step count (<c>state.{i}.step</c>).</summary>
    protected abstract bool CountsSteps { get; }

    /// <summary>Throws <see cref="ArgumentException"/> with PyTorch's wording when an option of <paramref name="group"/> is
    /// invalid.</summary>
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
            throw new InvalidOperationException($"The gradient has shape {Shapes.Format(g.ShapeSpan)} but its parameter has shape " +
                $"{Shapes.Format(p.ShapeSpan)}.");
        grad = g.Data;
        return true;
    }

    /// <summary>The state of parameter <paramref name="index"/>, created with zeroed buffers on first use (one state for
    /// all listings of a parameter listed more than once).</summary>
    protected ParamState GetState(int index, ParamGroup group, out bool created)
    {
        index = _stateIndex[index];
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
                $"Parameter {index} has no '{names[^1]}' state: an option that adds state (such as amsgrad) was switched on after its " +
                    $"first step.");
        return s;
    }
}
