using System.Globalization;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// What training a linear or mlp model needs at least, checked before its weights are allocated: <c>--hidden 100000000</c>
/// was accepted and grew to the memory limit before "not enough memory", and <c>--hidden 46341,46341</c> was refused by the
/// tensor library without naming the option. The cnn's size is bounded by the image size already
/// (<see cref="ModelCatalog.MaxCnnFlatSize"/>).
/// </summary>
internal static class ModelFootprint
{
    /// <summary>
    /// The refusal (without <c>error:</c>) when a layer's weights or a batch's outputs exceed what one tensor holds
    /// (<see cref="Array.MaxLength"/> values), or when the weights, their gradients, the optimizer's state and one batch's
    /// outputs take more than <paramref name="availableBytes"/>; null when the model may fit.
    /// </summary>
    /// <param name="spec">The model (its kind, input shape, hidden sizes and class count).</param>
    /// <param name="optimizer">The optimizer's name: adam, adamw and adadelta keep two values per parameter, sgd one with momentum.</param>
    /// <param name="momentum">SGD's momentum (0: no state).</param>
    /// <param name="batch">The largest batch that goes through the model (training or held-out).</param>
    /// <param name="trainBatch">The training batch, whose outputs are kept for the backward pass.</param>
    /// <param name="availableBytes">What the process may use (<see cref="ProcessMemory.Available"/>).</param>
    /// <param name="limit">What sets <paramref name="availableBytes"/>, said in the refusal, or null for the GC's own limit.</param>
    public static string? Refusal(ModelSpec spec, string optimizer, double momentum, int batch, int trainBatch, long availableBytes,
        string? limit = null)
    {
        if (spec.Model is not ("linear" or "mlp")) return null;
        long inputs = spec.InputShape.Aggregate(1L, (a, d) => a * d);
        long[] sizes = spec.Model == "linear" ? [inputs, spec.NumClasses]
            : [inputs, .. (spec.Hidden.Length > 0 ? spec.Hidden : ModelCatalog.DefaultHidden).Select(h => (long)h), spec.NumClasses];
        var ci = CultureInfo.InvariantCulture;
        string model = $"the {spec.Model} model with layer sizes {string.Join(", ", sizes.Select(s => s.ToString(ci)))}";
        string cause = spec.Model == "mlp" ? "use smaller --hidden layers" : "use fewer input features (or smaller images)";
        Int128 parameters = 0, outputs = 0;
        for (int i = 1; i < sizes.Length; i++)
        {
            Int128 weight = (Int128)sizes[i - 1] * sizes[i];
            if (weight > Array.MaxLength)
                return $"{model} would need a weight of {sizes[i - 1]} x {sizes[i]} = {weight} values for layer {i}, more than one " +
                    $"tensor holds ({Array.MaxLength}); {cause}.";
            if ((Int128)batch * sizes[i] > Array.MaxLength)
                return $"{model} would give a batch of {batch} an output of {batch} x {sizes[i]} = {(Int128)batch * sizes[i]} values at " +
                    $"layer {i}, more than one tensor holds ({Array.MaxLength}); {cause}, or a smaller --batch-size and " +
                    "--test-batch-size.";
            parameters += weight + sizes[i];
            outputs += sizes[i];
        }
        int state = optimizer switch { "sgd" => momentum != 0 ? 1 : 0, _ => 2 };
        // 4-byte floats: the weights, their gradients, the optimizer's state, and the layers' outputs for one training batch.
        Int128 bytes = 4 * (parameters * (2 + state) + trainBatch * outputs);
        if (bytes <= availableBytes) return null;
        // As many decimals as show the difference: "1.0 GB … more than the 1.0 GB" was 1.028 against 1.024 (qa-s20-a L5).
        int digits = 1;
        while (digits < 9 && Gb(bytes, digits) == Gb(availableBytes, digits)) digits++;
        return $"{model} has {parameters} parameters; training it with {optimizer} takes at least {Gb(bytes, digits)} GB (the " +
            $"weights, their gradients, {optimizer}'s state and a batch of {trainBatch}'s outputs), more than the " +
            $"{Gb(availableBytes, digits)} GB this " +
            $"process may use{(limit is null ? "" : $" ({limit})")}; {cause}.";
    }

    private static string Gb(Int128 bytes, int digits) =>
        ((double)bytes / 1e9).ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
