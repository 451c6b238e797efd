namespace Xent.Training;

/// <summary>One equal-width confidence bin of a reliability diagram.</summary>
/// <param name="Lower">Lower edge (exclusive, except 0 for the first bin).</param>
/// <param name="Upper">Upper edge (inclusive).</param>
/// <param name="Count">Samples whose confidence falls in the bin.</param>
/// <param name="MeanConfidence">Their mean confidence (NaN when empty).</param>
/// <param name="Accuracy">The fraction of them predicted correctly (NaN when empty).</param>
public sealed record ReliabilityBin(double Lower, double Upper, long Count, double MeanConfidence, double Accuracy);
