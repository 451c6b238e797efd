using Xent.Models;
using Xent.NN;
using Xent.Onnx.Tests.Support;
using Xent.Training;

namespace Xent.Onnx.Tests;

/// <summary>
/// Every exported model runs in ONNX Runtime and gives Xent's probabilities (max |Δp| ≤ 1e-5) on random raw inputs,
/// at batch sizes the export never saw (it fixes none: the batch dimension is symbolic).
/// </summary>
public class OnnxExportTests
{
    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    private static OnnxExportOptions Mnist(bool multiLabel = false, float temperature = 1f) => new()
    {
        InputShape = [1, 28, 28],
        Mean = [0.1307f],
        Std = [0.3081f],
        ClassNames = Digits,
        MultiLabel = multiLabel,
        Temperature = temperature,
    };

    [Fact]
    public void LinearClassifier_on_features_matches_xent()
    {
        var model = new LinearClassifier(12, 3, new Generator(1));
        var options = new OnnxExportOptions
        {
            InputShape = [12],
            Mean = Enumerable.Range(0, 12).Select(i => 0.5f * i - 2f).ToArray(),
            Std = Enumerable.Range(0, 12).Select(i => 0.25f + 0.1f * i).ToArray(),
            ClassNames = ["setosa", "versicolor", "virginica"],
            FeatureNames = Enumerable.Range(0, 12).Select(i => $"f{i}").ToArray(),
        };
        using var session = OnnxCheck.Export(model, options, "linear_features");
        foreach (int batch in new[] { 1, 7, 33 }) OnnxCheck.AssertMatches(session, model, options, batch, seed: batch, lo: -5f, hi: 5f);
    }

    [Fact]
    public void Mlp_on_mnist_images_matches_xent()
    {
        var model = new Mlp(784, 64, 10, new Generator(2));
        var options = Mnist();
        using var session = OnnxCheck.Export(model, options, "mlp_mnist");
        foreach (int batch in new[] { 1, 5 }) OnnxCheck.AssertMatches(session, model, options, batch, seed: 10 + batch);
    }

    [Fact]
    public void MnistCnn_matches_xent_at_two_batch_sizes()
    {
        var model = new MnistCnn(new Generator(3));
        var options = Mnist();
        using var session = OnnxCheck.Export(model, options, "cnn_mnist");
        foreach (int batch in new[] { 1, 3 }) OnnxCheck.AssertMatches(session, model, options, batch, seed: 20 + batch);
    }

    [Fact]
    public void Multi_label_head_with_temperature_uses_sigmoid_of_scaled_logits()
    {
        var model = new Mlp(784, 32, 5, new Generator(4));
        var options = Mnist(multiLabel: true, temperature: 1.7f) with { ClassNames = ["a", "b", "c", "d", "e"] };
        using var session = OnnxCheck.Export(model, options, "mlp_multilabel_t1.7");
        OnnxCheck.AssertMatches(session, model, options, batch: 6, seed: 30);

        // Independent of Xent: the probabilities are sigmoid(logits / T) of ORT's own logits, and do not sum to one.
        var raw = OnnxCheck.RandomInput(2 * 784, 31);
        var (logits, p) = OnnxCheck.Run(session, raw, [2, 1, 28, 28]);
        for (int i = 0; i < p.Length; i++) Assert.Equal(1.0 / (1.0 + Math.Exp(-logits[i] / 1.7)), p[i], 1e-6);
        Assert.NotEqual(1.0, p.Take(5).Sum(v => (double)v), 3);
    }

    [Fact]
    public void Softmax_temperature_scales_probabilities_but_not_logits()
    {
        var model = new LinearClassifier(784, 10, new Generator(5));
        var options = Mnist(temperature: 2.5f);
        using var session = OnnxCheck.Export(model, options, "linear_t2.5");
        OnnxCheck.AssertMatches(session, model, options, batch: 4, seed: 40);
        var (logits, p) = OnnxCheck.Run(session, OnnxCheck.RandomInput(784, 41), [1, 1, 28, 28]);
        // softmax(z / T) in float64 from ORT's own logits.
        double max = logits.Max() / 2.5, sum = logits.Sum(z => Math.Exp(z / 2.5 - max));
        for (int i = 0; i < 10; i++) Assert.Equal(Math.Exp(logits[i] / 2.5 - max) / sum, p[i], 1e-6);
    }

