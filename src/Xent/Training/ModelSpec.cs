using System.Globalization;
using Xent.Diagnostics;

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
            // Names in any case, as the CLI takes the options that record them: "MLP" from another tool is xent's "mlp".
            Model = Canonical(Get("model"), ModelCatalog.Names),
            InputKind = Canonical(Get("input_kind"), [ImageInput, FeatureInput]),
            InputShape = ParseInts(Get("input_shape"), "input_shape"),
            ClassNames = SplitNames(Get("class_names"), "class_names"),
            Mean = ParseFloats(Get("mean"), "mean"),
            Std = ParseFloats(Get("std"), "std"),
            Hidden = metadata.TryGetValue(Prefix + "hidden", out var h) ? ParseInts(h, "hidden") : [],
            MultiLabel = metadata.TryGetValue(Prefix + "multi_label", out var ml) && ParseBool(ml, "multi_label"),
            Temperature = metadata.TryGetValue(Prefix + "temperature", out var t) ? ParseFloat(t, "temperature") : 1f,
            FeatureNames = metadata.TryGetValue(Prefix + "feature_names", out var f) ? SplitNames(f, "feature_names") : null,
            TargetColumn = metadata.TryGetValue(Prefix + "target_column", out var tc) ? tc : null,
            ImputeMissing = metadata.TryGetValue(Prefix + "impute_missing", out var im) && IsMean(im),
        };
        spec.Validate();
        return spec;
    }

    /// <summary>
    /// <see cref="FromMetadata(IReadOnlyDictionary{string, string})"/>, naming <paramref name="source"/> (the checkpoint) in errors.
    /// </summary>
    internal static ModelSpec? FromMetadata(IReadOnlyDictionary<string, string> metadata, string source)
    {
        try
        {
            return FromMetadata(metadata);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{source}': {e.Message}", e);
        }
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
        // xent calibrate fits T in [0.01, 100] (a float, so allow its rounding): beyond, softmax(logits / T) is one-hot or flat, and
        // a subnormal T makes logits / T infinite.
        if (!(Temperature >= MinTemperature && Temperature <= MaxTemperature))
            throw new InvalidDataException($"model spec: temperature {Temperature.ToString("R", CultureInfo.InvariantCulture)} " +
                $"({Prefix}temperature) is outside [{TemperatureScaling.MinTemperature.ToString(CultureInfo.InvariantCulture)}, " +
                $"{TemperatureScaling.MaxTemperature.ToString(CultureInfo.InvariantCulture)}], the range xent calibrate fits it in.");
        if (Hidden.FirstOrDefault(h => h < 1, 1) is int size0 and < 1)
            throw new InvalidDataException($"model spec: hidden layer size {size0} ({Prefix}hidden '{string.Join(",", Hidden)}') is " +
                "not positive.");
        CheckNames(ClassNames, "class_names");
        if (FeatureNames is not null)
        {
            CheckNames(FeatureNames, "feature_names");
            if (FeatureNames.Length != InputShape[0])
                throw new InvalidDataException($"model spec: {FeatureNames.Length} feature names for {InputShape[0]} features.");
        }
    }

    private const float MinTemperature = (float)(TemperatureScaling.MinTemperature * (1 - 1e-6));
    private const float MaxTemperature = (float)(TemperatureScaling.MaxTemperature * (1 + 1e-6));

    /// <summary>
    /// Refuses a null name (JSON <c>null</c> in the list) and a name given twice: outputs or input columns that could not be told
    /// apart (a feature named twice is read twice from one column, and the other never).
    /// </summary>
    private static void CheckNames(string[] names, string key)
    {
        if (Array.IndexOf(names, null) is int missing and >= 0)
            throw new InvalidDataException($"model spec: {Prefix}{key} holds null at position {missing}; each name must be a string.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
            if (!seen.Add(name))
                throw new InvalidDataException($"model spec: {Prefix}{key} names '{Excerpt.Of(name)}' twice; each name must be " +
                    "different.");
    }

    // Names may hold commas; store them as a JSON array of strings.
    private static string JoinNames(IEnumerable<string> names) => System.Text.Json.JsonSerializer.Serialize(names.ToArray());

    private static string[] SplitNames(string json, string key)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<string[]>(json)
                ?? throw new InvalidDataException($"model spec: {Prefix}{key} is null, not a list of names.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException(
                $"model spec: {Prefix}{key} is not a JSON array of strings ({Excerpt.OfMessage(e.Message)}).", e);
        }
    }

    private static int[] ParseInts(string s, string key) => s.Length == 0 ? [] : s.Split(',').Select(p =>
        int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
            : throw new InvalidDataException($"model spec: '{key}' holds '{Excerpt.Of(p)}', not an integer.")).ToArray();

    private static float[] ParseFloats(string s, string key) => s.Length == 0 ? [] : s.Split(',').Select(p => ParseFloat(p, key)).ToArray();

    /// <summary>One number, in the invariant culture: a decimal comma ("1,5", as some locales write it) is not one.</summary>
    private static float ParseFloat(string s, string key) =>
        float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v
            : throw new InvalidDataException($"model spec: '{key}' holds '{Excerpt.Of(s)}', not a number" +
                (s.Contains(',', StringComparison.Ordinal) ? " (write one number with a decimal point)." : "."));

    /// <summary>
    /// <c>true</c> or <c>false</c> in any letter case: xent writes "true", Python's <c>str(True)</c> "True". Anything else is
    /// refused: read as false, it would turn a multi-label (sigmoid) model into a softmax one without a word.
    /// </summary>
    private static bool ParseBool(string s, string key) =>
        s.Equals("true", StringComparison.OrdinalIgnoreCase) ? true
        : s.Equals("false", StringComparison.OrdinalIgnoreCase) ? false
        : throw new InvalidDataException($"model spec: {Prefix}{key} is '{Excerpt.Of(s)}'; expected true or false.");

    /// <summary>The one of <paramref name="names"/> that <paramref name="value"/> spells in any case, else the value as it is.</summary>
    internal static string Canonical(string value, IReadOnlyList<string> names) =>
        names.FirstOrDefault(n => string.Equals(n, value, StringComparison.OrdinalIgnoreCase)) ?? value;

    /// <summary>
    /// <c>impute_missing</c>: "mean" in any case, the one way to impute (<c>--missing mean</c>); absent when missing values are
    /// refused.
    /// </summary>
    private static bool IsMean(string s) => s.Equals("mean", StringComparison.OrdinalIgnoreCase)
        ? true : throw new InvalidDataException($"model spec: {Prefix}impute_missing is '{Excerpt.Of(s)}'; expected 'mean' (or no " +
            "entry, when missing values are refused).");
}
