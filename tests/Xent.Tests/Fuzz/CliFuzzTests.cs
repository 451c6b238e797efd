using Xent.Tests.Cli;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Tests.Training;
using Xunit;

namespace Xent.Tests.Fuzz;

/// <summary>
/// The CLI's entry points on damaged files, in-process: every case exits 0, or 2 with exactly one <c>error:</c>
/// line and no stack trace. Fewer cases than <see cref="ReaderFuzzTests"/>, since each runs a whole command.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class CliFuzzTests : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly string _data;

    public CliFuzzTests()
    {
        _data = Path.Combine(_root.Path, "data");
        SyntheticIdx.Write(_data, train: 32, test: 16);
    }

    public void Dispose() => _root.Dispose();

    private string TrainedCheckpoint()
    {
        string dir = Path.Combine(_root.Path, "trained");
        var r = InProcessCli.Run("train", "--data", _data, "--out", dir, "--model", "linear", "--epochs", "1", "--limit-batches", "1",
            "--batch-size", "16");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return Path.Combine(dir, "checkpoint.safetensors");
    }

    /// <summary>Runs <paramref name="cases"/> damaged copies of <paramref name="sample"/> through <paramref name="command"/>.</summary>
    private void Fuzz(string name, FuzzTarget target, byte[] sample, int cases, string file, Func<string[]> command,
        bool mayDiverge = false)
    {
        int failed = 0, rejected = 0;
        var failures = new List<string>();
        for (int i = 0; i < cases && failed < 5; i++)
        {
            File.WriteAllBytes(file, target.Damage(sample, new Random(Mutator.CaseSeed(name, i))));
            var args = command();
            CliResult r;
            try { r = InProcessCli.Run(args); }
            catch (InvalidOperationException e)
                { failures.Add($"case {i}: {e.InnerException?.GetType().Name}: {e.InnerException?.Message}"); failed++; continue; }
            if (r.ExitCode == 0) continue;
            rejected++;
            // Damaged weights may be finite but huge: the loss then overflows, which is divergence (exit 3), not bad input.
            int expected = mayDiverge && r.ExitCode == 3 ? 3 : 2;
            try { CliAssert.OneLineError(r, expected, what: $"{name} case {i}"); }
            catch (Exception e) { failures.Add(e.Message); failed++; }
        }
        Assert.True(failures.Count == 0, $"{name}:\n{string.Join("\n", failures)}");
        Assert.True(rejected > 0, $"{name}: no mutation was rejected, so none reached the error path");
    }

    [Fact]
    public void EvalAndResumeOnDamagedCheckpoints()
    {
        string checkpoint = TrainedCheckpoint();
        byte[] sample = File.ReadAllBytes(checkpoint);
        string damaged = Path.Combine(_root.Path, "damaged.safetensors");
        var target = FuzzTargets.Get("safetensors");
        Fuzz("eval", target, sample, 300, damaged, () => ["eval", "--checkpoint", damaged, "--data", _data, "--json"]);
        string outDir = Path.Combine(_root.Path, "resumed");
        Fuzz("train --resume", target, sample, 100, damaged, () =>
            ["train", "--data", _data, "--out", outDir, "--model", "linear", "--epochs", "2", "--limit-batches", "1", "--batch-size", "16",
                "--resume", damaged], mayDiverge: true);
    }

    [Fact]
    public void LossOnDamagedNpyInputs()
    {
        string input = Path.Combine(_root.Path, "x.npy"), target = Path.Combine(_root.Path, "t.npy");
        Xent.IO.Npy.Write(input, new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        Xent.IO.Npy.Write(target, new long[] { 0, 2 }, [2]);
        byte[] sampleInput = File.ReadAllBytes(input), sampleTarget = File.ReadAllBytes(target);
        string damaged = Path.Combine(_root.Path, "damaged.npy");
        var npy = FuzzTargets.Get("npy");
        Fuzz("loss --input", npy, sampleInput, 200, damaged,
            () => ["loss", "cross-entropy", "--input", damaged, "--target", target, "--grad-out", Path.Combine(_root.Path, "g.npy")]);
        Fuzz("loss --target", npy, sampleTarget, 200, damaged, () => ["loss", "cross-entropy", "--input", input, "--target", damaged]);
    }

    [Fact]
    public void TrainAndEvalOnDamagedIdxFiles()
    {
        string checkpoint = TrainedCheckpoint();
        string data = Path.Combine(_root.Path, "fuzzed-data");
        SyntheticIdx.Write(data, train: 32, test: 16);
        string outDir = Path.Combine(_root.Path, "fuzzed-run");
        string[] Train() => ["train", "--data", data, "--out", outDir, "--overwrite", "--model", "linear", "--epochs", "1",
            "--limit-batches", "1", "--batch-size", "16"];
        string[] Eval() => ["eval", "--checkpoint", checkpoint, "--data", data, "--json"];

        // The test split is raw, the training split gzipped (SyntheticIdx): both readers' paths, through both commands.
        foreach (var (file, format) in new[] { ("t10k-labels-idx1-ubyte", "idx"), ("t10k-images-idx3-ubyte", "idx"),
            ("train-images-idx3-ubyte.gz", "idx.gz") })
        {
            string path = Path.Combine(data, file);
            byte[] sample = File.ReadAllBytes(path);
            if (file.StartsWith("t10k", StringComparison.Ordinal)) Fuzz($"eval ({file})", FuzzTargets.Get(format), sample, 60, path, Eval);
            Fuzz($"train ({file})", FuzzTargets.Get(format), sample, 60, path, Train);
            File.WriteAllBytes(path, sample);
        }
    }

    [Fact]
    public void TrainEvalAndPredictRefuseDamagedImagesInOneLine()
    {
        // QA: these ended in "internal error (AggregateException) … This is a bug in xent", exit code 1.
        string photos = Path.Combine(_root.Path, "photos");
        Data.OwnDataFiles.GrayClasses(photos, 4);
        string run = Path.Combine(_root.Path, "image-run");
        Assert.Equal(0, InProcessCli.Run("train", "--data", photos, "--out", run, "--epochs", "1").ExitCode);
        string checkpoint = Path.Combine(run, "checkpoint.safetensors");
        foreach (var c in DamagedImages.All())
        {
            string file = Path.Combine(photos, "bright", "0-damaged" + c.Extension); // the first file: read before the others
            File.WriteAllBytes(file, c.Bytes);
            string expected = $"cannot decode image '{file}': ";
            CliAssert.OneLineError(InProcessCli.Run("predict", "--checkpoint", checkpoint, "--input", file), 2, expected, $"predict, {c}");
            CliAssert.OneLineError(InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", photos), 2, expected, $"eval, {c}");
            CliAssert.OneLineError(InProcessCli.Run("train", "--data", photos, "--out", run, "--overwrite", "--epochs", "1"), 2, expected,
                $"train, {c}");
            File.Delete(file);
        }
    }
}
