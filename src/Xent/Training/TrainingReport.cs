namespace Xent.Training;

/// <summary>What <see cref="ReportWriter"/> renders: the run's settings, its metrics rows and the final evaluation.</summary>
/// <param name="Title">Heading of the page.</param>
/// <param name="Settings">Name/value pairs shown in a table (model, optimizer, lr, ...), in order.</param>
/// <param name="ClassNames">One name per class, in label order.</param>
/// <param name="Rows">The rows of <c>metrics.csv</c>.</param>
/// <param name="BatchesPerEpoch">Training batches per epoch, to place interval rows on a fractional-epoch axis.</param>
/// <param name="Final">The final test evaluation (confusion matrix, per-class accuracy), or null when no epoch finished.</param>
public sealed record TrainingReport(
    string Title,
    IReadOnlyList<KeyValuePair<string, string>> Settings,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<MetricsRow> Rows,
    int BatchesPerEpoch,
    EvaluationResult? Final)
{
    /// <summary>The loss chart's legend for the held-out loss: "test", or a name that says it is not the training loss.</summary>
    internal string TestLossName { get; init; } = "test";

    /// <summary>A line under the loss chart that says how the two losses differ; null when they are the same loss.</summary>
    internal string? LossNote { get; init; }

    /// <summary>
    /// A line under the summary: a stop by a NaN loss or early stopping, and which epoch best.safetensors holds; null for none.
    /// </summary>
    internal string? RunNote { get; init; }

    /// <summary>
    /// The warnings the run printed (without "Warning: "), in order, shown in the page's Warnings section above the summary; the
    /// writer adds the one about non-finite outputs (<see cref="NonFiniteOutputs"/>) itself, last, as the terminal says it.
    /// </summary>
    internal IReadOnlyList<string> Warnings { get; init; } = [];
}
