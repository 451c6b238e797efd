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

    [Fact]
    public void TheRecordedLossIsReadInAnyCaseAndOneThatCannotBePassedIsNotAskedFor()
    {
        // qa-s20-a L4: setting.loss 'crossentropyloss' was read as a loss this xent does not know, and the refusal said to
        // "pass the loss crossentropyloss or leave it out" when it had been left out, and no option gives it.
        string csv = TinyTables.Labelled(_dir);
        string outDir = _dir.File("run");
        var train = InProcessCli.Run("train", "--data", csv, "--out", outDir, "--epochs", "1", "--batch-size", "8", "--loss", "focal");
        Assert.True(train.ExitCode == 0, train.Stderr);
        string checkpoint = Path.Combine(outDir, "checkpoint.safetensors");
        var file = SafeTensors.Read(checkpoint);
        Assert.Equal("FocalLoss(gamma=2)", file.Metadata["setting.loss"]);
        int n = 0;
        foreach (string edited in new[] { "focalloss(GAMMA=2)", "crossentropyloss", "MSELoss" })
        {
            var metadata = new Dictionary<string, string>(file.Metadata) { ["setting.loss"] = edited };
            SafeTensors.Write(checkpoint, file.Tensors, metadata);
            var resumed = InProcessCli.Run("train", "--data", csv, "--resume", checkpoint, "--epochs", "2", "--batch-size", "8",
                "--out", _dir.File($"r{n++}"));
            if (edited == "MSELoss")
            {
                Assert.Equal($"error: cannot resume from '{checkpoint}': it was trained with the loss MSELoss, which this xent " +
                    "cannot train with; a resumed run goes on minimising the loss its checkpoint was trained with: leave out " +
                    "--resume to start a new run.", resumed.Stderr.Trim());
                Assert.Equal(2, resumed.ExitCode);
                continue;
            }
            Assert.True(resumed.ExitCode == 0, resumed.Stderr);
            Assert.Contains($"Resuming from '{checkpoint}' at epoch 2.", resumed.Stdout, StringComparison.Ordinal);
            // The loss the checkpoint records, in xent's spelling: the focal loss with its gamma, or cross-entropy.
            Assert.Equal(edited.StartsWith('f') ? "FocalLoss(gamma=2)" : "CrossEntropyLoss",
                SafeTensors.Read(Path.Combine(_dir.File($"r{n - 1}"), "checkpoint.safetensors")).Metadata["setting.loss"]);
        }
    }
}
