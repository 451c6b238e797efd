using System.Globalization;
using System.Text.Json;
using Xent.Data;
using Xent.IO;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// <c>xent calibrate</c> run as a process on PyTorch's linear classifier and 200 Fashion-MNIST test images
/// (tools/golden/gen_train.py): the NLL before is PyTorch's mean cross-entropy, the temperature minimises the NLL, and
/// <c>--out</c> writes the same tensors with the temperature in the model spec.
/// </summary>
public sealed class CalibrateCliTests : IDisposable
{
    private static string GoldenDir => Path.Combine(AppContext.BaseDirectory, "golden", "train");
    private static string Checkpoint => Path.Combine(GoldenDir, "torch_linear.safetensors");
    private readonly string _dir = Directory.CreateTempSubdirectory("xent-calibrate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void FitsTheTemperature_ReportsPyTorchsNll_AndStoresTInTheSpec()
    {
        // A missing folder for --out is created, as export, predict and eval --report do (it was refused).
        string outPath = Path.Combine(_dir, "new", "folder", "calibrated.safetensors");
        var r = CliRunner.Run("calibrate", "--checkpoint", Checkpoint, "--data", GoldenDir, "--json", "--out", outPath);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var got = json.RootElement;
        using var torch = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenDir, "torch_linear_eval.json")));
        Check.Close(torch.RootElement.GetProperty("mean_ce").GetDouble(), got.GetProperty("nll_before").GetDouble(), 1e-6, 0, "nll_before");
        Assert.Equal(200, got.GetProperty("samples").GetInt32());
        double t = got.GetProperty("temperature").GetDouble();
        double before = got.GetProperty("nll_before").GetDouble(), after = got.GetProperty("nll_after").GetDouble();
        Assert.True(after <= before, $"NLL {before} -> {after}");

        // T minimises the NLL of the model's logits, computed here in float64 from the same checkpoint and images.
        var (state, _, _) = TrainingCheckpoint.Load(Checkpoint);
        var model = ModelCatalog.Create("linear", new Generator(0));
        model.LoadStateDict(state);
        var data = new MnistDataset(GoldenDir, train: false, new Compose(new ToTensor(), new Normalize(0.1307, 0.3081)));
        var (logits, targets, classes) = TemperatureScaling.CollectLogits(model, new DataLoader(data, 64));
        double Nll(double temperature)
        {
            double s = 0;
            for (int i = 0; i < targets.Length; i++)
            {
                var row = logits.AsSpan(i * classes, classes).ToArray().Select(v => v / temperature).ToArray();
                double m = row.Max();
                s += m + Math.Log(row.Sum(v => Math.Exp(v - m))) - row[targets[i]];
            }
            return s / targets.Length;
        }
        Check.Close(before, Nll(1), 1e-9, 0, "nll at T = 1");
        Check.Close(after, Nll(t), 1e-9, 0, "nll at T");
        Assert.True(Nll(t) <= Nll(t * 1.001) && Nll(t) <= Nll(t / 1.001), $"T = {t} is not a minimiser");

        // --out: the same tensors, and a spec whose temperature is T.
        var (origTensors, _) = Xent.IO.Checkpoint.Load(Checkpoint);
        var (newTensors, metadata) = Xent.IO.Checkpoint.Load(outPath);
        Assert.Equal(origTensors.Keys.Order(), newTensors.Keys.Order());
        foreach (var (k, v) in origTensors) Assert.Equal(v.ToArray(), newTensors[k].ToArray());
        var spec = ModelSpec.FromMetadata(metadata)!;
        Assert.Equal((float)t, spec.Temperature);
        Assert.Equal("linear", spec.Model);
        Assert.Equal(10, spec.NumClasses);

        // eval of the calibrated checkpoint reports the calibrated mean cross-entropy and ECE.
        var eval = CliRunner.Run("eval", "--checkpoint", outPath, "--data", GoldenDir, "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using (var ej = JsonDocument.Parse(eval.Stdout))
        {
            Check.Close(after, ej.RootElement.GetProperty("mean_ce").GetDouble(), 1e-6, 0, "eval mean_ce at T");
            Check.Close(got.GetProperty("ece_after").GetDouble(), ej.RootElement.GetProperty("ece").GetDouble(), 1e-6, 1e-9,
                "eval ece at T");
        }

        // Calibrating the calibrated checkpoint fits the raw logits again and says what it replaces.
        var again = CliRunner.Run("calibrate", "--checkpoint", outPath, "--data", GoldenDir);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture,
            $"temperature          {t:F4} (the checkpoint had {spec.Temperature:F4}"), again.Stdout);
    }

    [Fact]
    public void CalibratesACsvModel_AndEvalUsesTheTemperature()
    {
        // The data layer's own sources: a model trained on a CSV is calibrated on a held-out CSV with the same columns.
        string train = Xent.Tests.Data.OwnDataFiles.SeparableCsv(Path.Combine(_dir, "train.csv"), 120, seed: 3);
        string heldOut = Xent.Tests.Data.OwnDataFiles.SeparableCsv(Path.Combine(_dir, "val.csv"), 90, seed: 4);
        string run = Path.Combine(_dir, "run");
        var t = CliRunner.Run("train", "--data", train, "--target", "species", "--model", "mlp", "--hidden", "16", "--epochs", "30",
            "--batch-size", "16", "--lr", "0.02", "--out", run);
        Assert.True(t.ExitCode == 0, t.Stderr);
        string calibrated = Path.Combine(_dir, "cal.safetensors");
        var r = CliRunner.Run("calibrate", "--checkpoint", Path.Combine(run, "checkpoint.safetensors"), "--data", heldOut, "--json",
            "--out", calibrated);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.Equal(90, json.RootElement.GetProperty("samples").GetInt32());
        Assert.True(json.RootElement.GetProperty("nll_after").GetDouble() <= json.RootElement.GetProperty("nll_before").GetDouble());
        var eval = CliRunner.Run("eval", "--checkpoint", calibrated, "--data", heldOut, "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using var evalJson = JsonDocument.Parse(eval.Stdout);
        Check.Close(json.RootElement.GetProperty("nll_after").GetDouble(), evalJson.RootElement.GetProperty("mean_ce").GetDouble(), 1e-6,
            0, "eval mean_ce");
        // qa-s21-seen L7: and says which temperature it applied: calibrate's T as the checkpoint stores it (float32), 1 before.
        float fitted = (float)json.RootElement.GetProperty("temperature").GetDouble();
        Assert.NotEqual(1f, fitted);
        Assert.Equal(fitted, evalJson.RootElement.GetProperty("temperature").GetSingle());
        var raw = CliRunner.Run("eval", "--checkpoint", Path.Combine(run, "checkpoint.safetensors"), "--data", heldOut, "--json");
        Assert.True(raw.ExitCode == 0, raw.Stderr);
        Assert.Equal(1.0, JsonDocument.Parse(raw.Stdout).RootElement.GetProperty("temperature").GetDouble());
    }

    [Fact]
    public void WithoutData_AFeatureModelIsAskedForItsData_AsEvalAsks()
    {
        // calibrate read the default Fashion-MNIST folder and said its images do not fit (qa-s20-journey L1), or that it is not
        // installed; eval asked for --data.
        using var dir = new Xent.Tests.IO.TempDirectory();
        var (_, checkpoint) = TinyTables.TrainedLinear(dir);
        foreach (var (command, verb) in new[] { ("calibrate", "calibrate"), ("eval", "evaluate") })
            CliAssert.OneLineError(InProcessCli.Run(command, "--checkpoint", checkpoint), 2,
                $"'{checkpoint}' was trained on features of shape (2); pass the labelled data to {verb} with --data.", command);
    }

    [Fact]
    public void WithoutData_AnImageModelIsAskedForItsImages()
    {
        // qa-s20-b L5: "was trained on image of shape (1, 8, 8)".
        using var dir = new Xent.Tests.IO.TempDirectory();
        string images = dir.File("images");
        Xent.Tests.Data.OwnDataFiles.GrayClasses(images, perClass: 3);
        Assert.Equal(0, InProcessCli.Run("train", "--data", images, "--model", "linear", "--epochs", "1", "--out", dir.File("run"))
            .ExitCode);
        string checkpoint = dir.File("run/checkpoint.safetensors");
        foreach (string command in new[] { "calibrate", "eval" })
            CliAssert.OneLineError(InProcessCli.Run(command, "--checkpoint", checkpoint), 2,
                $"'{checkpoint}' was trained on images of shape (", command);
    }

    [Fact]
    public void BadInputs_AreOneErrorLineAndExitCode2()
    {
        foreach (var args in new[]
        {
            new[] { "calibrate", "--checkpoint", Path.Combine(GoldenDir, "nope.safetensors"), "--data", GoldenDir },
            ["calibrate", "--checkpoint", Checkpoint, "--data", Path.Combine(_dir, "no-such-dir")],
            ["calibrate", "--checkpoint", Checkpoint, "--data", GoldenDir, "--model", "cnn"],
        })
            CliAssert.OneLineError(CliRunner.Run(args), 2, what: string.Join(' ', args));
    }

    [Fact]
    public void AnOnnxOutName_IsRefused_SinceCalibrateWritesACheckpoint()
    {
        // qa-s21-crash M9: `calibrate --out c.onnx` wrote a safetensors checkpoint under that name, exit 0.
        string onnx = Path.Combine(_dir, "c.onnx");
        CliAssert.OneLineError(InProcessCli.Run("calibrate", "--checkpoint", Checkpoint, "--data", GoldenDir, "--out", onnx), 2,
            $"--out '{onnx}' ends in .onnx, but calibrate writes a checkpoint; pass e.g. --out {Path.Combine(_dir, "c.safetensors")}");
        Assert.False(File.Exists(onnx));
    }
}
