namespace Xent.Optim;

/// <summary>
/// Base of the learning-rate schedulers (PyTorch's <c>_LRScheduler</c>, chainable form): construction records
/// each group's <c>initial_lr</c> and performs step 0; each <see cref="Step"/> advances <see cref="LastEpoch"/> and
/// writes the new rates into the optimizer's groups. Call it after <see cref="Optimizer.Step"/>, once per epoch.
/// </summary>
public abstract class LRScheduler
{
    private double[] _baseLrs;
    private double[] _lastLr;

    /// <summary>
    /// Attaches to <paramref name="optimizer"/>. Derived constructors set their fields, then call <see cref="InitialStep"/>.
    /// </summary>
    /// <param name="optimizer">The optimizer whose learning rates this scheduler sets.</param>
    /// <param name="lastEpoch">−1 to start; otherwise the epoch being resumed, which requires <c>initial_lr</c> in every group.</param>
    /// <exception cref="KeyNotFoundException">Resuming (<paramref name="lastEpoch"/> ≠ −1) and a group has no
    /// <c>initial_lr</c>.</exception>
    protected LRScheduler(Optimizer optimizer, int lastEpoch)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        var groups = optimizer.ParamGroups;
        if (lastEpoch == -1)
        {
            foreach (var g in groups) g.InitialLr ??= g.Lr;
        }
        else
        {
            for (int i = 0; i < groups.Count; i++)
                if (groups[i].InitialLr is null)
                    throw new KeyNotFoundException($"param 'initial_lr' is not specified in param_groups[{i}] when resuming an optimizer");
        }
        _baseLrs = groups.Select(g => g.InitialLr!.Value).ToArray();
        _lastLr = groups.Select(g => g.Lr).ToArray();
        LastEpoch = lastEpoch;
    }

    /// <summary>The optimizer being scheduled.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Index of the last epoch stepped (0 right after construction).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Each group's learning rate when scheduling started (<c>initial_lr</c>).</summary>
    public IReadOnlyList<double> BaseLrs => _baseLrs;

    /// <summary>The learning rates set by the last step (<c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLr => _lastLr;

    /// <summary>Performs step 0; derived constructors call it once their own fields are set.</summary>
    protected void InitialStep() => Step();

    /// <summary>Advances one epoch and sets the groups' learning rates.</summary>
    public void Step()
    {
        LastEpoch++;
        var groups = Optimizer.ParamGroups;
        for (int i = 0; i < groups.Count; i++) groups[i].Lr = ComputeLr(i, groups[i].Lr);
        for (int i = 0; i < groups.Count; i++) _lastLr[i] = groups[i].Lr;
    }

    /// <summary>The learning rate of group <paramref name="group"/> at <see cref="LastEpoch"/>, given its current rate (chainable
    /// form).</summary>
    protected abstract double ComputeLr(int group, double currentLr);

    /// <summary>
    /// The scheduler's state: <c>last_epoch</c> (int64), <c>base_lrs</c> and <c>last_lr</c> (int64 float64-bit patterns, one per group),
    /// plus what <see cref="SaveOwnState"/> adds. Prefix the keys (e.g. <c>scheduler.</c>) to store them beside a model.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["last_epoch"] = Tensor.Scalar((long)LastEpoch),
            ["base_lrs"] = Bits(_baseLrs),
            ["last_lr"] = Bits(_lastLr),
        };
        SaveOwnState(dict);
        return dict;
    }

    /// <summary>Restores <see cref="StateDict"/>'s output. The optimizer's own learning rates come from its own state dict.</summary>
    /// <exception cref="InvalidOperationException">Missing keys, wrong dtypes, or another number of groups.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        int groups = Optimizer.ParamGroups.Count;
        long lastEpoch = ReadInt64(stateDict, "last_epoch");
        var baseLrs = ReadDoubles(stateDict, "base_lrs", groups);
        var lastLr = ReadDoubles(stateDict, "last_lr", groups);
        if (lastEpoch < -1 || lastEpoch > int.MaxValue)
            throw new InvalidOperationException($"Scheduler state: last_epoch {lastEpoch} is out of range.");
        LoadOwnState(stateDict);
        LastEpoch = (int)lastEpoch;
        _baseLrs = baseLrs;
        _lastLr = lastLr;
    }

    /// <summary>Adds the derived scheduler's settings to a state dict.</summary>
    protected abstract void SaveOwnState(Dictionary<string, Tensor> dict);

    /// <summary>Validates and restores the derived scheduler's settings; must not change anything if it throws.</summary>
    protected abstract void LoadOwnState(IReadOnlyDictionary<string, Tensor> dict);

    /// <summary>The float64 values as an int64 tensor of their bit patterns (tensors hold float32/int64 only).</summary>
    protected static Tensor Bits(params double[] values) =>
        Tensor.FromArray(values.Select(BitConverter.DoubleToInt64Bits).ToArray(), values.Length);

    /// <summary>Reads an int64 scalar.</summary>
    protected static long ReadInt64(IReadOnlyDictionary<string, Tensor> dict, string key)
    {
        if (!dict.TryGetValue(key, out var t)) throw new InvalidOperationException($"Scheduler state: missing key \"{key}\".");
        if (t.DType != DType.Int64 || t.NumEl != 1)
            throw new InvalidOperationException($"Scheduler state: \"{key}\" must be an int64 scalar, got {Tensor.Name(t.DType)} with " +
                $"shape {Shapes.Format(t.ShapeSpan)}.");
        return t.Int64Data[0];
    }

    /// <summary>Reads <paramref name="count"/> float64 values stored as int64 bit patterns.</summary>
    protected static double[] ReadDoubles(IReadOnlyDictionary<string, Tensor> dict, string key, int count)
    {
        if (!dict.TryGetValue(key, out var t)) throw new InvalidOperationException($"Scheduler state: missing key \"{key}\".");
        if (t.DType != DType.Int64 || t.NumEl != count)
            throw new InvalidOperationException(
                $"Scheduler state: \"{key}\" must hold {count} int64 float64-bit patterns (one per parameter group), got " +
                    $"{Tensor.Name(t.DType)} with shape {Shapes.Format(t.ShapeSpan)}.");
        var result = new double[count];
        var data = t.Int64Data;
        for (int i = 0; i < count; i++) result[i] = BitConverter.Int64BitsToDouble(data[i]);
        return result;
    }
}
