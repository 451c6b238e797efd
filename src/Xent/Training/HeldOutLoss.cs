using System.Globalization;

namespace Xent.Training;

/// <summary>
/// How the training loss and the held-out ("test") loss of <c>xent train</c> differ. The held-out loss after each epoch is the
/// plain mean cross-entropy (binary cross-entropy for multi-label), as the PyTorch tutorial's <c>test()</c> computes it, and is
/// what <c>--patience</c> watches; the training loss is the loss minimised, with label smoothing, class weights, the focal term
/// or pos_weight in it. With any of those the two curves are different losses, which the log and the report then say.
/// </summary>
internal static class HeldOutLoss
{
    /// <summary>
    /// What the training loss includes that the held-out loss does not ("label smoothing 0.2", "pos_weight (--pos-weight
    /// auto)", …), joined into one phrase; null when the two are the same loss.
    /// </summary>
    public static string? TrainingOnlyTerms(bool multiLabel, string lossName, float? focalGamma, float labelSmoothing,
        string classWeights, string posWeight)
    {
        var ci = CultureInfo.InvariantCulture;
        var terms = new List<string>();
        if (multiLabel)
        {
            if (posWeight != "none") terms.Add($"pos_weight (--pos-weight {posWeight})");
        }
        else
        {
            // Focal loss with gamma 0 is cross-entropy (F.CrossEntropy computes it).
            float gamma = focalGamma ?? 2f;
            if (lossName == "focal" && gamma != 0f) terms.Add($"the focal term (gamma {gamma.ToString("R", ci)})");
            if (labelSmoothing != 0f) terms.Add($"label smoothing {labelSmoothing.ToString("R", ci)}");
            if (classWeights != "none") terms.Add($"{classWeights} class weights");
        }
        return terms.Count switch
        {
            0 => null,
            1 => terms[0],
            _ => string.Join(", ", terms[..^1]) + " and " + terms[^1],
        };
    }

    /// <summary>The held-out loss's short name where it stands beside the training loss: "plain CE" or "plain BCE".</summary>
    public static string ShortName(bool multiLabel) => multiLabel ? "plain BCE" : "plain CE";

    /// <summary>The one line that says how the losses differ, given <see cref="TrainingOnlyTerms"/>'s phrase.</summary>
    public static string Note(string terms, bool multiLabel) =>
        $"The train loss includes {terms}; the test loss is plain " +
        (multiLabel ? "binary cross-entropy, without it." : "cross-entropy, as the PyTorch tutorial's test() computes it.");
}
