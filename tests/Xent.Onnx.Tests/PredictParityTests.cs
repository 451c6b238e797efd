using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Xent.IO;
using Xent.Models;
using Xent.NN;
using Xent.Onnx.Tests.Support;
using Xent.Tests.Support;
using Xent.Training;

namespace Xent.Onnx.Tests;

/// <summary><c>xent predict</c> and the model <c>xent export</c> writes give the same probabilities for the same .npy file.</summary>
public sealed class PredictParityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xent-parity-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private double Compare(Module model, ModelSpec spec, int n, int seed, float lo, float hi, Action<float[]>? edit = null)
    {
        string checkpoint = Path.Combine(_dir, $"{seed}.safetensors"), onnx = Path.Combine(_dir, $"{seed}.onnx"),
            input = Path.Combine(_dir, $"{seed}.npy");
        TrainingCheckpoint.Save(checkpoint, model, null, spec.ToMetadata());
        int[] shape = [n, .. spec.InputShape];
        var raw = OnnxCheck.RandomInput(shape.Aggregate(1, (a, b) => a * b), seed, lo, hi);
        edit?.Invoke(raw);
        Npy.Write(input, raw, shape);

        var export = CliRunner.Run("export", "--checkpoint", checkpoint, "--out", onnx);
        Assert.True(export.ExitCode == 0, export.Stderr);
        var predict = CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", input, "--json", "--top-k",
            spec.NumClasses.ToString());
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var lines = predict.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(n, lines.Length);

        using var session = new InferenceSession(onnx);
        var (_, ortP) = OnnxCheck.Run(session, raw, shape);
        double max = 0;
        for (int i = 0; i < n; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            var p = new double[spec.NumClasses];
            if (spec.MultiLabel)
                foreach (var label in doc.RootElement.GetProperty("labels").EnumerateObject()) p[Array.IndexOf(spec.ClassNames, label.Name)]
                    = label.Value.GetDouble();
            else
                foreach (var e in doc.RootElement.GetProperty("top").EnumerateArray())
                    p[Array.IndexOf(spec.ClassNames, e.GetProperty("class").GetString())] = e.GetProperty("probability").GetDouble();
            for (int k = 0; k < p.Length; k++) max = Math.Max(max, Math.Abs(p[k] - ortP[i * spec.NumClasses + k]));
        }
        Assert.True(max <= OnnxCheck.Tolerance, $"max |Δp| between xent predict and ONNX Runtime = {max:E2}");
        return max;
    }

    [Fact]
    public void Cnn_on_three_channel_non_square_images()
    {
        var spec = new ModelSpec
        {
            Model = "cnn", InputKind = ModelSpec.ImageInput, InputShape = [3, 12, 10], ClassNames = ["a", "b", "c", "d", "e"],
            Mean = [0.4f, 0.5f, 0.6f], Std = [0.2f, 0.25f, 0.3f],
        };
        Compare(new MnistCnn(3, 12, 10, 5, new Generator(1)), spec, n: 7, seed: 1, lo: 0f, hi: 1f);
    }

    [Fact]
    public void Mlp_with_two_hidden_layers_and_a_temperature_on_features()
    {
        var spec = new ModelSpec
        {
            Model = "mlp", InputKind = ModelSpec.FeatureInput, InputShape = [6], ClassNames = ["x", "y", "z"],
            Mean = [1f, 2f, 3f, 4f, 5f, 6f], Std = [1f, 2f, 3f, 4f, 5f, 6f], Hidden = [16, 8], Temperature = 1.7f,
            FeatureNames = ["f0", "f1", "f2", "f3", "f4", "f5"],
        };
        Compare(new Mlp(6, [16, 8], 3, new Generator(2)), spec, n: 9, seed: 2, lo: -10f, hi: 20f);
    }

    [Fact]
    public void Multi_label_linear_with_missing_values_imputed()
    {
        var spec = new ModelSpec
        {
            Model = "linear", InputKind = ModelSpec.FeatureInput, InputShape = [5], ClassNames = ["p", "q", "r", "s"],
            Mean = [0f, 1f, -1f, 2f, 0.5f], Std = [1f, 0.5f, 2f, 1f, 3f], MultiLabel = true, ImputeMissing = true,
            FeatureNames = ["a", "b", "c", "d", "e"],
        };
        Compare(new LinearClassifier(5, 4, new Generator(3)), spec, n: 6, seed: 3, lo: -3f, hi: 3f,
            edit: x => { for (int i = 0; i < x.Length; i += 4) x[i] = float.NaN; });
    }
}
