using Xent.NN;

namespace Xent.Training;

/// <summary>Runs a model over labelled batches in evaluation mode, without autograd, and collects <see cref="EvaluationResult"/> metrics.</summary>
public static class Evaluator
{
    /// <summary>
    /// Evaluates <paramref name="model"/> (switched to eval mode for the pass and restored after) on
    /// <paramref name="batches"/> of (input, int64 class indices).
    /// </summary>
    public static EvaluationResult Evaluate(Module model, IEnumerable<(Tensor Input, Tensor Target)> batches, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        bool wasTraining = model.Training;
        model.Eval();
        var acc = new MetricsAccumulator(numClasses);
        try
        {
            using var noGrad = Tensor.NoGrad();
            foreach (var (input, target) in batches)
                acc.Add(model.Forward(input), target);
        }
        finally
        {
            model.Train(wasTraining);
        }
        return acc.Result();
    }
}