    [Fact]
    public void Three_channel_non_square_sequential_cnn_matches_xent()
    {
        var g = new Generator(6);
        var model = new Sequential(
            new Conv2d(3, 8, (3, 2), stride: (2, 1), padding: (1, 0), generator: g),
            new ReLU(),
            new MaxPool2d((3, 3), stride: (2, 2), padding: (1, 1)),
            new Dropout2d(0.3),
            new Conv2d(8, 6, 3, 1, padding: 1, bias: false, generator: g),
            new ReLU(),
            new Flatten(),
            new Linear(6 * 4 * 8, 20, generator: g),
            new ReLU(),
            new Dropout(0.5),
            new Linear(20, 4, generator: g));
        // (3, 13, 17) → conv (8, 7, 16) → pool (8, 4, 8) → conv (6, 4, 8) → 192
        var options = new OnnxExportOptions
        {
            InputShape = [3, 13, 17],
            Mean = [0.485f, 0.456f, 0.406f],
            Std = [0.229f, 0.224f, 0.225f],
            ClassNames = ["cat", "dog", "bird", "fish"],
        };
        using var session = OnnxCheck.Export(model, options, "sequential_rgb_13x17");
        foreach (int batch in new[] { 1, 9 }) OnnxCheck.AssertMatches(session, model, options, batch, seed: 50 + batch);
    }

    [Fact]
    public void Nested_named_sequential_with_partial_flatten_and_no_standardisation_matches_xent()
    {
        var g = new Generator(7);
        var features = new Sequential(("conv", new Conv2d(2, 3, 2, generator: g)), ("act", new ReLU()));
        var model = new Sequential(
            ("features", features),
            ("rows", new Flatten(2)),               // (N, 3, 4·5): a Reshape that keeps the batch dynamic
            ("mix", new Linear(20, 6, generator: g)), // Linear on rank-3 input: MatMul + Add
            ("flat", new Flatten()),
            ("head", new Linear(18, 3, bias: false, generator: g)));
        var options = new OnnxExportOptions { InputShape = [2, 5, 6] };
        using var session = OnnxCheck.Export(model, options, "nested_sequential");
        foreach (int batch in new[] { 2, 11 }) OnnxCheck.AssertMatches(session, model, options, batch, seed: 60 + batch, lo: -1f, hi: 1f);
    }

