namespace Xent.Optim;

/// <summary>
/// The option checks every optimizer's <c>Validate</c> repeats, with PyTorch's wording, so that the messages
/// stay identical across optimizers.
/// </summary>
internal static class OptionChecks
{
    /// <summary>Throws when <paramref name="group"/> lacks any of <paramref name="options"/> (checked in order).</summary>
    public static void Require(ParamGroup group, params ReadOnlySpan<GroupOption> options)
    {
        foreach (var option in options)
            if (!group.Has(option))
                throw new ArgumentException($"parameter group didn't specify a value of optimization parameter " +
                    $"{ParamGroup.OptionNames[(int)option]}");
    }

    /// <summary>
    /// Throws <c>"{what}: {value}"</c> unless <paramref name="value"/> ≥ 0 (NaN fails, as in PyTorch's <c>not 0.0 &lt;= x</c>).
    /// </summary>
    public static void NonNegative(double value, string what)
    {
        if (!(value >= 0)) throw new ArgumentException($"{what}: {ParamGroup.Format(value)}");
    }

    /// <summary>The learning-rate check all optimizers start with.</summary>
    public static void LearningRate(double lr) => NonNegative(lr, "Invalid learning rate");

    /// <summary>The L2-penalty check.</summary>
    public static void WeightDecay(double wd) => NonNegative(wd, "Invalid weight_decay value");

    /// <summary>The epsilon check.</summary>
    public static void Epsilon(double eps) => NonNegative(eps, "Invalid epsilon value");
}
