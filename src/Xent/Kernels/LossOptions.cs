namespace Xent.Kernels;

/// <summary>
/// The checks on the options shared by the cross-entropy family (reduction, label smoothing, z-loss; softcap's is
/// <see cref="SoftcapKernel.ValidateCap"/>), written once so every entry point rejects the same values with
/// the same message.
/// </summary>
internal static class LossOptions
{
    /// <summary>Throws <see cref="ArgumentException"/> (PyTorch's message) unless ε is in [0, 1].</summary>
    public static void CheckLabelSmoothing(float labelSmoothing)
    {
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentException($"label_smoothing must be between 0.0 and 1.0. Got: {labelSmoothing}", nameof(labelSmoothing));
    }

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> for a value outside the enum (a cast int): the reductions'
    /// switches would otherwise silently take it as their default case, the mean.
    /// </summary>
    public static void CheckReduction(Reduction reduction)
    {
        if (reduction is not (Reduction.None or Reduction.Mean or Reduction.Sum))
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction,
                $"reduction must be None, Mean or Sum, but got {(int)reduction}.");
    }

    /// <inheritdoc cref="CheckReduction(Reduction)"/>
    public static void CheckReduction(KlDivReduction reduction)
    {
        if (reduction is not (KlDivReduction.None or KlDivReduction.Mean or KlDivReduction.Sum or KlDivReduction.BatchMean))
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction,
                $"reduction must be None, Mean, Sum or BatchMean, but got {(int)reduction}.");
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless the z-loss scale is finite and non-negative.</summary>
    public static void CheckZLossScale(float zLossScale)
    {
        if (!(zLossScale >= 0f) || float.IsPositiveInfinity(zLossScale))
            throw new ArgumentOutOfRangeException(nameof(zLossScale), zLossScale, "zLossScale must be finite and non-negative.");
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless a focal loss's γ is finite and non-negative.</summary>
    public static void CheckGamma(float gamma)
    {
        if (!(gamma >= 0f) || float.IsPositiveInfinity(gamma))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be finite and non-negative.");
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless a distillation temperature is finite and positive.</summary>
    public static void CheckTemperature(float temperature)
    {
        if (!(temperature > 0f) || float.IsPositiveInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be finite and positive.");
    }
}
