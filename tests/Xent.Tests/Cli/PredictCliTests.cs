using System.Globalization;
using System.Text.Json;
using Xent.Data;
using Xent.IO;
using Xent.Tests.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// <c>xent predict</c> on PyTorch's linear classifier (a plain state dict, tools/golden/gen_train.py) and its 200 Fashion-MNIST
/// test images written as .npy and PNG: the checkpoint without a spec is read with the IDX recipe, and the probabilities
/// give PyTorch's accuracy and mean cross-entropy; <c>--top-k C</c> lists every class at full float64 precision.
/// </summary>
public class PredictCliTests
{
    private static string GoldenDir => Path.Combine(AppContext.BaseDirectory, "golden", "train");
    private static string TorchLinear => Path.Combine(GoldenDir, "torch_linear.safetensors");

    private static JsonElement[] JsonLines(CliResult r)
    {
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
    }

    /// <summary>Writes the golden IDX test images as an (N, 28, 28) uint8 .npy and returns it with the labels.</summary>
    private static (string Path, long[] Labels) GoldenImagesNpy(TempDirectory dir)
    {
        var raw = new MnistDataset(GoldenDir, train: false);
        string path = dir.File("images.npy");
        Npy.Write(path, raw.Images, [raw.Count, 28, 28]);
        return (path, Enumerable.Range(0, raw.Count).Select(i => raw.Target(i)).ToArray());
    }

