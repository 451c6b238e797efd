using System.Text.Json;
using Xent.IO;
using Xent.Tests.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// Image arrays in .npy files, (N, H, W) and (N, C, H, W), through <c>train</c>, <c>eval</c> and <c>predict</c>: uint8 pixels
/// are scaled to [0, 1] like image files, so one checkpoint takes a uint8 array, a float array of the same pixels and PNGs.
/// </summary>
public class NpyImagesCliTests
{
    private const int N = 48, Size = 8;

    private static void Ok(CliResult r) => Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);

    /// <summary>Three classes of 8×8 images, each a bright vertical band at its own place on a dark seeded texture.</summary>
    private static (byte[] Pixels, long[] Labels) Bands()
    {
        var rng = new Random(5);
        var x = new byte[N * Size * Size];
        var y = new long[N];
        for (int i = 0; i < N; i++)
        {
            y[i] = i % 3;
            for (int r = 0; r < Size; r++)
                for (int c = 0; c < Size; c++)
                    x[i * Size * Size + r * Size + c] = (byte)(rng.Next(40) + (c / 3 == y[i] ? 190 : 0));
        }
        return (x, y);
    }

    [Fact]
    public void ExportSaysPixelsInZeroOneOnlyForPixelData()
    {
        // A model trained on a float array takes its values as they were (sklearn's digits: 0-16), but export promised
        // "raw pixels in [0, 1]" for every image model.
        using var dir = new TempDirectory();
        var (x, y) = Bands();
        string gray = dir.File("gray.npy"), labels = dir.File("labels.npy"), digits = dir.File("digits.npy");
        Npy.Write(gray, x, [N, Size, Size]);
        Npy.Write(labels, y, [N]);
        Npy.Write(digits, x.Select(v => (float)(v / 16)).ToArray(), [N, 1, Size, Size]);
        string Export(string data, string name)
        {
            string run = dir.File(name);
            Ok(CliRunner.Run("train", "--data", data, "--labels", labels, "--epochs", "1", "--out", run));
            var r = CliRunner.Run("export", "--checkpoint", Path.Combine(run, "checkpoint.safetensors"), "--out", dir.File(name + ".onnx"));
            Ok(r);
            return r.Stdout;
        }
        const string Shape = "input 'input' (N, 1, 8, 8) raw ";
        Assert.Contains(Shape + "pixels in [0, 1], outputs", Export(gray, "from-uint8"));
        Assert.Contains(Shape + "values on the training data's scale, outputs", Export(digits, "from-float"));
        // The scale is recorded at training time: the uint8 file gone, the checkpoint still says what its model takes.
        File.Delete(gray);
        var again = CliRunner.Run("export", "--checkpoint", dir.File("from-uint8/checkpoint.safetensors"), "--out", dir.File("again.onnx"));
        Ok(again);
        Assert.Contains(Shape + "pixels in [0, 1], outputs", again.Stdout);
    }

    [Fact]
    public void InputsOnAnotherScaleThanTheTrainingDataAreWarnedAbout()
    {
        // QA: a model trained on x.astype(np.float32), pixels of 0-255, predicted every PNG as one class at 0.995: exit 0, no word.
        using var dir = new TempDirectory();
        var (x, y) = Bands();
        string f255 = dir.File("f255.npy"), u8 = dir.File("u8.npy"), labels = dir.File("labels.npy"), png = dir.File("png");
        Npy.Write(f255, x.Select(v => (float)v).ToArray(), [N, Size, Size]);
        Npy.Write(u8, x, [N, Size, Size]);
        Npy.Write(labels, y, [N]);
        for (int i = 0; i < 3; i++) OwnDataFiles.Gray(dir.File($"png/{i}.png"), Size, Size, (c, r) => x[i * Size * Size + r * Size + c]);
        string Train(string data, string name)
        {
            Ok(CliRunner.Run("train", "--data", data, "--labels", labels, "--epochs", "1", "--out", dir.File(name)));
            return dir.File(name + "/checkpoint.safetensors");
        }
        string fromFloats = Train(f255, "f255"), fromPixels = Train(u8, "u8");
        const string Pixels = "is read as pixels in [0, 1], but the model was trained on values of mean";
        const string Rms = "holds values of root mean square";

        var pngToFloats = CliRunner.Run("predict", "--checkpoint", fromFloats, "--input", png);
        Ok(pngToFloats);
        Assert.Contains($"Warning: '{png}' {Pixels} ", pngToFloats.Stderr, StringComparison.Ordinal);
        var floatsToPixels = CliRunner.Run("eval", "--checkpoint", fromPixels, "--data", f255, "--labels", labels, "--json");
        Ok(floatsToPixels);
        Assert.Contains($"Warning: '{f255}' {Rms} ", floatsToPixels.Stderr, StringComparison.Ordinal);
        Assert.Contains("(divide them by 255).", floatsToPixels.Stderr, StringComparison.Ordinal);
        // Each model on inputs of its own scale: nothing said.
        foreach (var r in new[]
        {
            CliRunner.Run("predict", "--checkpoint", fromPixels, "--input", png),
            CliRunner.Run("eval", "--checkpoint", fromFloats, "--data", f255, "--labels", labels),
            CliRunner.Run("eval", "--checkpoint", fromPixels, "--data", u8, "--labels", labels),
        })
        {
            Ok(r);
            Assert.DoesNotContain(Pixels, r.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(Rms, r.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void GrayNpyImagesTrainEvaluateAndPredictAsFloatArraysAndPngsDo()
    {
        using var dir = new TempDirectory();
        var (x, y) = Bands();
        string gray = dir.File("gray.npy"), labels = dir.File("labels.npy"), float4 = dir.File("float4.npy");
        Npy.Write(gray, x, [N, Size, Size]);
        Npy.Write(labels, y, [N]);
        Npy.Write(float4, x.Select(v => v / 255f).ToArray(), [N, 1, Size, Size]);
        string run = dir.File("run");
        Ok(CliRunner.Run("train", "--data", gray, "--labels", labels, "--test-data", gray, "--test-labels", labels, "--epochs", "4",
            "--batch-size", "8", "--lr", "0.003", "--out", run));
        string ckpt = Path.Combine(run, "checkpoint.safetensors");
        var spec = ModelSpec.FromMetadata(Checkpoint.Load(ckpt).Metadata)!;
        Assert.Equal(ModelSpec.ImageInput, spec.InputKind);
        Assert.Equal([1, Size, Size], spec.InputShape);
        Assert.Equal(["0", "1", "2"], spec.ClassNames);
        // Statistics of pixels in [0, 1], not 0-255: the training mean of the scaled pixels, computed here in float64.
        Assert.Equal(x.Average(v => v / 255.0), spec.Mean[0], 4);

        var evalGray = CliRunner.Run("eval", "--checkpoint", ckpt, "--data", gray, "--labels", labels, "--json");
        var evalFloat = CliRunner.Run("eval", "--checkpoint", ckpt, "--data", float4, "--labels", labels, "--json");
        Ok(evalGray);
        Ok(evalFloat);
        var g = JsonDocument.Parse(evalGray.Stdout).RootElement;
        Assert.Equal(N, g.GetProperty("total").GetInt32());
        Assert.True(g.GetProperty("accuracy").GetDouble() >= 0.9, evalGray.Stdout);
        var f = JsonDocument.Parse(evalFloat.Stdout).RootElement;
        Assert.Equal(g.GetProperty("mean_ce").GetDouble(), f.GetProperty("mean_ce").GetDouble());

        for (int i = 0; i < 3; i++) OwnDataFiles.Gray(dir.File($"png/{i}.png"), Size, Size, (c, r) => x[i * Size * Size + r * Size + c]);
        Npy.Write(dir.File("first3.npy"), x.AsSpan(0, 3 * Size * Size), [3, Size, Size]);
        string[] predict = ["predict", "--checkpoint", ckpt, "--json", "--top-k", "3", "--input"];
        var fromNpy = CliRunner.Run([.. predict, dir.File("first3.npy")]);
        var fromPng = CliRunner.Run([.. predict, dir.File("png")]);
        Ok(fromNpy);
        Ok(fromPng);
        var a = fromNpy.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var b = fromPng.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, b.Length);
        for (int i = 0; i < 3; i++)
        {
            var pa = JsonDocument.Parse(a[i]).RootElement;
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), pa.GetProperty("class").GetString());
            Assert.Equal(pa.GetProperty("top").GetRawText(), JsonDocument.Parse(b[i]).RootElement.GetProperty("top").GetRawText());
        }
    }

    [Fact]
    public void RgbNpyImagesTrainAndPredict_AndAChannelsLastArrayIsOneClearError()
    {
        using var dir = new TempDirectory();
        var (x, y) = Bands();
        // (N, 3, H, W) float32: the band in the red channel, its negative in blue.
        int plane = Size * Size;
        var rgb = new float[N * 3 * plane];
        for (int i = 0; i < N; i++)
            for (int p = 0; p < plane; p++)
            {
                float v = x[i * plane + p] / 255f;
                rgb[(i * 3 + 0) * plane + p] = v;
                rgb[(i * 3 + 1) * plane + p] = 0.5f;
                rgb[(i * 3 + 2) * plane + p] = 1 - v;
            }
        string features = dir.File("rgb.npy"), labels = dir.File("labels.npy");
        Npy.Write(features, rgb, [N, 3, Size, Size]);
        Npy.Write(labels, y, [N]);
        string run = dir.File("run");
        Ok(CliRunner.Run("train", "--data", features, "--labels", labels, "--test-data", features, "--test-labels", labels, "--epochs", "4",
            "--batch-size", "8", "--lr", "0.003", "--out", run));
        string ckpt = Path.Combine(run, "checkpoint.safetensors");
        Assert.Equal([3, Size, Size], ModelSpec.FromMetadata(Checkpoint.Load(ckpt).Metadata)!.InputShape);
        var eval = CliRunner.Run("eval", "--checkpoint", ckpt, "--data", features, "--labels", labels, "--json");
        Ok(eval);
        Assert.True(JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("accuracy").GetDouble() >= 0.9, eval.Stdout);
        var predict = CliRunner.Run("predict", "--checkpoint", ckpt, "--input", features, "--json", "--top-k", "1");
        Ok(predict);
        Assert.Equal(N, predict.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        string hwc = dir.File("hwc.npy");
        Npy.Write(hwc, new float[2 * plane * 3], [2, Size, Size, 3]);
        var bad = CliRunner.Run("predict", "--checkpoint", ckpt, "--input", hwc);
        CliAssert.OneLineError(bad, 2, "expected an array of shape (N, 3, 8, 8), channels first");
    }
}
