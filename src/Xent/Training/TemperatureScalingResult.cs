namespace Xent.Training;

/// <summary>What <see cref="TemperatureScaling.Fit"/> found: the temperature and the calibration it buys.</summary>
/// <param name="Temperature">The fitted T &gt; 0: probabilities are softmax(logits / T).</param>
/// <param name="NllBefore">Mean cross-entropy at T = 1.</param>
/// <param name="NllAfter">Mean cross-entropy at the fitted T (never above <paramref name="NllBefore"/> unless T = 1 lies outside the search
/// range).</param>
/// <param name="EceBefore">Expected calibration error at T = 1.</param>
/// <param name="EceAfter">Expected calibration error at the fitted T.</param>
/// <param name="Evaluations">Passes over the logits the search made.</param>
/// <param name="Samples">Number of samples it was fitted on.</param>
public sealed record TemperatureScalingResult(double Temperature, double NllBefore, double NllAfter, double EceBefore, double EceAfter,
    int Evaluations, int Samples);
