using System.Buffers.Binary;
using System.Text;
using Xent.IO;
using Xent.Tests.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Tests.Training;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// Issue 13's list of hostile but realistic inputs to <c>train</c>, <c>eval</c> and <c>loss</c>: each ends in one
/// <c>error:</c> line and exit code 2 (3 for divergence), with no stack trace and no file of an earlier run lost.
/// Run in-process through the CLI's entry point (<see cref="InProcessCli"/>); a few run as a real process too.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class HostileInputTests : IDisposable
{
    private static readonly string[] Quick = ["--model", "linear", "--batch-size", "16", "--limit-batches", "2", "--seed", "5"];
    private readonly TempDirectory _root = new();
    private readonly string _data;

    public HostileInputTests()
    {
        _data = Path.Combine(_root.Path, "data");
        SyntheticIdx.Write(_data, train: 48, test: 20);
    }

    public void Dispose() => _root.Dispose();

    private string Dir(string name) => Path.Combine(_root.Path, name);

    private CliResult Train(string outDir, params string[] extra) =>
        InProcessCli.Run(["train", "--data", _data, "--out", outDir, .. Quick,
            .. extra.Contains("--epochs") ? extra : ["--epochs", "1", .. extra]]);

    [Theory]
    [InlineData("--lr", "NaN")]
    [InlineData("--lr", "-1")]
    [InlineData("--lr", "Infinity")]
    [InlineData("--momentum", "-1")]
    [InlineData("--weight-decay", "NaN")]
    [InlineData("--label-smoothing", "NaN")]
    [InlineData("--label-smoothing", "1.5")]
    [InlineData("--epochs", "0")]
    [InlineData("--epochs", "2000000")]
    [InlineData("--val-split", "1.5")]
    [InlineData("--val-split", "NaN")]
    [InlineData("--patience", "0")]
    [InlineData("--warmup", "-3")]
    [InlineData("--clip-grad-norm", "0")]
    [InlineData("--clip-grad-norm", "Infinity")]
    [InlineData("--lr-gamma", "-0.5")]
    public void BadNumbersAreOneLineAndExit2BeforeAnythingIsWritten(string option, string value)
    {
        string outDir = Dir("bad-number");
        var r = Train(outDir, option, value);
        CliAssert.OneLineError(r, 2, $"{option} must be ", $"{option} {value}");
        Assert.EndsWith($", got {value}.", r.Stderr.TrimEnd(), StringComparison.Ordinal); // the one bad value, named
        Assert.False(Directory.Exists(outDir), "nothing may be created for a rejected command line");
    }

    [Fact]
    public void AMomentumForAnOptimizerOtherThanSgdIsOneLineAndExit2()
    {
        var r = Train(Dir("adam-momentum"), "--optimizer", "adam", "--momentum", "0.9");
        CliAssert.OneLineError(r, 2, "Only sgd takes a momentum", "--optimizer adam --momentum 0.9");
    }

    [Fact]
    public void ParseErrorsAreOneLineWithAHintToHelp()
    {
        foreach (var args in new[] { new[] { "train", "--epochs", "abc" }, ["train", "--no-such-option"], ["no-such-command"], ["eval"] })
        {
            var r = InProcessCli.Run(args);
            CliAssert.OneLineError(r, 2, "--help'", string.Join(' ', args));
            Assert.DoesNotContain("Usage:", r.Stdout + r.Stderr, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("train --lr abc", "Cannot parse argument 'abc' for option '--lr': expected a number.")]
    [InlineData("train --label-smoothing inf", "Cannot parse argument 'inf' for option '--label-smoothing': expected a number.")]
    [InlineData("train --epochs 3.5", "Cannot parse argument '3.5' for option '--epochs': expected an integer.")]
    [InlineData("train --seed 99999999999999999999",
        "Cannot parse argument '99999999999999999999' for option '--seed': expected an integer from -9223372036854775808 to " +
        "9223372036854775807.")]
    [InlineData("eval --checkpoint c --test-batch-size x",
        "Cannot parse argument 'x' for option '--test-batch-size': expected an integer.")]
    [InlineData("predict --checkpoint c --input i --top-k 3000000000",
        "Cannot parse argument '3000000000' for option '--top-k': expected an integer from -2147483648 to 2147483647.")]
    [InlineData("calibrate --checkpoint c --threads two", "Cannot parse argument 'two' for option '--threads': expected an integer.")]
    [InlineData("bench gemm --size abc", "Cannot parse argument 'abc' for option '--size': expected an integer.")]
    [InlineData("bench linear-ce --scratch-mib z", "Cannot parse argument 'z' for option '--scratch-mib': expected a number.")]
    public void ParseErrorsSayWhatTheOptionTakesNotADotNetType(string commandLine, string message)
    {
        // They read "as expected type 'System.Nullable`1[System.Double]'".
        string[] args = commandLine.Split(' ');
        var r = InProcessCli.Run(args);
        CliAssert.OneLineError(r, 2, "error: " + message, commandLine);
        Assert.DoesNotContain("System.", r.Stderr, StringComparison.Ordinal);
        Assert.EndsWith($" See 'xent {string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')))} --help'.", r.Stderr.TrimEnd(),
            StringComparison.Ordinal);
    }

    [Fact]
    public void VerbosePrintsTheStackTraceAfterTheErrorLine()
    {
        var r = InProcessCli.Run("eval", "--checkpoint", _root.Path, "--data", _data, "--verbose");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: checkpoint '", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("is a folder, not a file", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void OutThatIsAFileIsRefusedAndKept()
    {
        string file = Dir("a-file");
        File.WriteAllText(file, "precious");
        CliAssert.OneLineError(Train(file), 2, "is a file");
        Assert.Equal("precious", File.ReadAllText(file));
    }

    [Fact]
    public void ReusedOutIsRefusedUntouchedUnlessOverwriteOrResume()
    {
        string outDir = Dir("earlier");
        Assert.Equal(0, Train(outDir).ExitCode);
        var before = Snapshot(outDir);

        CliAssert.OneLineError(Train(outDir), 2, "--overwrite");
        Assert.Equal(before, Snapshot(outDir));

        // --overwrite replaces the run; a diverging replacement does not claim the earlier run's checkpoint as its own.
        var diverged = InProcessCli.Run(["train", "--data", _data, "--out", outDir, "--model", "linear", "--optimizer", "sgd",
            "--lr", "1e38", "--epochs", "1", "--batch-size", "16", "--overwrite"]);
        CliAssert.OneLineError(diverged, 3, "No checkpoint was written");
        Assert.False(File.Exists(Path.Combine(outDir, "checkpoint.safetensors")));
    }

    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(File.ReadAllBytes(f)));

    [Fact]
    public void ResumeRepairsATornLastMetricsRowAndRemovesStaleTemporaryFiles()
    {
        string outDir = Dir("torn");
        Assert.Equal(0, Train(outDir).ExitCode);
        string metrics = Path.Combine(outDir, "metrics.csv"), checkpoint = Path.Combine(outDir, "checkpoint.safetensors");
        string whole = File.ReadAllText(metrics);
        // Killed while appending epoch 2's row, with a checkpoint write in flight.
        File.AppendAllText(metrics, "2,2,0.61");
        string stale = checkpoint + ".tmp-0123456789ab";
        File.WriteAllBytes(stale, new byte[4096]);
        string unrelated = Path.Combine(outDir, "notes.tmp-0123456789ab");
        File.WriteAllText(unrelated, "not ours");

        var r = Train(outDir, "--epochs", "2", "--resume", checkpoint);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.False(File.Exists(stale), "the stale temporary checkpoint must be removed on resume");
        Assert.True(File.Exists(unrelated), "only the run's own temporary files are removed");
        var rows = MetricsCsvWriter.Read(metrics);
        Assert.Equal([1, 2], rows.Select(x => x.Epoch));
        Assert.StartsWith(whole, File.ReadAllText(metrics), StringComparison.Ordinal);
    }

    [Fact]
    public void ACheckpointThatCannotBeWrittenIsOneLine()
    {
        // A folder where the checkpoint goes makes its write fail as a full disk would, after the epoch's work. (The epoch's
        // metrics row, written first, goes with the run: TrainRunFolderTests.)
        string outDir = Dir("unwritable");
        Directory.CreateDirectory(Path.Combine(outDir, "checkpoint.safetensors"));
        var r = Train(outDir);
        CliAssert.OneLineError(r, 2, "checkpoint.safetensors");
        Assert.Empty(Directory.GetFiles(outDir)); // no metrics.csv without its checkpoint, and no *.tmp-*
    }

    [Fact]
    public void MetricsFileWithADamagedMiddleRowIsStillAnError()
    {
        string outDir = Dir("damaged");
        Assert.Equal(0, Train(outDir).ExitCode);
        string metrics = Path.Combine(outDir, "metrics.csv");
        var lines = File.ReadAllLines(metrics).ToList();
        lines.Insert(1, "1,x,0.5,,,1.0");
        File.WriteAllLines(metrics, lines);
        var r = Train(outDir, "--epochs", "2", "--resume", Path.Combine(outDir, "checkpoint.safetensors"));
        CliAssert.OneLineError(r, 2, "line 2 is malformed");
    }

    [Theory]
    [InlineData("2147483647")]
    [InlineData("99999999999")]
    [InlineData("-1")]
    [InlineData("1e3")]
    public void ResumeRejectsAnEpochOutOfRange(string epoch)
    {
        string outDir = Dir("epoch");
        Assert.Equal(0, Train(outDir).ExitCode);
        string checkpoint = Path.Combine(outDir, "checkpoint.safetensors");
        RewriteMetadata(checkpoint, m => m["epoch"] = epoch);
        var r = Train(outDir, "--epochs", "3", "--resume", checkpoint);
        CliAssert.OneLineError(r, 2, "metadata 'epoch'");
    }

    [Fact]
    public void AnUnknownModelInTheCheckpointGetsNoHintToPassIt()
    {
        string outDir = Dir("resnet");
        Assert.Equal(0, Train(outDir).ExitCode);
        string checkpoint = Path.Combine(outDir, "checkpoint.safetensors");
        RewriteMetadata(checkpoint, m => m["model"] = "resnet");
        var r = Train(outDir, "--epochs", "2", "--resume", checkpoint);
        CliAssert.OneLineError(r, 2, "does not know");
        Assert.DoesNotContain("--model resnet", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("temperature", "", "'temperature' holds '', not a number.")] // was "internal error", exit code 1
    [InlineData("temperature", "1,5", "'temperature' holds '1,5', not a number")]
    [InlineData("temperature", "1e-45", "is outside [0.01, 100]")]
    // eval said only "Value cannot be null."
    [InlineData("class_names", "[null,null,null,null,null,null,null,null,null,null]", "spec.class_names holds null")]
    [InlineData("multi_label", "yes", "spec.multi_label is 'yes'; expected true or false.")]
    [InlineData("hidden", "0", "hidden layer size 0")]
    public void AMalformedSpecValueIsOneLineNamingTheCheckpoint(string key, string value, string expected)
    {
        string outDir = Dir("spec");
        Assert.Equal(0, Train(outDir).ExitCode);
        string checkpoint = Path.Combine(outDir, "checkpoint.safetensors");
        RewriteMetadata(checkpoint, m => m["spec." + key] = value);
        foreach (var command in new[] { "eval", "calibrate" })
            CliAssert.OneLineError(InProcessCli.Run(command, "--checkpoint", checkpoint, "--data", _data), 2,
                $"'{checkpoint}': model spec: ", $"{command}, spec.{key} = {value}");
        CliAssert.OneLineError(InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", _data), 2, expected);
        // Resuming it names the spec too (it was taken for no spec, and ended in the state dict's "size mismatch").
        var resumed = Train(Dir("spec-resumed"), "--epochs", "2", "--resume", checkpoint);
        CliAssert.OneLineError(resumed, 2, $"error: cannot resume from '{checkpoint}': ");
        Assert.Contains(expected, resumed.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Dir("spec-resumed")));
    }

    [Fact]
    public void VerboseAddsTheStackTraceToACommandsOwnRefusalToo()
    {
        // eval refuses data it cannot load on its own one line (CliHost.Fail), which --verbose did not extend.
        string outDir = Dir("verbose");
        Assert.Equal(0, Train(outDir).ExitCode);
        string[] eval = ["eval", "--checkpoint", Path.Combine(outDir, "checkpoint.safetensors"), "--data", Dir("missing.csv")];
        CliAssert.OneLineError(InProcessCli.Run(eval), 2, "missing.csv");
        var verbose = InProcessCli.Run([.. eval, "--verbose"]);
        Assert.Equal(2, verbose.ExitCode);
        Assert.StartsWith("error: ", verbose.Stderr, StringComparison.Ordinal);
        Assert.Contains("   at ", verbose.Stderr, StringComparison.Ordinal);
    }

    private static void RewriteMetadata(string path, Action<Dictionary<string, string>> edit)
    {
        var file = SafeTensors.Read(path);
        var metadata = new Dictionary<string, string>(file.Metadata);
        edit(metadata);
        SafeTensors.Write(path, file.Tensors, metadata);
    }

    public static TheoryData<string, string> CorruptIdx => new()
    {
        { "wrong magic", "magic bytes" },
        { "wrong item count", "20 images but" },
        { "label 10", "label 10" },
        { "27x27 images", "27 x 27" },
        { "empty file", "the data is empty" },
        { "truncated", "truncated data" },
        { "no images", "holds 0 samples" },
    };

    [Theory]
    [MemberData(nameof(CorruptIdx))]
    public void CorruptTestSetIsOneLineAndExit2ForTrainEvalAndCalibrate(string damage, string expected)
    {
        string data = Dir("idx-" + damage.Replace(' ', '-'));
        SyntheticIdx.Write(data, train: 48, test: 20);
        string images = Path.Combine(data, "t10k-images-idx3-ubyte"), labels = Path.Combine(data, "t10k-labels-idx1-ubyte");
        switch (damage)
        {
            case "wrong magic": Patch(images, 0, 0x12); break;
            case "wrong item count": File.WriteAllBytes(labels, IdxFiles.Encode([.. new byte[19]], 19)); break;
            case "label 10": Patch(labels, 8 + 7, 10); break;
            case "27x27 images": File.WriteAllBytes(images, IdxFiles.Encode(new byte[20 * 27 * 27], 20, 27, 27)); break;
            case "empty file": File.WriteAllBytes(images, []); break;
            case "truncated": File.WriteAllBytes(images, File.ReadAllBytes(images)[..^100]); break;
            case "no images":
                File.WriteAllBytes(images, IdxFiles.Encode([], 0, 28, 28));
                File.WriteAllBytes(labels, IdxFiles.Encode([], 0));
                break;
        }
        var train = InProcessCli.Run(["train", "--data", data, "--out", Dir("out-" + damage.Replace(' ', '-')), .. Quick, "--epochs", "1"]);
        CliAssert.OneLineError(train, 2, expected, "train: " + damage);

        string checkpoint = Path.Combine(_root.Path, "ok", "checkpoint.safetensors");
        if (!File.Exists(checkpoint)) Assert.Equal(0, Train(Path.GetDirectoryName(checkpoint)!).ExitCode);
        var eval = InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", data, "--json");
        CliAssert.OneLineError(eval, 2, expected, "eval: " + damage);
        Assert.Equal("", eval.Stdout);
        // calibrate reads the same held-out data and must refuse it the same way (not fit on nothing or fail inside a layer).
        var calibrate = InProcessCli.Run("calibrate", "--checkpoint", checkpoint, "--data", data, "--json");
        CliAssert.OneLineError(calibrate, 2, expected, "calibrate: " + damage);
        Assert.Equal("", calibrate.Stdout);
    }

    private static void Patch(string path, int offset, byte value)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[offset] = value;
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void CorruptCheckpointsAreOneLineAndExit2ForEvalResumeAndExport()
    {
        string outDir = Dir("ckpt");
        Assert.Equal(0, Train(outDir).ExitCode);
        string good = Path.Combine(outDir, "checkpoint.safetensors");
        byte[] bytes = File.ReadAllBytes(good);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);

        var cases = new List<(string Name, byte[] Bytes, string Expected)>
        {
            ("truncated", bytes[..^10], "truncated"),
            ("invalid UTF-8", WithHeaderByte(bytes, header.IndexOf("linear.weight", StringComparison.Ordinal), 0xFF), "not valid UTF-8"),
            ("a raw control character", WithHeaderByte(bytes, header.IndexOf("linear.weight", StringComparison.Ordinal), 0x1B), "0x1B"),
            ("an escaped control character", RenameTensor(good, "linear.bias", "\u001b[31mevil\r\nerror: fake"), "\\x1b[31mevil"),
            ("header length just past the end", WithLength(bytes, (ulong)bytes.Length - 7), "exceeds"),
            ("header length = file size", WithLength(bytes, (ulong)bytes.Length), "exceeds"),
            ("wrong dtype", Encoding.UTF8.GetBytes(header.Replace("\"F32\"", "\"F16\"", StringComparison.Ordinal)) is var h
                ? [.. bytes[..8], .. h, .. bytes[(8 + (int)n)..]] : [], "F16"),
            ("a PyTorch pickle", [(byte)'P', (byte)'K', 3, 4, .. new byte[100]], "pickle"),
        };
        foreach (var (name, content, expected) in cases)
        {
            string path = Path.Combine(outDir, name.Replace(' ', '-') + ".safetensors");
            File.WriteAllBytes(path, content);
            CliAssert.OneLineError(InProcessCli.Run("eval", "--checkpoint", path, "--data", _data), 2, expected, "eval: " + name);
            CliAssert.OneLineError(Train(Dir("resume-" + name.Replace(' ', '-')), "--epochs", "2", "--resume", path), 2, expected,
                "resume: " + name);
            // export reports checkpoint errors itself, and must escape control characters as the host does.
            CliAssert.OneLineError(InProcessCli.Run("export", "--checkpoint", path, "--out", Path.Combine(outDir, "m.onnx")), 2, expected,
                "export: " + name);
        }

        // Another model's checkpoint: the mlp's names do not fit the linear model.
        string mlpDir = Dir("mlp");
        Assert.Equal(0, InProcessCli.Run(["train", "--data", _data, "--out", mlpDir, "--model", "mlp", "--epochs", "1", "--limit-batches",
            "1"]).ExitCode);
        CliAssert.OneLineError(InProcessCli.Run("eval", "--checkpoint", Path.Combine(mlpDir, "checkpoint.safetensors"), "--data", _data,
            "--model", "linear"),
            2, "does not fit the linear model");
    }

    private static byte[] RenameTensor(string path, string from, string to)
    {
        var file = SafeTensors.Read(path);
        var tensors = file.Tensors.Select(kv => (kv.Key == from ? to : kv.Key, kv.Value)).ToList();
        using var ms = new MemoryStream();
        SafeTensors.Write(ms, tensors, file.Metadata);
        return ms.ToArray();
    }

    private static byte[] WithHeaderByte(byte[] bytes, int headerIndex, byte value)
    {
        Assert.True(headerIndex >= 0);
        var copy = (byte[])bytes.Clone();
        copy[8 + headerIndex] = value;
        return copy;
    }

    private static byte[] WithLength(byte[] bytes, ulong length)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(copy, length);
        return copy;
    }

    [Fact]
    public void LossWritesBothOutputsOrNeither()
    {
        string input = Dir("x.npy"), target = Dir("t.npy"), loss = Dir("loss.npy");
        Npy.Write(input, new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        Npy.Write(target, new long[] { 0, 2 }, [2]);
        File.WriteAllText(loss, "earlier loss");

        // A missing folder is refused before the work; a folder where no file can be created (/proc) fails at the write itself,
        // after --out's temporary file was written: that one must go too.
        var r = InProcessCli.Run("loss", "cross-entropy", "--input", input, "--target", target, "--out", loss, "--grad-out",
            Dir("missing/grad.npy"));
        CliAssert.OneLineError(r, 2, "does not exist");
        Assert.Equal("earlier loss", File.ReadAllText(loss));
        if (OperatingSystem.IsLinux())
        {
            r = InProcessCli.Run("loss", "cross-entropy", "--input", input, "--target", target, "--out", loss, "--grad-out",
                "/proc/grad.npy");
            CliAssert.OneLineError(r, 2, "cannot write '/proc/grad.npy'");
            Assert.Equal("earlier loss", File.ReadAllText(loss));
        }
        Assert.Equal(["loss.npy", "t.npy", "x.npy"],
            _root.Entries().Where(e => e.EndsWith(".npy", StringComparison.Ordinal) || e.Contains(".tmp-")));

        CliAssert.OneLineError(InProcessCli.Run("loss", "cross-entropy", "--input", _root.Path, "--target", target), 2, "is a folder");
    }

    [Fact]
    public void TheProcessGivesTheSameContract()
    {
        // One real process per kind of failure, to cover Program's exit code and the console as a user sees it.
        string file = Dir("file");
        File.WriteAllText(file, "x");
        CliAssert.OneLineError(CliRunner.Run("train", "--data", _data, "--out", file, "--lr", "-1"), 2, "--lr");
        CliAssert.OneLineError(CliRunner.Run("train", "--data", _data, "--out", file), 2, "is a file");
        CliAssert.OneLineError(CliRunner.Run("train", "--bogus"), 2, "'--bogus'");
    }
}
