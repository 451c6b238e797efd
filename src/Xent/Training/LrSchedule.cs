namespace Xent.Training;

/// <summary>
/// A learning-rate schedule applied by <see cref="Trainer"/> before every optimizer step, as a factor of each group's base
/// rate: an optional linear warm-up over the first <see cref="WarmupSteps"/> steps (factor (s+1)/W), then
/// <c>step</c> (×<see cref="Gamma"/> every <see cref="StepEpochs"/> epochs, as PyTorch's own MNIST script's StepLR(1, 0.7))
/// or <c>cosine</c> (half a cosine from 1 to 0 over the remaining steps), or <c>none</c> (constant).
/// The factor depends only on (epoch, batch), so a resumed run gets the same rates.
/// </summary>
public sealed record LrSchedule
{
    /// <summary>The schedule kinds.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["none", "step", "cosine"];

    /// <summary><c>none</c>, <c>step</c> or <c>cosine</c>.</summary>
    public string Kind { get; init; } = "none";

    /// <summary>Linear warm-up steps (batches); 0 for none.</summary>
    public int WarmupSteps { get; init; }

    /// <summary><c>step</c>: multiply the rate by this every <see cref="StepEpochs"/> epochs.</summary>
    public double Gamma { get; init; } = 0.7;

    /// <summary><c>step</c>: epochs between decays.</summary>
    public int StepEpochs { get; init; } = 1;

    /// <summary>True when the rate never changes (no schedule, no warm-up): the trainer then leaves the optimizer alone.</summary>
    public bool IsConstant => Kind == "none" && WarmupSteps == 0;

    /// <summary>
    /// The factor for 1-based <paramref name="epoch"/> and <paramref name="batch"/>, with <paramref name="batchesPerEpoch"/> steps in each
    /// of <paramref name="epochs"/> epochs.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown kind.</exception>
    public double Factor(int epoch, int batch, int batchesPerEpoch, int epochs)
    {
        long step = (long)(epoch - 1) * batchesPerEpoch + (batch - 1);
        long total = (long)epochs * batchesPerEpoch;
        double warm = step < WarmupSteps ? (step + 1.0) / WarmupSteps : 1.0;
        double decay = Kind switch
        {
            "none" => 1.0,
            "step" => Math.Pow(Gamma, (epoch - 1) / Math.Max(1, StepEpochs)),
            "cosine" => step < WarmupSteps ? 1.0 : 0.5 * (1 + Math.Cos(Math.PI * (step - WarmupSteps) / Math.Max(1, total - WarmupSteps))),
            _ => throw new ArgumentException($"Unknown learning-rate schedule '{Kind}'; expected one of {string.Join(", ", Kinds)}."),
        };
        return warm * decay;
    }
}
