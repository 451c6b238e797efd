using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Xent.IO;
using Xent.NN;
using Xent.Onnx.Proto;
using Xent.Training;

namespace Xent.Onnx;

/// <summary>
/// Writes a Xent classifier as an ONNX model (opset <see cref="OpsetVersion"/>, IR version <see cref="IrVersion"/>)
/// that ONNX Runtime, ML.NET and Windows ML load. The graph takes the raw input a user has and gives logits and
/// probabilities:
/// <list type="bullet">
/// <item><c>input</c>: float32 (batch, C, H, W) images on the training data's scale (pixels in [0, 1] unless the model was
/// trained on a float array, whose values it takes as they were), or (batch, F) raw feature values; the batch size is
/// dynamic. With <see cref="OnnxExportOptions.ImputeMissing"/>, NaN stands for a missing value. The standardisation <c>(x − mean) / std</c>
/// from the options (a checkpoint's spec) is the graph's first step.</item>
/// <item><c>logits</c>: float32 (batch, K), the model's raw outputs.</item>
/// <item><c>probabilities</c>: float32 (batch, K), <c>softmax(logits / T)</c> over the classes, or <c>sigmoid(logits / T)</c>
/// per label for multi-label models (T the temperature, 1 unless calibrated).</item>
/// </list>
/// The model's <c>metadata_props</c> hold <c>class_names</c> (and <c>feature_names</c>) as JSON arrays, <c>multi_label</c>,
/// <c>temperature</c> and <c>input_shape</c>. Dropout is exported as the identity: the graph is the model in eval mode.
/// </summary>
/// <remarks>
/// Supported: <see cref="Sequential"/> (nested too) of <see cref="Linear"/>, <see cref="Conv2d"/>, <see cref="ReLU"/>,
/// <see cref="MaxPool2d"/>, <see cref="Flatten"/>, <see cref="Dropout"/> and <see cref="Dropout2d"/>, and the built-in
/// models <see cref="Models.MnistCnn"/>, <see cref="Models.Mlp"/> and <see cref="Models.LinearClassifier"/>. Any other
/// module throws <see cref="NotSupportedException"/> naming its type. The model must end in (batch, K) logits.
/// </remarks>
public static class OnnxExporter
{
    /// <summary>Name of the graph input.</summary>
    public const string InputName = "input";

    /// <summary>Name of the raw-logits output.</summary>
    public const string LogitsName = "logits";

    /// <summary>Name of the probabilities output.</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>The default-domain opset the graph uses (13: softmax over one axis, the oldest opset the issue allows).</summary>
    public const int OpsetVersion = 13;

    /// <summary>The ONNX IR version written (7, the IR version that introduced opset 13), for the widest runtime support.</summary>
    public const long IrVersion = 7;

    /// <summary>Writes <paramref name="model"/> as ONNX to <paramref name="output"/>.</summary>
    /// <exception cref="NotSupportedException">The model holds a module the exporter does not support (named in the message).</exception>
    /// <exception cref="ArgumentException">The options are invalid or do not fit the model.</exception>
    public static void Export(Module model, OnnxExportOptions options, Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        BuildModel(model, options).WriteTo(output);
    }

    /// <summary>
    /// Writes <paramref name="model"/> as ONNX to the file <paramref name="path"/>, atomically (a failure leaves any existing file as it
    /// was).
    /// </summary>
    /// <inheritdoc cref="Export(Module, OnnxExportOptions, Stream)"/>
    public static void Export(Module model, OnnxExportOptions options, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var proto = BuildModel(model, options); // before touching the file system: an unsupported model writes nothing
        using var writer = AtomicFileWriter.Begin(path);
        proto.WriteTo(writer.Stream);
        writer.Commit();
    }

    /// <summary>
    /// Writes a checkpoint's model as ONNX, with the options <see cref="OnnxExportOptions.FromSpec"/> makes from its spec.
    /// </summary>
    /// <inheritdoc cref="Export(Module, OnnxExportOptions, Stream)"/>
    public static void Export(Module model, ModelSpec spec, Stream output) => Export(model, OnnxExportOptions.FromSpec(spec), output);

    /// <summary>Writes a checkpoint's model as ONNX to the file <paramref name="path"/>, atomically.</summary>
    /// <inheritdoc cref="Export(Module, OnnxExportOptions, Stream)"/>
    public static void Export(Module model, ModelSpec spec, string path) => Export(model, OnnxExportOptions.FromSpec(spec), path);

    /// <summary>The ONNX model as bytes (the serialized <c>ModelProto</c>).</summary>
    /// <inheritdoc cref="Export(Module, OnnxExportOptions, Stream)"/>
    public static byte[] ExportToArray(Module model, OnnxExportOptions options) => BuildModel(model, options).ToByteArray();

    internal static ModelProto BuildModel(Module model, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var graph = new OnnxGraphBuilder();
        graph.Reserve(InputName);
        var names = new Dictionary<Parameter, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in model.NamedParameters()) names.TryAdd(p, name);

