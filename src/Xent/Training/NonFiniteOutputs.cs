namespace Xent.Training;

/// <summary>
/// The warning of an evaluation whose model gave NaN or infinite outputs for some samples: its mean (binary) cross-entropy is
/// NaN, yet its accuracy and confusion matrix count those samples, as a prediction of the first class (a NaN row's arg-max), or
/// as labels predicted absent. One text for <c>xent eval</c>'s terminal and its HTML report, which said nothing of it and
/// wrote "–" for the terminal's NaN (qa-s21-seen M4).
/// </summary>
internal static class NonFiniteOutputs
{
    /// <summary>The warning (without "Warning: "), or null when the outputs were finite (or there were no samples).</summary>
    public static string? Warning(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!double.IsNaN(result.MeanCrossEntropy) || result.Total == 0) return null;
        return "the model's outputs (logits) are not finite (NaN or infinity) for some samples: its weights are not finite, or the " +
            "inputs are too large for the model. " + (result.MultiLabel
                ? "Subset accuracy and the per-label metrics count a NaN output as its label predicted absent."
                : "Accuracy and the confusion matrix count those samples as predictions of the first class.");
    }
}
