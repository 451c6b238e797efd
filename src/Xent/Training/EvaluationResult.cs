namespace Xent.Training;

/// <summary>The metrics of one evaluation pass.</summary>
/// <param name="Correct">Samples whose arg-max matches the target.</param>
/// <param name="Total">Samples evaluated.</param>
/// <param name="MeanCrossEntropy">Mean cross-entropy (natural log), float64.</param>
/// <param name="ExpectedCalibrationError">ECE with 15 equal-width bins.</param>
/// <param name="PerClassAccuracy">Recall of each class (NaN for a class without samples).</param>
/// <param name="ConfusionMatrix">Rows = true class, columns = predicted class.</param>
public sealed record EvaluationResult(
    long Correct,
    long Total,
    double MeanCrossEntropy,
    double ExpectedCalibrationError,
    double[] PerClassAccuracy,
    long[,] ConfusionMatrix)
{
    /// <summary>Correct / Total as a fraction (NaN when empty).</summary>
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;
}