    [Fact]
    public void AStateDictWithoutSpecPredictsWithTheIdxRecipe_AndGivesPyTorchsAccuracyAndCrossEntropy()
    {
        using var dir = new TempDirectory();
        var (npy, labels) = GoldenImagesNpy(dir);
        var r = CliRunner.Run("predict", "--checkpoint", TorchLinear, "--input", npy, "--json", "--top-k", "10");
        var rows = JsonLines(r);
        var stderr = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(stderr);
        Assert.StartsWith("note: ", stderr[0]);
        Assert.Contains("no model spec", stderr[0]);
        Assert.Contains("; predicting with it as linear on 1x28x28 images standardised with (0.1307, 0.3081), classes 0, 1,", stderr[0]);
        Assert.Equal(labels.Length, rows.Length);

        long correct = 0;
        double nll = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(i, rows[i].GetProperty("input").GetInt32());
            var top = rows[i].GetProperty("top").EnumerateArray().ToArray();
            Assert.Equal(10, top.Length);
            var p = top.ToDictionary(t => t.GetProperty("class").GetString()!, t => t.GetProperty("probability").GetDouble());
            Assert.Equal(ClassNames.Digits.Order(), p.Keys.Order()); // every class once (no "fashion" in the path: digit names)
            if (rows[i].GetProperty("class").GetString() == labels[i].ToString(CultureInfo.InvariantCulture)) correct++;
            nll -= Math.Log(p[labels[i].ToString(CultureInfo.InvariantCulture)]);
        }
        using var torch = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenDir, "torch_linear_eval.json")));
        Assert.Equal(torch.RootElement.GetProperty("correct").GetInt64(), correct);
        Check.Close(torch.RootElement.GetProperty("mean_ce").GetDouble(), nll / rows.Length, 1e-6, 0, "mean -log p[label] vs PyTorch");
    }

    [Fact]
    public void TopKOfEveryClassRoundTripsTheFloat64Probabilities_AndALargerKIsClamped()
    {
        using var dir = new TempDirectory();
        var (npy, _) = GoldenImagesNpy(dir);
        var rows = JsonLines(CliRunner.Run("predict", "--checkpoint", TorchLinear, "--input", npy, "--json", "--top-k", "10"));
        var clamped = JsonLines(CliRunner.Run("predict", "--checkpoint", TorchLinear, "--input", npy, "--json", "--top-k", "25"));

        // Independently: the linear layer in float64 on the standardised pixels, then softmax in float64.
        var (state, _, _) = TrainingCheckpoint.Load(TorchLinear);
        float[] w = state["linear.weight"].ToArray(), b = state["linear.bias"].ToArray();
        var raw = new MnistDataset(GoldenDir, train: false);
        for (int i = 0; i < raw.Count; i++)
        {
            var logits = new double[10];
            for (int k = 0; k < 10; k++)
            {
                double s = b[k];
                for (int j = 0; j < 784; j++) s += w[k * 784 + j] * ((raw.Images[i * 784 + j] / 255.0 - 0.1307) / 0.3081);
                logits[k] = s;
            }
            double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
            var top = rows[i].GetProperty("top").EnumerateArray().ToArray();
            double previous = double.PositiveInfinity, total = 0;
            foreach (var t in top)
            {
                int k = int.Parse(t.GetProperty("class").GetString()!, CultureInfo.InvariantCulture);
                double p = t.GetProperty("probability").GetDouble();
                Check.Close(Math.Exp(logits[k] - max) / sum, p, 1e-4, 1e-7, $"row {i} class {k}");
                Assert.True(p <= previous, "top is sorted by decreasing probability");
                previous = p;
                total += p;
            }
            Assert.Equal(1.0, total, 12);
            Assert.Equal(rows[i].GetRawText(), clamped[i].GetRawText());
        }

        // Full precision: the JSON numbers parse back to the very doubles the library computes, bit for bit.
        var predictor = LoadWithIdxRecipe();
        var expected = predictor.PredictPath(npy);
        for (int i = 0; i < rows.Length; i++)
            foreach (var t in rows[i].GetProperty("top").EnumerateArray())
            {
                int k = int.Parse(t.GetProperty("class").GetString()!, CultureInfo.InvariantCulture);
                double parsed = t.GetProperty("probability").GetDouble();
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected[i].Probabilities[k]), BitConverter.DoubleToInt64Bits(parsed));
            }
    }

    [Fact]
    public void PngAnd4dFloatNpyGiveTheUint8NpysProbabilities()
    {
        using var dir = new TempDirectory();
        var (npy, _) = GoldenImagesNpy(dir);
        var raw = new MnistDataset(GoldenDir, train: false);
        const int n = 3;
        var scaled = new float[n * 784];
        for (int i = 0; i < scaled.Length; i++) scaled[i] = raw.Images[i] / 255f;
        string npy4 = dir.File("images4.npy");
        Npy.Write(npy4, scaled, [n, 1, 28, 28]);
        for (int i = 0; i < n; i++) OwnDataFiles.Gray(dir.File($"png/{i}.png"), 28, 28, (x, y) => raw.Images[i * 784 + y * 28 + x]);

        string[] args = ["predict", "--checkpoint", TorchLinear, "--json", "--top-k", "10", "--input"];
        var fromUint8 = JsonLines(CliRunner.Run([.. args, npy]));
        var fromFloat = JsonLines(CliRunner.Run([.. args, npy4]));
        var fromPng = JsonLines(CliRunner.Run([.. args, dir.File("png")]));
        Assert.Equal(n, fromFloat.Length);
        Assert.Equal(n, fromPng.Length);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(fromUint8[i].GetProperty("top").GetRawText(), fromFloat[i].GetProperty("top").GetRawText());
            Assert.Equal(fromUint8[i].GetProperty("top").GetRawText(), fromPng[i].GetProperty("top").GetRawText());
            Assert.EndsWith($"{i}.png", fromPng[i].GetProperty("input").GetString());
        }
    }

    /// <summary>The spec eval, calibrate and export give a checkpoint without one: the tutorial's IDX recipe.</summary>
    private static Predictor LoadWithIdxRecipe()
    {
        var (state, _, _) = TrainingCheckpoint.Load(TorchLinear);
        var spec = ModelCatalog.LegacySpec("linear", ClassNames.Digits);
        var model = ModelCatalog.Create(spec, new Generator(0));
        model.LoadStateDict(state);
        return new Predictor(model, spec);
    }
}
