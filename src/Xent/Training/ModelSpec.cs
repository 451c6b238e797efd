using System.Globalization;

namespace Xent.Training;

/// <summary>
/// Everything a checkpoint needs besides its weights to rebuild its model and take the raw inputs a user has:
/// the architecture, the shape of one input sample, the class (or label) names, and the standardisation
/// <c>x' = (x − Mean) / Std</c> computed on the training split. Stored as <c>spec.*</c> strings in the
/// safetensors metadata, so <c>eval</c>, <c>predict</c>, <c>export</c> and <c>calibrate</c> need only the checkpoint.
/// </summary>
/// <remarks>
/// Raw inputs are what the data sources yield before standardisation: images with shape (C, H, W), as pixels in [0, 1]
/// from IDX, image files and uint8 arrays but a float array's values as they are (the spec does not record which);
/// feature vectors as float values in <see cref="FeatureNames"/> order (a one-hot encoded text column
/// contributes one feature per value, named <c>column=value</c>). <see cref="Mean"/> and <see cref="Std"/> hold one
/// value per channel for images and one per feature for feature vectors.
/// </remarks>
public sealed record ModelSpec
{
    /// <summary>Metadata key prefix of the spec's entries.</summary>
    public const string Prefix = "spec.";

    /// <summary>Input kind of images (C, H, W).</summary>
    public const string ImageInput = "image";

    /// <summary>Input kind of feature vectors (F).</summary>
    public const string FeatureInput = "features";

    /// <summary>Architecture name from <see cref="ModelCatalog.Names"/>: <c>cnn</c>, <c>linear</c> or <c>mlp</c>.</summary>
    public required string Model { get; init; }

    /// <summary><see cref="ImageInput"/> or <see cref="FeatureInput"/>.</summary>
    public required string InputKind { get; init; }

    /// <summary>Shape of one raw input sample: (C, H, W) for images, (F) for feature vectors.</summary>
    public required int[] InputShape { get; init; }

    /// <summary>
    /// Output names in logit order: class names (sorted, as the data sources order them) or, for multi-label, label names.
    /// </summary>
    public required string[] ClassNames { get; init; }

    /// <summary>Standardisation means: one per channel (images) or per feature.</summary>
    public required float[] Mean { get; init; }

    /// <summary>Standardisation standard deviations (positive), same length as <see cref="Mean"/>.</summary>
    public required float[] Std { get; init; }

    /// <summary>Hidden layer sizes of the <c>mlp</c> model (empty for the others).</summary>
    public int[] Hidden { get; init; } = [];

    /// <summary>
    /// True when the outputs are independent labels (sigmoid, BCEWithLogitsLoss) rather than exclusive classes (softmax).
    /// </summary>
    public bool MultiLabel { get; init; }

    /// <summary>Softmax temperature fitted by <c>xent calibrate</c>: probabilities are softmax(logits / T). 1 means none.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Feature names in input order (feature vectors only; null for images).</summary>
    public string[]? FeatureNames { get; init; }

    /// <summary>The label column of a CSV the model was trained on (so <c>eval</c> finds it again), or null.</summary>
    public string? TargetColumn { get; init; }

    /// <summary>True when missing feature values (empty CSV cells) are imputed with the training mean (<c>--missing mean</c>).</summary>
    public bool ImputeMissing { get; init; }

    /// <summary>Number of outputs (classes or labels).</summary>
    public int NumClasses => ClassNames.Length;

