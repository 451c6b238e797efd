using Xent.Training;

namespace Xent.Onnx;

/// <summary>
/// What an exported graph takes and gives besides the model's layers: the shape of one raw input sample, the
/// standardisation applied to it inside the graph, the output names, and how <c>probabilities</c> are made from
/// <c>logits</c>. <see cref="FromSpec"/> fills it from a checkpoint's <see cref="ModelSpec"/>.
/// </summary>
public sealed record OnnxExportOptions
{
    /// <summary>Shape of one raw input sample without the batch dimension: (C, H, W) for images, (F) for feature vectors.</summary>
    public required int[] InputShape { get; init; }

    /// <summary>
    /// Per-channel (images) or per-feature means; with <see cref="Std"/> the graph computes <c>(input − Mean) / Std</c>
    /// before the first layer, in float32 as Xent's <c>Normalize</c> does. Null (with <see cref="Std"/> null) when the
    /// model takes its input as is.
    /// </summary>
    public float[]? Mean { get; init; }

    /// <summary>
    /// True when a missing value, passed as NaN, stands for the training mean (what <c>--missing mean</c> does to empty CSV
    /// cells): the graph replaces NaN inputs by <see cref="Mean"/> before standardising, so they reach the model as 0.
    /// Needs <see cref="Mean"/>.
    /// </summary>
    public bool ImputeMissing { get; init; }

    /// <summary>Per-channel or per-feature standard deviations (positive), same length as <see cref="Mean"/>; null with it.</summary>
    public float[]? Std { get; init; }

    /// <summary>Output names in logit order, stored in the model's metadata as <c>class_names</c> (a JSON array); null to omit.</summary>
    public string[]? ClassNames { get; init; }

    /// <summary>Names of the input features in input order, stored as <c>feature_names</c>; null to omit (images).</summary>
    public string[]? FeatureNames { get; init; }

    /// <summary>True for independent labels: <c>probabilities</c> = sigmoid(logits / T) rather than softmax(logits / T).</summary>
    public bool MultiLabel { get; init; }

    /// <summary>
    /// Temperature T (positive): <c>probabilities</c> are computed from <c>logits / T</c>. The <c>logits</c> output is
    /// always the model's raw logits, unscaled, so argmax and existing consumers of logits are unaffected. 1 means none.
    /// </summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>The graph's name (ONNX <c>graph.name</c>); defaults to the model's type name.</summary>
    public string? GraphName { get; init; }

    /// <summary>Extra <c>metadata_props</c> entries, written after the exporter's own (which they may not replace).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>
    /// Options for a checkpoint's model: its input shape, standardisation, class and feature names, multi-label flag and
    /// temperature; the spec's input kind and model name go into the metadata.
    /// </summary>
    /// <exception cref="InvalidDataException">The spec is inconsistent (<see cref="ModelSpec.Validate"/>).</exception>
    public static OnnxExportOptions FromSpec(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        return new OnnxExportOptions
        {
            InputShape = [.. spec.InputShape],
            Mean = [.. spec.Mean],
            Std = [.. spec.Std],
            ClassNames = [.. spec.ClassNames],
            FeatureNames = spec.FeatureNames is null ? null : [.. spec.FeatureNames],
            MultiLabel = spec.MultiLabel,
            ImputeMissing = spec.ImputeMissing,
            Temperature = spec.Temperature,
            GraphName = spec.Model,
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["model"] = spec.Model,
                ["input_kind"] = spec.InputKind,
            },
        };
    }

    /// <summary>Checks the options on their own (the model's fit is checked while exporting).</summary>
    /// <exception cref="ArgumentException">Names the offending option.</exception>
    internal void Validate()
    {
        if (InputShape is null || InputShape.Length == 0 || InputShape.Any(d => d < 1))
            throw new ArgumentException("ONNX export: the input shape must have at least one dimension, all positive; got " +
                $"({string.Join(", ", InputShape ?? [])}).");
        if ((Mean is null) != (Std is null))
            throw new ArgumentException("ONNX export: give both Mean and Std for standardisation, or neither.");
        if (Mean is not null && Std is not null)
        {
            if (Mean.Length != InputShape[0] || Std.Length != InputShape[0])
                throw new ArgumentException($"ONNX export: {Mean.Length} means and {Std.Length} standard deviations for an input whose " +
                    $"first dimension is {InputShape[0]} (one per channel or feature).");
            if (Std.Any(s => !(s > 0) || !float.IsFinite(s)) || Mean.Any(m => !float.IsFinite(m)))
                throw new ArgumentException("ONNX export: means must be finite and standard deviations positive and finite.");
        }
        if (ImputeMissing && Mean is null)
            throw new ArgumentException("ONNX export: ImputeMissing replaces NaN inputs by the means, so it needs Mean and Std.");
        if (!(Temperature > 0) || !float.IsFinite(Temperature))
            throw new ArgumentException($"ONNX export: the temperature must be positive and finite, got {Temperature}.");
        if (FeatureNames is not null && FeatureNames.Length != InputShape[0])
            throw new ArgumentException($"ONNX export: {FeatureNames.Length} feature names for {InputShape[0]} features.");
    }
}
