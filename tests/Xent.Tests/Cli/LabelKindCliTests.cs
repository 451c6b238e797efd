using Xent.IO;
using Xent.Tests.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// qa-s21-crash H1, H2, M1, M2: an (N, L) labels matrix (multi-label 0/1, or one-hot classes) given to a single-label model or run
/// is refused by every command before any work, in one line that names the file, its shape and what the model or run takes;
/// for one-hot rows, with the hint to save class indices. It was an internal error in eval and after an epoch of train, blamed
/// the model's output shape in calibrate, and called the run's own split another run's in eval --held-out.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class LabelKindCliTests : IDisposable
{
    private const int N = 30;
    private readonly TempDirectory _dir = new();
    private readonly string _x, _y;

    public LabelKindCliTests() => (_x, _y) = OwnDataFiles.NpyPair(_dir.Path, N);

    public void Dispose() => _dir.Dispose();

    /// <summary>An (N, 3) 0/1 matrix: one-hot rows of the classes, or (not one-hot) some rows with two labels.</summary>
    private string Matrix(string name, bool oneHot)
    {
        string path = _dir.File(name);
        var m = new long[N * 3];
        for (int i = 0; i < N; i++)
        {
            m[i * 3 + i % 3] = 1;
            if (!oneHot && i % 2 == 0) m[i * 3 + (i + 1) % 3] = 1;
        }
        Npy.Write(path, m, [N, 3]);
        return path;
    }

    private string Checkpoint()
    {
        string outDir = _dir.File("run");
        var r = InProcessCli.Run("train", "--data", _x, "--labels", _y, "--epochs", "1", "--batch-size", "8", "--out", outDir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return Path.Combine(outDir, "checkpoint.safetensors");
    }

    private static string Refusal(string labels, string owner, bool oneHot) =>
        $"error: '{labels}' has shape ({N}, 3), which xent reads as multi-label (3 labels of 0 or 1 per sample), but {owner} is " +
        $"single-label: pass one class per sample, shape ({N})." + (oneHot
            ? " Every row holds exactly one 1 (one-hot classes): save the class indices instead, np.save('labels.npy', y.argmax(1))."
            : "");

    private static void Refused(CliResult r, string line)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(line, r.Stderr.Trim());
    }

    [Fact]
    public void EvalCalibrateAndHeldOutRefuseALabelMatrixForASingleLabelModel()
    {
        string checkpoint = Checkpoint(), run = Path.GetDirectoryName(checkpoint)!;
        foreach (bool oneHot in new[] { false, true })
        {
            string m = Matrix(oneHot ? "onehot.npy" : "multi.npy", oneHot);
            string line = Refusal(m, "the model", oneHot);
            Refused(InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", _x, "--labels", m), line);
            Refused(InProcessCli.Run("calibrate", "--checkpoint", checkpoint, "--data", _x, "--labels", m), line);
            Refused(InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", _x, "--labels", m, "--held-out", run), line);
            Refused(InProcessCli.Run("calibrate", "--checkpoint", checkpoint, "--data", _x, "--labels", m, "--held-out", run), line);
        }
        // The same model on its own labels still evaluates.
        Assert.Equal(0, InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", _x, "--labels", _y, "--held-out", run).ExitCode);
    }

    [Fact]
    public void TrainRefusesALabelMatrixAsTestLabelsForSingleLabelTrainingLabelsBeforeTraining()
    {
        string m = Matrix("onehot.npy", oneHot: true), outDir = _dir.File("t");
        var r = InProcessCli.Run("train", "--data", _x, "--labels", _y, "--test-data", _x, "--test-labels", m, "--epochs", "1",
            "--out", outDir);
        Refused(r, Refusal(m, $"--labels '{_y}'", oneHot: true));
        Assert.DoesNotContain("Epoch", r.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void ResumeOfASingleLabelCheckpointRefusesALabelMatrix()
    {
        string checkpoint = Checkpoint(), m = Matrix("multi.npy", oneHot: false);
        Refused(InProcessCli.Run("train", "--resume", checkpoint, "--data", _x, "--labels", _y, "--test-data", _x, "--test-labels", m,
            "--epochs", "2", "--out", _dir.File("r1")), Refusal(m, $"--labels '{_y}'", oneHot: false));
        Refused(InProcessCli.Run("train", "--resume", checkpoint, "--data", _x, "--labels", m, "--epochs", "2", "--out", _dir.File("r2")),
            Refusal(m, $"the checkpoint '{checkpoint}'", oneHot: false));
    }

    /// <summary>A CSV of features x, y and 0/1 label columns a, b, c, and a multi-label checkpoint trained on it.</summary>
    private (string Csv, string Checkpoint) MultiLabelCheckpoint()
    {
        string csv = _dir.File("ml.csv");
        File.WriteAllLines(csv, ["x,y,a,b,c", .. Enumerable.Range(0, N).Select(i => $"{i % 3},{i % 5},{i % 2},{i % 3 % 2},{(i + 1) % 2}")]);
        string outDir = _dir.File("ml");
        var trained = InProcessCli.Run("train", "--data", csv, "--multi-label", "a,b,c", "--epochs", "1", "--batch-size", "8", "--out",
            outDir);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        return (csv, Path.Combine(outDir, "checkpoint.safetensors"));
    }

    [Fact]
    public void EvalRefusesTargetForAMultiLabelCheckpoint()
    {
        // qa-s21-crash L5: --target was ignored (all three labels scored), though options that are not read are refused.
        var (csv, checkpoint) = MultiLabelCheckpoint();
        Refused(InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", csv, "--target", "a"), "error: --target names a single " +
            "label column, and the model is multi-label (label columns 'a', 'b', 'c', read by name); leave it out.");
        Assert.Equal(0, InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", csv).ExitCode);
    }

    [Fact]
    public void ResumeOfAMultiLabelTableSaysWhichLabelColumnsToPass()
    {
        // qa-s21-crash M7: a label column read as a feature was "a column the checkpoint was not trained on (--features …)".
        var (csv, checkpoint) = MultiLabelCheckpoint();
        CliResult Resume(params string[] extra) =>
            InProcessCli.Run(["train", "--resume", checkpoint, "--data", csv, "--epochs", "2", "--out", _dir.File("r"), .. extra]);
        string head = $"error: cannot resume from '{checkpoint}': the checkpoint is multi-label with the label columns 'a', 'b', 'c', " +
            $"and '{csv}' was read ";
        Refused(Resume(), head + "as single-label, with 'c' as its label column and 'a' as a feature: pass --multi-label a,b,c.");
        Refused(Resume("--multi-label", "a,b"), head + "with 'c' as a feature: pass --multi-label a,b,c.");
        Refused(Resume("--target", "c"),
            head + "as single-label, with 'c' as its label column and 'a' as a feature: pass --multi-label a,b,c instead of --target.");
        Refused(Resume("--multi-label", "c,b,a"), $"error: cannot resume from '{checkpoint}': the checkpoint was trained on the label " +
            $"columns 'a', 'b', 'c', in that order, and '{csv}' was read with 'c', 'b', 'a': pass --multi-label a,b,c.");
        Assert.Equal(0, Resume("--multi-label", "a,b,c").ExitCode);
    }
}