    /// <summary>The spec as <c>spec.*</c> metadata entries (invariant culture, round-trip float formatting).</summary>
    public Dictionary<string, string> ToMetadata()
    {
        var ci = CultureInfo.InvariantCulture;
        var m = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Prefix + "model"] = Model,
            [Prefix + "input_kind"] = InputKind,
            [Prefix + "input_shape"] = string.Join(",", InputShape.Select(d => d.ToString(ci))),
            [Prefix + "class_names"] = JoinNames(ClassNames),
            [Prefix + "mean"] = string.Join(",", Mean.Select(v => v.ToString("R", ci))),
            [Prefix + "std"] = string.Join(",", Std.Select(v => v.ToString("R", ci))),
            [Prefix + "hidden"] = string.Join(",", Hidden.Select(d => d.ToString(ci))),
            [Prefix + "multi_label"] = MultiLabel ? "true" : "false",
            [Prefix + "temperature"] = Temperature.ToString("R", ci),
        };
        if (FeatureNames is not null) m[Prefix + "feature_names"] = JoinNames(FeatureNames);
        if (TargetColumn is not null) m[Prefix + "target_column"] = TargetColumn;
        if (ImputeMissing) m[Prefix + "impute_missing"] = "mean";
        return m;
    }

    /// <summary>
    /// Reads a spec from checkpoint metadata, or returns null when the metadata holds none (an older or PyTorch checkpoint).
    /// </summary>
    /// <exception cref="InvalidDataException">A <c>spec.*</c> entry is missing or malformed.</exception>
    public static ModelSpec? FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.ContainsKey(Prefix + "model")) return null;
        string Get(string key) => metadata.TryGetValue(Prefix + key, out var v)
            ? v : throw new InvalidDataException($"checkpoint metadata lacks '{Prefix}{key}'.");
        var spec = new ModelSpec
        {
            Model = Get("model"),
            InputKind = Get("input_kind"),
            InputShape = ParseInts(Get("input_shape"), "input_shape"),
            ClassNames = SplitNames(Get("class_names")),
            Mean = ParseFloats(Get("mean"), "mean"),
            Std = ParseFloats(Get("std"), "std"),
            Hidden = metadata.TryGetValue(Prefix + "hidden", out var h) ? ParseInts(h, "hidden") : [],
            MultiLabel = metadata.TryGetValue(Prefix + "multi_label", out var ml) && ml == "true",
            Temperature = metadata.TryGetValue(Prefix + "temperature", out var t) ? ParseFloats(t, "temperature").Single() : 1f,
            FeatureNames = metadata.TryGetValue(Prefix + "feature_names", out var f) ? SplitNames(f) : null,
            TargetColumn = metadata.TryGetValue(Prefix + "target_column", out var tc) ? tc : null,
            ImputeMissing = metadata.TryGetValue(Prefix + "impute_missing", out var im) && im == "mean",
        };
        spec.Validate();
        return spec;
    }

    /// <summary>Checks the spec's internal consistency.</summary>
    /// <exception cref="InvalidDataException">Names the inconsistent field.</exception>
    public void Validate()
    {
        if (InputKind is not (ImageInput or FeatureInput))
            throw new InvalidDataException($"model spec: input kind '{InputKind}' is neither '{ImageInput}' nor '{FeatureInput}'.");
        if (InputShape.Length != (InputKind == ImageInput ? 3 : 1) || InputShape.Any(d => d < 1))
            throw new InvalidDataException($"model spec: input shape ({string.Join(", ", InputShape)}) does not fit {InputKind} input.");
        long size = 1; // each factor is below 2^31 and size at most int.MaxValue before it: no overflow
        foreach (int d in InputShape)
            if ((size *= d) > int.MaxValue)
                throw new InvalidDataException($"model spec: input shape ({string.Join(", ", InputShape)}) ({Prefix}input_shape) has " +
                    $"more values per sample than a tensor holds ({int.MaxValue}).");
        if (ClassNames.Length < 1) throw new InvalidDataException("model spec: no class names.");
        int stats = InputShape[0]; // channels (C, H, W) or features (F)
        if (Mean.Length != stats || Std.Length != stats)
            throw new InvalidDataException($"model spec: {Mean.Length} means and {Std.Length} standard deviations for {stats} " +
                $"{(InputKind == ImageInput ? "channels" : "features")}.");
        if (Std.Any(s => !(s > 0) || !float.IsFinite(s)) || Mean.Any(m => !float.IsFinite(m)))
            throw new InvalidDataException("model spec: means must be finite and standard deviations positive.");
        if (!(Temperature > 0) || !float.IsFinite(Temperature))
            throw new InvalidDataException("model spec: temperature must be positive, got " +
                $"{Temperature.ToString("R", CultureInfo.InvariantCulture)}.");
        if (FeatureNames is not null && FeatureNames.Length != InputShape[0])
            throw new InvalidDataException($"model spec: {FeatureNames.Length} feature names for {InputShape[0]} features.");
    }

    // Names may hold commas; store them as a JSON array of strings.
    private static string JoinNames(IEnumerable<string> names) => System.Text.Json.JsonSerializer.Serialize(names.ToArray());

    private static string[] SplitNames(string json)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<string[]>(json)
                ?? throw new InvalidDataException("model spec: null name list.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"model spec: a name list is not a JSON array of strings ({e.Message}).", e);
        }
    }

    private static int[] ParseInts(string s, string key) => s.Length == 0 ? [] : s.Split(',').Select(p =>
        int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
            : throw new InvalidDataException($"model spec: '{key}' holds '{p}', not an integer.")).ToArray();

    private static float[] ParseFloats(string s, string key) => s.Length == 0 ? [] : s.Split(',').Select(p =>
        float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v
            : throw new InvalidDataException($"model spec: '{key}' holds '{p}', not a number.")).ToArray();
}
