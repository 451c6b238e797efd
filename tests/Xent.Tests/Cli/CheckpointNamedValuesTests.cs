using Xent.IO;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// qa-s19-a L5: the options are taken in any case (<c>--model MLP</c>), but a checkpoint whose metadata spells the values they
/// record in another case (<c>spec.model "MLP"</c>, by hand or by another tool) was refused: "Unknown model 'MLP'".
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class CheckpointNamedValuesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ACheckpointsNamedValuesAreReadInAnyCase()
    {
        string csv = TinyTables.Labelled(_dir);
        string outDir = _dir.File("run");
        string[] options = ["--model", "mlp", "--hidden", "8", "--missing", "mean", "--class-weights", "inverse-frequency",
            "--lr-schedule", "step", "--warmup", "2"];
        var train = InProcessCli.Run(["train", "--data", csv, "--out", outDir, "--epochs", "1", "--batch-size", "8", .. options]);
        Assert.True(train.ExitCode == 0, train.Stderr);
        string checkpoint = Path.Combine(outDir, "checkpoint.safetensors");
        var file = SafeTensors.Read(checkpoint);
        var metadata = new Dictionary<string, string>(file.Metadata);
        // What xent wrote, so that the edits below change something.
        Assert.Equal(("mlp", "features", "mean", "adam", "inverse-frequency", "step, warm-up 2"), (metadata["model"],
            metadata["spec.input_kind"], metadata["spec.impute_missing"], metadata["setting.optimizer"],
            metadata["setting.class_weights"], metadata["setting.lr_schedule"]));
        (metadata["model"], metadata["spec.model"], metadata["spec.input_kind"], metadata["spec.impute_missing"]) =
            ("MLP", "Mlp", "FEATURES", "MEAN");
        (metadata["setting.optimizer"], metadata["setting.class_weights"], metadata["setting.lr_schedule"]) =
            ("ADAM", "Inverse-Frequency", "STEP, Warm-Up 2");
        SafeTensors.Write(checkpoint, file.Tensors, metadata);

        var predict = InProcessCli.Run("predict", "--checkpoint", checkpoint, "--input", csv);
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        // Left out, each option is the checkpoint's; given, it is compared with it: neither is refused or warned about.
        foreach (string[] given in new[] { [], options })
        {
            string[] resume = ["train", "--data", csv, "--resume", checkpoint, "--epochs", "2", "--batch-size", "8",
                "--out", _dir.File($"r{given.Length}")];
            var resumed = InProcessCli.Run([.. resume, .. given]);
            Assert.True(resumed.ExitCode == 0, resumed.Stderr);
            // (The training loss may not fall in epoch 2, which a warning would say.)
            Assert.DoesNotContain("differ", resumed.Stderr, StringComparison.Ordinal);
            Assert.Contains($"Resuming from '{checkpoint}' at epoch 2.", resumed.Stdout, StringComparison.Ordinal);
        }
    }
}