    [Fact]
    public void Spec_overload_carries_standardisation_names_and_head()
    {
        var spec = new ModelSpec
        {
            Model = "mlp",
            InputKind = ModelSpec.FeatureInput,
            InputShape = [4],
            ClassNames = ["x,1", "y \"quoted\"", "z"],
            Mean = [1f, -2f, 0.5f, 10f],
            Std = [2f, 0.5f, 1f, 4f],
            Hidden = [8],
            MultiLabel = true,
            Temperature = 0.8f,
            FeatureNames = ["age", "colour=red", "colour=blue", "height"],
        };
        var model = new Mlp(4, 8, 3, new Generator(8));
        using var stream = new MemoryStream();
        OnnxExporter.Export(model, spec, stream);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(stream.ToArray());
        OnnxCheck.AssertMatches(session, model, OnnxExportOptions.FromSpec(spec), batch: 5, seed: 70, lo: -10f, hi: 20f);

        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(spec.ClassNames, System.Text.Json.JsonSerializer.Deserialize<string[]>(meta["class_names"]));
        Assert.Equal(spec.FeatureNames, System.Text.Json.JsonSerializer.Deserialize<string[]>(meta["feature_names"]));
        Assert.Equal("true", meta["multi_label"]);
        Assert.Equal(0.8f, float.Parse(meta["temperature"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("mlp", meta["model"]);
        Assert.Equal("features", meta["input_kind"]);
        Assert.Equal("4", meta["input_shape"]);
        Assert.Equal("Xent", session.ModelMetadata.ProducerName);
    }

    [Fact]
    public void Missing_values_passed_as_NaN_are_imputed_with_the_mean_inside_the_graph()
    {
        var model = new Mlp(6, 5, 2, new Generator(12));
        var options = new OnnxExportOptions
        {
            InputShape = [6],
            Mean = [3f, -1f, 0.25f, 7f, 0f, 100f],
            Std = [1.5f, 2f, 0.5f, 3f, 1f, 25f],
            ImputeMissing = true,
        };
        using var session = OnnxCheck.Export(model, options, "mlp_impute_missing");
        // Every seventh value missing; the reference replaces NaN by the column mean before standardising.
        OnnxCheck.AssertMatches(session, model, options, batch: 8, seed: 80, lo: -5f, hi: 5f,
            edit: x => { for (int i = 0; i < x.Length; i += 7) x[i] = float.NaN; });
        // A missing value gives the same output as the mean itself.
        var (_, withNaN) = OnnxCheck.Run(session, [float.NaN, 1f, 2f, 3f, 4f, 5f], [1, 6]);
        var (_, withMean) = OnnxCheck.Run(session, [3f, 1f, 2f, 3f, 4f, 5f], [1, 6]);
        Assert.Equal(withMean, withNaN);
        Assert.Throws<ArgumentException>(() => OnnxExporter.ExportToArray(model,
            new OnnxExportOptions { InputShape = [6], ImputeMissing = true }));
    }

    [Fact]
    public void Deep_sequential_of_linear_layers_matches_xent()
    {
        var g = new Generator(13);
        var model = new Sequential(("fc1", new Linear(10, 7, generator: g)), ("r1", new ReLU()),
            ("fc2", new Linear(7, 5, generator: g)), ("r2", new ReLU()), ("fc3", new Linear(5, 3, generator: g)));
        var options = new OnnxExportOptions { InputShape = [10], Mean = new float[10], Std = Enumerable.Repeat(2f, 10).ToArray() };
        using var session = OnnxCheck.Export(model, options, "sequential_three_layers");
        OnnxCheck.AssertMatches(session, model, options, batch: 4, seed: 90, lo: -3f, hi: 3f);
    }

    [Fact]
    public void Graph_has_one_dynamic_batch_input_and_two_named_outputs_at_opset_13()
    {
        using var session = OnnxCheck.Export(new MnistCnn(new Generator(9)), Mnist(), "cnn_signature");
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("input", input.Key);
        Assert.Equal([-1, 1, 28, 28], input.Value.Dimensions);
        Assert.Equal("batch", input.Value.SymbolicDimensions[0]);
        Assert.Equal(["logits", "probabilities"], session.OutputMetadata.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var o in session.OutputMetadata.Values) Assert.Equal([-1, 10], o.Dimensions);
        Assert.Equal(Digits, System.Text.Json.JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap["class_names"]));

        var proto = OnnxExporter.BuildModel(new MnistCnn(new Generator(9)), Mnist());
        Assert.Equal(OnnxExporter.IrVersion, proto.IrVersion);
        Assert.Equal(13, Assert.Single(proto.OpsetImport).Version);
        // Initializers keep PyTorch's state-dict names; no dropout node survives export.
        Assert.Contains(proto.Graph.Initializer, t => t.Name == "conv1.weight");
        Assert.Contains(proto.Graph.Initializer, t => t.Name == "fc2.bias");
        Assert.DoesNotContain(proto.Graph.Node, n => n.OpType == "Dropout");
        Assert.Equal(["Sub", "Div", "Conv", "Relu", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"],
            proto.Graph.Node.Select(n => n.OpType));
    }

    private sealed class Tanh : Module
    {
        public override Tensor Forward(Tensor input) => input;
    }

    [Fact]
    public void Unsupported_module_throws_NotSupportedException_naming_its_type()
    {
        var model = new Sequential(new Flatten(), new Linear(4, 4), new Tanh(), new Linear(4, 2));
        var e = Assert.Throws<NotSupportedException>(() => OnnxExporter.ExportToArray(model, new OnnxExportOptions { InputShape = [4] }));
        Assert.Contains("Tanh", e.Message);
        Assert.Contains("'2'", e.Message);
        Assert.Throws<NotSupportedException>(() => OnnxExporter.ExportToArray(new Tanh(), new OnnxExportOptions { InputShape = [4] }));
        Assert.Throws<NotSupportedException>(() =>
            OnnxExporter.ExportToArray(new Sequential(new Flatten(0)), new OnnxExportOptions { InputShape = [4] }));
    }

    [Fact]
    public void Models_that_do_not_fit_the_options_are_rejected_at_export()
    {
        var mlp = new Mlp(784, 16, 10, new Generator(10));
        var wrongShape = Assert.Throws<ArgumentException>(() =>
            OnnxExporter.ExportToArray(mlp, Mnist() with { InputShape = [3, 28, 28], Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] }));
        Assert.Contains("fc1", wrongShape.Message);
        Assert.Throws<ArgumentException>(() => OnnxExporter.ExportToArray(mlp, Mnist() with { ClassNames = ["a", "b"] }));
        Assert.Throws<ArgumentException>(() => OnnxExporter.ExportToArray(new MnistCnn(), Mnist() with { InputShape = [1, 4, 4] }));
        Assert.Throws<ArgumentException>(() => OnnxExporter.ExportToArray(mlp, Mnist() with { Std = [0f] }));
        Assert.Throws<ArgumentException>(() => OnnxExporter.ExportToArray(mlp, Mnist() with { Temperature = 0f }));
        Assert.Throws<ArgumentException>(() => OnnxExporter.ExportToArray(mlp, Mnist() with { Mean = null }));
        // Output must be (N, classes): a bare convolution is not a classifier head.
        Assert.Throws<ArgumentException>(() => OnnxExporter.ExportToArray(new Conv2d(1, 2, 3),
            new OnnxExportOptions { InputShape = [1, 5, 5] }));
        Assert.Throws<ArgumentException>(() => OnnxExporter.ExportToArray(mlp,
            Mnist() with { Metadata = new Dictionary<string, string> { ["class_names"] = "[]" } }));
    }

    [Fact]
    public void Export_to_a_path_writes_the_same_bytes_and_an_unsupported_model_leaves_no_file()
    {
        string dir = Directory.CreateTempSubdirectory("xent-onnx-").FullName;
        try
        {
            var model = new LinearClassifier(784, 10, new Generator(11));
            string path = Path.Combine(dir, "m.onnx");
            OnnxExporter.Export(model, Mnist(), path);
            Assert.Equal(OnnxExporter.ExportToArray(model, Mnist()), File.ReadAllBytes(path));
            string bad = Path.Combine(dir, "bad.onnx");
            Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(new Tanh(), Mnist(), bad));
            Assert.Equal(["m.onnx"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
