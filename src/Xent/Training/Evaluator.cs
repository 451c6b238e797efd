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
            {
                var output = model.Forward(input);
                if (multi is not null) multi.Add(output, target);
                else acc!.Add(output, target);
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return multi?.Result() ?? acc!.Result();
    }
}
