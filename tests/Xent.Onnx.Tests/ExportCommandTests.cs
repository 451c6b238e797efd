using Microsoft.ML.OnnxRuntime;
using Xent.Models;
using Xent.NN;
using Xent.Onnx.Tests.Support;
using Xent.Tests.Support;
using Xent.Training;

namespace Xent.Onnx.Tests;

/// <summary><c>xent export</c> run as a process on checkpoints written here; its files run in ONNX Runtime.</summary>
public sealed class ExportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xent-export-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Save(Module model, IReadOnlyDictionary<string, string> metadata, string name = "checkpoint.safetensors")
    {
        string path = Path.Combine(_dir, name);
        TrainingCheckpoint.Save(path, model, null, metadata);
        return path;
    }

    private InferenceSession ExportWithCli(string checkpoint, out CliResult result, string outName = "sub/model.onnx")
    {
        string outPath = Path.Combine(_dir, outName);
        result = CliRunner.Run("export", "--checkpoint", checkpoint, "--format", "onnx", "--out", outPath);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        return new InferenceSession(outPath);
    }

    [Fact]
    public void Exports_a_feature_checkpoint_whose_model_runs_in_onnx_runtime_with_xents_probabilities()
    {
        var spec = new ModelSpec
        {
            Model = "mlp",
            InputKind = ModelSpec.FeatureInput,
            InputShape = [5],
            ClassNames = ["low", "mid", "high"],
            Mean = [1f, 2f, 3f, 4f, 5f],
            Std = [0.5f, 1f, 2f, 4f, 8f],
            Hidden = [16],
            Temperature = 1.3f,
            FeatureNames = ["a", "b", "c", "d", "e"],
        };
        var model = new Mlp(5, 16, 3, new Generator(21));
        using var session = ExportWithCli(Save(model, spec.ToMetadata()), out var result);
        Assert.Contains("model.onnx", result.Stdout);
        Assert.Equal("", result.Stderr);
        OnnxCheck.AssertMatches(session, model, OnnxExportOptions.FromSpec(spec), batch: 13, seed: 100, lo: -10f, hi: 20f);
        Assert.Equal("[\"low\",\"mid\",\"high\"]", session.ModelMetadata.CustomMetadataMap["class_names"]);
        Assert.False(session.ModelMetadata.CustomMetadataMap.ContainsKey("input_scale")); // raw feature values: no pixel scale
    }

    [Fact]
    public void Exports_the_cnn_with_its_image_standardisation()
    {
        var spec = ModelSpecFor("cnn", ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
            "Ankle boot"]);
        var model = new MnistCnn(new Generator(22));
        // Trained on a float .npy (train records the scale it read): the file says so, as the Wrote line does.
        var metadata = spec.ToMetadata();
        metadata["setting.input_scale"] = "values on the training data's scale";
        using var session = ExportWithCli(Save(model, metadata), out var result);
        OnnxCheck.AssertMatches(session, model, OnnxExportOptions.FromSpec(spec), batch: 2, seed: 101);
        Assert.Equal("values on the training data's scale", session.ModelMetadata.CustomMetadataMap["input_scale"]);
        Assert.Contains("raw values on the training data's scale,", result.Stdout);
    }

    [Fact]
    public void A_checkpoint_without_a_spec_is_exported_with_the_mnist_recipe_and_its_datasets_class_names()
    {
        var model = new LinearClassifier(784, 10, new Generator(23));
        var checkpoint = Save(model, new Dictionary<string,
            string> { ["model"] = "linear", ["setting.data"] = "/usr/share/datasets/fashion-mnist" });
        using var session = ExportWithCli(checkpoint, out var result);
        Assert.StartsWith("note:", result.Stderr);
        Assert.Contains("; exporting it as linear on 1x28x28 images standardised with (0.1307, 0.3081), classes T-shirt/top, Trouser,",
            result.Stderr);
        var expected = ModelSpecFor("linear", [.. ClassNames.FashionMnist]);
        OnnxCheck.AssertMatches(session, model, OnnxExportOptions.FromSpec(expected), batch: 3, seed: 102);
        Assert.Contains("Ankle boot", session.ModelMetadata.CustomMetadataMap["class_names"]);
        Assert.Equal("pixels in [0, 1]", session.ModelMetadata.CustomMetadataMap["input_scale"]); // the tutorial's ToTensor on IDX
    }

    [Fact]
    public void Bad_inputs_exit_2_with_one_error_line_and_write_nothing()
    {
        string good = Save(new LinearClassifier(784, 10, new Generator(24)), ModelSpecFor("linear", [.. ClassNames.Digits]).ToMetadata());
        // Weights that do not fit the spec's model (an mlp checkpoint claiming to be linear).
        string misfit = Save(new Mlp(784, 8, 10, new Generator(25)), ModelSpecFor("linear", [.. ClassNames.Digits]).ToMetadata(),
            "misfit.safetensors");
        string notSafetensors = Path.Combine(_dir, "garbage.safetensors");
        File.WriteAllText(notSafetensors, "not a checkpoint");
        string outPath = Path.Combine(_dir, "out.onnx");
        foreach (var args in new[]
        {
            new[] { "export", "--checkpoint", Path.Combine(_dir, "missing.safetensors"), "--out", outPath },
            ["export", "--checkpoint", good, "--format", "torchscript", "--out", outPath],
            ["export", "--checkpoint", misfit, "--out", outPath],
            ["export", "--checkpoint", notSafetensors, "--out", outPath],
            ["export", "--checkpoint", _dir, "--out", outPath],
            ["export", "--checkpoint", good, "--out", _dir],
        })
        {
            var r = CliRunner.Run(args);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: exit {r.ExitCode}, stderr {r.Stderr}");
            var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: ", line);
            Assert.False(File.Exists(outPath));
        }
    }

    [Fact]
    public void An_out_that_does_not_end_in_onnx_is_refused_whether_it_exists_or_not()
    {
        // `--out runs/other/checkpoint.safetensors` or `--out data.csv` replaced that file with an ONNX graph; and `--out model`
        // wrote a file that the same command, run again, refused to replace.
        string good = Save(new LinearClassifier(784, 10, new Generator(26)), ModelSpecFor("linear", [.. ClassNames.Digits]).ToMetadata());
        string csv = Path.Combine(_dir, "data.csv");
        File.WriteAllText(csv, "a,b\n1,2\n");
        string noExtension = Path.Combine(_dir, "model");
        foreach (var (outPath, suggested) in new[] { (csv, "data.onnx"), (noExtension, "model.onnx") })
        {
            var r = CliRunner.Run("export", "--checkpoint", good, "--out", outPath);
            Assert.Equal(2, r.ExitCode);
            Assert.Equal($"error: --out '{outPath}' does not end in .onnx; export writes and replaces only .onnx files. Pass e.g. " +
                $"--out {Path.Combine(_dir, suggested)}.", r.Stderr.Trim());
        }
        Assert.Equal("a,b\n1,2\n", File.ReadAllText(csv));
        Assert.False(File.Exists(noExtension));
        // An .onnx file (any case) is written, and the same command replaces it.
        string onnx = Path.Combine(_dir, "old.ONNX");
        File.WriteAllText(onnx, "old");
        for (int run = 0; run < 2; run++)
        {
            var r = CliRunner.Run("export", "--checkpoint", good, "--out", onnx);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.NotEqual("old", File.ReadAllText(onnx));
        }
    }

    [Fact]
    public void An_out_path_that_cannot_be_written_is_one_error_line_naming_it()
    {
        string good = Save(new LinearClassifier(784, 10, new Generator(26)), ModelSpecFor("linear", [.. ClassNames.Digits]).ToMetadata());
        string aFile = Path.Combine(_dir, "a-file");
        File.WriteAllText(aFile, "");
        string outPath = Path.Combine(aFile, "model.onnx"); // its folder is a file
        var r = CliRunner.Run("export", "--checkpoint", good, "--out", outPath);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}, stderr {r.Stderr}");
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: --out '{outPath}' cannot be written: '{aFile}' is a file, not a folder.", line);
        Assert.Equal("", File.ReadAllText(aFile));
    }

    private static ModelSpec ModelSpecFor(string model, string[] classNames) => new()
    {
        Model = model,
        InputKind = ModelSpec.ImageInput,
        InputShape = [1, 28, 28],
        ClassNames = classNames,
        Mean = [0.1307f],
        Std = [0.3081f],
    };
}