        var x = new OnnxLayerEmitter.Value(InputName, [.. options.InputShape]);
        x = Standardise(graph, options, x);
        var emitter = new OnnxLayerEmitter(graph, names);
        x = emitter.Emit(model, "", x);
        if (x.Shape.Length != 1)
            throw new ArgumentException("ONNX export: the model must output (N, classes) logits, but its output would have shape (N, " +
                $"{string.Join(", ", x.Shape)}).");
        int k = x.Shape[0];
        if (options.ClassNames is { } classNames && classNames.Length != k)
            throw new ArgumentException($"ONNX export: {classNames.Length} class names for a model with {k} outputs.");

        string logits = graph.Rename(x.Name, LogitsName);
        string scaled = logits;
        if (options.Temperature != 1f)
            scaled = graph.AddNode("Div", "temperature", [logits, graph.AddInitializer("temperature", [options.Temperature])]);
        string probabilities = options.MultiLabel
            ? graph.AddNode("Sigmoid", "head", [scaled])
            : graph.AddNode("Softmax", "head", [scaled], OnnxGraphBuilder.Int("axis", 1));
        graph.Rename(probabilities, ProbabilitiesName);

        var g = graph.Graph;
        g.Name = options.GraphName ?? model.GetType().Name;
        bool image = options.InputShape.Length == 3;
        g.Input.Add(OnnxGraphBuilder.BatchedFloat(InputName, options.InputShape,
            image ? "Raw images: float32 (batch, channels, height, width) on the training data's scale (pixels in [0, 1] for image " +
                    "files, IDX and uint8 arrays; a float array's values as they were); standardised inside the graph."
                  : "Raw feature values in the model's feature order; standardised inside the graph."));
        g.Output.Add(OnnxGraphBuilder.BatchedFloat(LogitsName, [k], "The model's raw logits (no temperature)."));
        g.Output.Add(OnnxGraphBuilder.BatchedFloat(ProbabilitiesName, [k], options.MultiLabel
            ? "Per-label probabilities: sigmoid(logits / temperature)."
            : "Class probabilities: softmax(logits / temperature) over the classes."));

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Xent",
            ProducerVersion = ProducerVersion(),
            DocString = $"{g.Name} exported by Xent: input '{InputName}' → outputs '{LogitsName}' and '{ProbabilitiesName}'.",
            Graph = g,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        foreach (var (key, value) in Metadata(options, k)) proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    // (x − mean) / std with per-channel (C, 1, 1) or per-feature (F) constants: the same two float32 operations as Normalize.
    private static OnnxLayerEmitter.Value Standardise(OnnxGraphBuilder graph, OnnxExportOptions options, OnnxLayerEmitter.Value x)
    {
        if (options.Mean is not { } mean || options.Std is not { } std) return x;
        long[] dims = [mean.Length, .. Enumerable.Repeat(1L, x.Shape.Length - 1)];
        string meanName = graph.AddInitializer("mean", mean, dims);
        string input = x.Name;
        if (options.ImputeMissing)
            input = graph.AddNode("Where", "impute", [graph.AddNode("IsNaN", "impute", [input]), meanName, input]);
        string centred = graph.AddNode("Sub", "standardise", [input, meanName]);
        return x with { Name = graph.AddNode("Div", "standardise", [centred, graph.AddInitializer("std", std, dims)]) };
    }

    private static List<KeyValuePair<string, string>> Metadata(OnnxExportOptions options, int k)
    {
        var ci = CultureInfo.InvariantCulture;
        var entries = new List<KeyValuePair<string, string>>
        {
            new("class_names", JsonSerializer.Serialize(options.ClassNames
                ?? Enumerable.Range(0, k).Select(i => i.ToString(ci)).ToArray())),
            new("multi_label", options.MultiLabel ? "true" : "false"),
            new("temperature", options.Temperature.ToString("R", ci)),
            new("input_shape", string.Join(",", options.InputShape.Select(d => d.ToString(ci)))),
        };
        if (options.ImputeMissing) entries.Add(new("missing_values", "NaN inputs are replaced by the training mean"));
        if (options.FeatureNames is { } features) entries.Add(new("feature_names", JsonSerializer.Serialize(features)));
        foreach (var (key, value) in options.Metadata ?? new Dictionary<string, string>())
        {
            if (entries.Any(e => e.Key == key))
                throw new ArgumentException($"ONNX export: metadata key '{key}' is written by the exporter and cannot be replaced.");
            entries.Add(new(key, value));
        }
        return entries;
    }

    private static string ProducerVersion()
    {
        var assembly = typeof(OnnxExporter).Assembly;
        var info = (System.Reflection.AssemblyInformationalVersionAttribute?)Attribute.GetCustomAttribute(
            assembly, typeof(System.Reflection.AssemblyInformationalVersionAttribute));
        return info?.InformationalVersion.Split('+')[0] ?? assembly.GetName().Version?.ToString() ?? "0";
    }
}
