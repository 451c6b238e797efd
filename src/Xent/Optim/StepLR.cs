namespace Xent.Optim;

/// <summary>
/// Multiplies each group's learning rate by <see cref="Gamma"/> every <see cref="StepSize"/> epochs, like
/// PyTorch's <c>StepLR</c>: with lr 0.05, step size 30 and gamma 0.1 the rate is 0.05 for epochs 0–29,
/// 0.005 for 30–59, and so on.
/// <code>
/// var scheduler = new StepLR(optimizer, stepSize: 1, gamma: 0.7);
/// for (int epoch = 1; epoch &lt;= epochs; epoch++) { Train(...); Test(...); scheduler.Step(); }
/// </code>
/// </summary>
public sealed class StepLR : LRScheduler
{
    /// <summary>Creates the scheduler and performs step 0 (the rates are unchanged).</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="stepSize">Period of the decay, in epochs (positive).</param>
    /// <param name="gamma">Multiplicative factor of the decay.</param>
    /// <param name="lastEpoch">−1 to start (see <see cref="LRScheduler"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepSize"/> is not positive.</exception>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        if (stepSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "step_size must be a positive number of epochs.");
        StepSize = stepSize;
        Gamma = gamma;
        InitialStep();
    }

    /// <summary>Period of the decay, in epochs.</summary>
    public int StepSize { get; private set; }

    /// <summary>Multiplicative factor of the decay.</summary>
    public double Gamma { get; private set; }

    /// <inheritdoc/>
    protected override double ComputeLr(int group, double currentLr) =>
        LastEpoch == 0 || LastEpoch % StepSize != 0 ? currentLr : currentLr * Gamma;

    /// <inheritdoc/>
    protected override void SaveOwnState(Dictionary<string, Tensor> dict)
    {
        dict["step_size"] = Tensor.Scalar((long)StepSize);
        dict["gamma"] = Bits(Gamma);
    }

    /// <inheritdoc/>
    protected override void LoadOwnState(IReadOnlyDictionary<string, Tensor> dict)
    {
        long stepSize = ReadInt64(dict, "step_size");
        double gamma = ReadDoubles(dict, "gamma", 1)[0];
        if (stepSize <= 0 || stepSize > int.MaxValue)
            throw new InvalidOperationException($"Scheduler state: step_size {stepSize} must be a positive int32.");
        StepSize = (int)stepSize;
        Gamma = gamma;
    }
}
