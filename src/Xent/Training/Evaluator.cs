using Xent.NN;

namespace Xent.Training;

/// <summary>
/// Runs a model over labelled batches in evaluation mode, without autograd, and collects <see cref="EvaluationResult"/> metrics.
/// </summary>
public static class Evaluator
{
    /// <summary>
    /// Input values per forward pass at most: a test batch of 1000 large images would otherwise hold every layer's activations
    /// for all of them at once. <c>xent eval</c> of 20,000 64×64 RGB images through the CNN peaked at 2.1 GB in one pass per
    /// batch, 0.95 GB in passes of 2^21 values (170 images) and 0.79 GB in passes of 2^20, which cost 5% more time. The
    /// PyTorch tutorial's batch of 1000 28×28 images (784,000 values) stays one pass.
    /// </summary>
    internal const int MaxValuesPerPass = 1 << 21;

    /// <summary>
    /// Evaluates <paramref name="model"/> (switched to eval mode for the pass and restored after) on
    /// <paramref name="batches"/> of (input, int64 class indices), or of (input, float32 (N, L) 0/1 labels) when
    /// <paramref name="multiLabel"/>.
    /// </summary>
    public static EvaluationResult Evaluate(Module model, IEnumerable<(Tensor Input, Tensor Target)> batches, int numClasses,
        bool multiLabel = false) => Evaluate(model, batches, numClasses, multiLabel, MaxValuesPerPass);

    /// <summary>
    /// <see cref="Evaluate(Module, IEnumerable{ValueTuple{Tensor, Tensor}}, int, bool)"/> with a batch run in forward passes of at
    /// most <paramref name="maxValuesPerPass"/> input values. The metrics add up sample by sample, so they are the same for
    /// any value.
    /// </summary>
    internal static EvaluationResult Evaluate(Module model, IEnumerable<(Tensor Input, Tensor Target)> batches, int numClasses,
        bool multiLabel, int maxValuesPerPass)
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
            {
                int n = input.Size(0), perSample = n == 0 ? 0 : input.Data.Length / n;
                int rows = Math.Max(1, maxValuesPerPass / Math.Max(1, perSample));
                if (rows >= n)
                {
                    // One pass, the batch as given: the accumulators check that the targets fit it.
                    var output = model.Forward(input);
                    if (multi is not null) multi.Add(output, target);
                    else acc!.Add(output, target);
                    continue;
                }
                for (int r0 = 0; r0 < n; r0 += rows)
                {
                    int m = Math.Min(rows, n - r0);
                    var output = model.Forward(Rows(input, r0, m, perSample)).Data;
                    if (multi is not null)
                    {
                        int labels = target.Data.Length / n;
                        multi.Add(output, target.Data.Slice(r0 * labels, m * labels));
                    }
                    else acc!.Add(output, target.Int64Data.Slice(r0, m));
                }
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return multi?.Result() ?? acc!.Result();
    }

    /// <summary>Rows [r0, r0 + m) of <paramref name="input"/> as a tensor of their own (a copy: tensors have no views).</summary>
    internal static Tensor Rows(Tensor input, int r0, int m, int perSample)
    {
        int[] shape = input.Shape;
        shape[0] = m;
        return new Tensor(input.Data.Slice(r0 * perSample, m * perSample).ToArray(), shape);
    }
}
