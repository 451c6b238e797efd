using Xent.NN;

namespace Xent.Training;

/// <summary>
/// Runs a model over labelled batches in evaluation mode, without autograd, and collects <see cref="EvaluationResult"/> metrics.
/// </summary>
public static class Evaluator
{
    /// <summary>
    /// Evaluates <paramref name="model"/> (switched to eval mode for the pass and restored after) on
    /// <paramref name="batches"/> of (input, int64 class indices), or of (input, float32 (N, L) 0/1 labels) when
    /// <paramref name="multiLabel"/>.
    /// </summary>
    public static EvaluationResult Evaluate(Module model, IEnumerable<(Tensor Input, Tensor Target)> batches, int numClasses,
        bool multiLabel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        bool wasTraining = model.Training;
        model.Eval();
        var acc = multiLabel ? null : new MetricsAccumulator(numClasses);
        var multi = multiLabel ? new MultiLabelAccumulator(numClasses) : null;
        try
        {
            using var noGrad = Tensor.NoGrad();
            foreach (var (input, target) in batches)
                foreach (var (part, partTarget) in Parts(input, target))
                {
                    var output = model.Forward(part);
                    if (multi is not null) multi.Add(output, partTarget);
                    else acc!.Add(output, partTarget);
                }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return multi?.Result() ?? acc!.Result();
    }

    /// <summary>
    /// Inputs per forward pass at most, counted in input values: a test batch of 1000 large images would otherwise hold every
    /// layer's activations for all of them at once. <c>xent eval</c> of 20,000 64×64 RGB images through the CNN peaked at 2.1 GB
    /// in one pass per batch, 0.95 GB in passes of 2^21 values (170 images) and 0.79 GB in passes of 2^20, which cost 5% more
    /// time. The PyTorch tutorial's batch of 1000 28×28 images (784,000 values) stays one pass. The metrics add up sample by
    /// sample, so they do not change. Tests lower it.
    /// </summary>
    internal static int MaxValuesPerPass = 1 << 21;

    /// <summary>The batch as it is, or cut along its first dimension into passes of at most <see cref="MaxValuesPerPass"/>
    /// values.</summary>
    private static IEnumerable<(Tensor Input, Tensor Target)> Parts(Tensor input, Tensor target)
    {
        int n = input.Size(0), perSample = n == 0 ? 0 : input.Data.Length / n;
        int rows = Math.Max(1, MaxValuesPerPass / Math.Max(1, perSample));
        if (rows >= n)
        {
            yield return (input, target);
            yield break;
        }
        int[] inShape = input.Shape, targetShape = target.Shape;
        int perTarget = target.Rank == 1 ? 1 : target.Size(1);
        for (int r0 = 0; r0 < n; r0 += rows)
        {
            int m = Math.Min(rows, n - r0);
            var part = new Tensor(input.Data.Slice(r0 * perSample, m * perSample).ToArray(), [m, .. inShape[1..]]);
            var partTarget = target.DType == DType.Int64
                ? new Tensor(target.Int64Data.Slice(r0, m).ToArray(), [m, .. targetShape[1..]])
                : new Tensor(target.Data.Slice(r0 * perTarget, m * perTarget).ToArray(), [m, .. targetShape[1..]]);
            yield return (part, partTarget);
        }
    }
}
