using Xent.IO;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// A command's output path never replaces one of its inputs: export, calibrate, eval --report and loss refuse it before any
/// work, with one <c>error:</c> line and exit code 2, and leave every file as it was. Before, each wrote over its input and
/// exited 0 (an <c>export --out</c> equal to <c>--checkpoint</c> lost the trained model).
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class OutputPathsCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Runs the command, expects it refused with <paramref name="expected"/>, and every file in the folder unchanged.</summary>
    private void Refused(string expected, params string[] args)
    {
        var before = Snapshot();
        CliAssert.OneLineError(InProcessCli.Run(args), 2, expected);
        var after = Snapshot();
        Assert.Equal(before.Keys.Order(), after.Keys.Order()); // nothing created or removed
        foreach (var (path, bytes) in before) Assert.Equal(bytes, after[path]);
    }

    private Dictionary<string, byte[]> Snapshot() =>
        Directory.EnumerateFiles(_dir.Path, "*", SearchOption.AllDirectories).ToDictionary(p => p, File.ReadAllBytes);

    [Fact]
    public void ExportRefusesTheCheckpointAlsoThroughALink()
    {
        var (_, ckpt) = TinyTables.TrainedLinear(_dir);
        Refused($"--out '{ckpt}' is the --checkpoint file", "export", "--checkpoint", ckpt, "--out", ckpt);
        string link = _dir.File("link.onnx");
        File.CreateSymbolicLink(link, ckpt);
        Refused($"--out '{link}' is the --checkpoint file", "export", "--checkpoint", ckpt, "--out", link);
        Refused("is a folder; name a file such as model.onnx", "export", "--checkpoint", ckpt, "--out", _dir.Path);
        // A fresh file is written.
        Assert.Equal(0, InProcessCli.Run("export", "--checkpoint", ckpt, "--out", _dir.File("model.onnx")).ExitCode);
        Assert.True(File.Exists(_dir.File("model.onnx")));
    }

    [Fact]
    public void ALinkToAFolderOnTheWayIsFollowed()
    {
        // Only a link in the last part of the path was followed: run-link/checkpoint.safetensors replaced the model.
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        string runLink = _dir.File("run-link"), dataDir = _dir.File("data"), dataLink = _dir.File("data-link");
        Directory.CreateSymbolicLink(runLink, Path.GetDirectoryName(ckpt)!);
        Directory.CreateDirectory(dataDir);
        File.Copy(csv, Path.Combine(dataDir, "data.csv"));
        Directory.CreateSymbolicLink(dataLink, "data"); // relative, as ln -s data data-link makes it
        string viaRun = Path.Combine(runLink, "checkpoint.safetensors"), viaData = Path.Combine(dataLink, "data.csv");
        Refused($"--out '{viaRun}' is the --checkpoint file", "export", "--checkpoint", ckpt, "--out", viaRun);
        Refused($"--out '{viaData}' is the --input file", "predict", "--checkpoint", ckpt, "--input",
            Path.Combine(dataDir, "data.csv"), "--out", viaData);
    }

    [Fact]
    public void AFileInsideAFolderInputIsRefused()
    {
        string images = _dir.File("images");
        Xent.Tests.Data.OwnDataFiles.GrayClasses(images, 3);
        string outDir = _dir.File("run");
        Assert.Equal(0, InProcessCli.Run("train", "--data", images, "--out", outDir, "--epochs", "1", "--model", "linear").ExitCode);
        string ckpt = Path.Combine(outDir, "checkpoint.safetensors");
        string image = Directory.EnumerateFiles(images, "*", SearchOption.AllDirectories).First();
        Refused($"--out '{image}' is inside the --input folder '{images}', whose files the command reads",
            "predict", "--checkpoint", ckpt, "--input", images, "--out", image);
        Refused($"--report '{Path.Combine(images, "eval.html")}' is inside the --data folder",
            "eval", "--checkpoint", ckpt, "--data", images, "--report", Path.Combine(images, "eval.html"));
    }

    [Fact]
    public void CalibrateRefusesTheDataButMayReplaceTheCheckpoint()
    {
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        Refused($"--out '{csv}' is the --data file", "calibrate", "--checkpoint", ckpt, "--data", csv, "--target", "label",
            "--out", csv);
        byte[] before = File.ReadAllBytes(ckpt);
        var inPlace = InProcessCli.Run("calibrate", "--checkpoint", ckpt, "--data", csv, "--target", "label", "--out", ckpt, "--json");
        Assert.Equal(0, inPlace.ExitCode);
        Assert.NotEqual(before, File.ReadAllBytes(ckpt)); // the fitted temperature is in its spec now
    }

    [Fact]
    public void HeldOutRunFolder_TakesANewFileBesideTheSplit_AndRefusesTheSplit()
    {
        // qa-s21-seen M1: --held-out RUN refused --report RUN/eval.html ("inside the --held-out folder, whose files the command
        // reads"), though it reads only RUN/split.csv and --held-out RUN/split.csv took the same report.
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        string run = Path.GetDirectoryName(ckpt)!, split = Path.Combine(run, "split.csv");
        foreach (string heldOut in new[] { run, split })
        {
            Refused($"--report '{split}' is the --held-out file", "eval", "--checkpoint", ckpt, "--data", csv, "--held-out", heldOut,
                "--report", split);
            Refused($"--out '{split}' is the --held-out file", "calibrate", "--checkpoint", ckpt, "--data", csv, "--held-out", heldOut,
                "--out", split);
        }
        string report = Path.Combine(run, "eval.html"), calibrated = Path.Combine(run, "calibrated.safetensors");
        var eval = InProcessCli.Run("eval", "--checkpoint", ckpt, "--data", csv, "--held-out", run, "--report", report);
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(report), StringComparison.OrdinalIgnoreCase);
        var calibrate = InProcessCli.Run("calibrate", "--checkpoint", ckpt, "--data", csv, "--held-out", run, "--out", calibrated);
        Assert.True(calibrate.ExitCode == 0, calibrate.Stderr);
        Assert.True(File.Exists(calibrated));
    }

    [Fact]
    public void AnOutputBelowAFileSaysSoOnce()
    {
        // "cannot write 'x': Cannot write 'x': directory '…/data.csv' does not exist", after the whole fit: the prefix twice, a file
        // called a folder, and the work done for nothing. Now refused up front, for every command's output.
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        string below = Path.Combine(csv, "sub", "calibrated.safetensors");
        CliAssert.OneLineError(InProcessCli.Run("calibrate", "--checkpoint", ckpt, "--data", csv, "--target", "label", "--out", below),
            2, $"error: --out '{below}' cannot be written: '{csv}' is a file, not a folder.");
        CliAssert.OneLineError(InProcessCli.Run("eval", "--checkpoint", ckpt, "--data", csv, "--target", "label", "--report", below),
            2, $"error: --report '{below}' cannot be written: '{csv}' is a file, not a folder.");
    }

    [Fact]
    public void EvalReportRefusesTheDataAndTheCheckpoint()
    {
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        Refused($"--report '{csv}' is the --data file", "eval", "--checkpoint", ckpt, "--data", csv, "--target", "label",
            "--report", csv);
        Refused($"--report '{ckpt}' is the --checkpoint file", "eval", "--checkpoint", ckpt, "--data", csv, "--target", "label",
            "--report", ckpt);
    }

    [Fact]
    public void LossOutputsRefuseTheInputsAndEachOther()
    {
        string x = _dir.File("x.npy"), t = _dir.File("t.npy"), w = _dir.File("w.npy"), o = _dir.File("o.npy");
        Npy.Write(x, new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        Npy.Write(t, new long[] { 0, 2 }, [2]);
        Npy.Write(w, new float[] { 1, 2, 3 }, [3]);
        string[] loss = ["loss", "cross-entropy", "--input", x, "--target", t, "--weight", w];
        Refused($"--out '{x}' is the --input file", [.. loss, "--out", x]);
        Refused($"--grad-out '{t}' is the --target file", [.. loss, "--grad-out", t]);
        Refused($"--out '{w}' is the --weight file", [.. loss, "--out", w]);
        Refused($"--grad-out '{o}' is the --out file", [.. loss, "--out", o, "--grad-out", o]);
        Refused("--out", [.. loss, "--out", _dir.Path]);
        Assert.Equal(0, InProcessCli.Run([.. loss, "--out", o, "--grad-out", _dir.File("g.npy")]).ExitCode);
        Assert.Equal([2, 3], Npy.Read(_dir.File("g.npy")).Shape.ToArray());
    }

    [Fact]
    public void LossRefusesAnOutputInAMissingFolderBeforePrintingTheLoss()
    {
        // The loss was printed on stdout, and only then "cannot write …: directory … does not exist" and exit 2: a script
        // reading stdout took the value. loss creates no folders (its two .npy files are committed together), so the path is
        // refused with the other bad ones, before anything is computed or printed.
        string x = _dir.File("x.npy"), t = _dir.File("t.npy"), o = _dir.File("o.npy");
        string missing = Path.Combine(_dir.Path, "missing");
        Npy.Write(x, new float[] { -2, 2 }, [2]);
        Npy.Write(t, new float[] { 0, 1 }, [2]);
        string[] loss = ["loss", "sigmoid-focal", "--input", x, "--target", t];
        foreach (var (args, expected) in new (string[], string)[]
        {
            ([.. loss, "--out", Path.Combine(missing, "l.npy")],
                $"error: --out '{Path.Combine(missing, "l.npy")}' cannot be written: folder '{missing}' does not exist."),
            ([.. loss, "--out", o, "--grad-out", Path.Combine(missing, "deeper", "g.npy")],
                $"error: --grad-out '{Path.Combine(missing, "deeper", "g.npy")}' cannot be written: folder "
                + $"'{Path.Combine(missing, "deeper")}' does not exist."),
        })
        {
            var before = Snapshot();
            var r = InProcessCli.Run(args);
            CliAssert.OneLineError(r, 2);
            Assert.Equal(expected, r.Stderr.TrimEnd('\n', '\r'));
            Assert.Equal("", r.Stdout);
            Assert.Equal(before.Keys.Order(), Snapshot().Keys.Order()); // o.npy not written either
            Assert.False(Directory.Exists(missing));
        }
    }

    [Fact]
    public void AnOutputTheFileSystemRefusesNamesTheUsersFileNotTheTemporaryOne()
    {
        // "cannot write '/proc/m.onnx': Could not find file '/proc/m.onnx.tmp-b5a80f928f0d'.": a name the user never gave.
        if (!OperatingSystem.IsLinux()) return; // /proc: a folder where no file can be created, whoever runs the tests
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        string x = _dir.File("x.npy"), t = _dir.File("t.npy");
        Npy.Write(x, new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        Npy.Write(t, new long[] { 0, 2 }, [2]);
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["export", "--checkpoint", ckpt, "--out", "/proc/m.onnx"],
                "error: cannot write '/proc/m.onnx': could not create a file in '/proc'."),
            (["predict", "--checkpoint", ckpt, "--input", csv, "--out", "/proc/p.csv"],
                "error: cannot write '/proc/p.csv': could not create a file in '/proc'."),
            (["calibrate", "--checkpoint", ckpt, "--data", csv, "--target", "label", "--out", "/proc/c.safetensors"],
                "error: cannot write '/proc/c.safetensors': could not create a file in '/proc'."),
            (["eval", "--checkpoint", ckpt, "--data", csv, "--target", "label", "--report", "/proc/r.html", "--json"],
                "error: cannot write the report '/proc/r.html': could not create a file in '/proc'."),
            (["loss", "cross-entropy", "--input", x, "--target", t, "--out", "/proc/o.npy"],
                "error: cannot write '/proc/o.npy': could not create a file in '/proc'."),
        })
        {
            var r = InProcessCli.Run(args);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: exit code {r.ExitCode}; stderr: {r.Stderr}");
            var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(expected, lines[^1]);
            Assert.All(lines[..^1], l => Assert.StartsWith("Warning: ", l, StringComparison.Ordinal)); // calibrate's bound warning
            Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp-*", SearchOption.AllDirectories));
        }
    }

    [Fact]
    public void AWriteThatFailsRemovesTheFoldersItCreated()
    {
        // The folders of --out (and --report) are created before the write; a write that then failed left them behind. A file
        // name over the file system's 255-byte limit fails only when the file itself is created.
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        string name = new('a', 300);
        string fresh = _dir.File("fresh");
        foreach (var args in new[]
        {
            new[] { "export", "--checkpoint", ckpt, "--out", Path.Combine(fresh, "sub", name + ".onnx") },
            ["predict", "--checkpoint", ckpt, "--input", csv, "--out", Path.Combine(fresh, "sub", name + ".csv")],
            ["eval", "--checkpoint", ckpt, "--data", csv, "--target", "label", "--report", Path.Combine(fresh, "sub", name + ".html")],
            ["calibrate", "--checkpoint", ckpt, "--data", csv, "--target", "label", "--out",
                Path.Combine(fresh, "sub", name + ".safetensors")],
        })
        {
            var r = InProcessCli.Run(args);
            Assert.True(r.ExitCode == 2, $"{args[0]}: exit code {r.ExitCode}; stderr: {r.Stderr}");
            Assert.False(Directory.Exists(fresh), $"{args[0]} left the folders it created");
        }
        // A folder that was there stays, with what it held.
        Directory.CreateDirectory(fresh);
        File.WriteAllText(Path.Combine(fresh, "mine.txt"), "kept");
        Assert.Equal(2, InProcessCli.Run(["export", "--checkpoint", ckpt, "--out", Path.Combine(fresh, "sub", name + ".onnx")]).ExitCode);
        Assert.Equal(["mine.txt"], Directory.GetFileSystemEntries(fresh).Select(Path.GetFileName));
    }
}
