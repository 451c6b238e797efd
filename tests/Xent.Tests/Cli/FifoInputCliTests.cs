using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Xent.IO;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// A named pipe (FIFO) given as an input before any program has opened it for writing (qa-s22 M8): opening it waits in the
/// kernel, as <c>cat</c>'s open does, and xent sat silent, looking hung. It still waits (the writer may be started next), but says
/// so on stderr after about a second; a writer then lets the command go on, and Ctrl-C stops it as it stops any command. The
/// built CLI runs as a process: the wait is in the kernel, and the signal must reach a real process.
/// </summary>
public sealed class FifoInputCliTests : IDisposable
{
    private static readonly TimeSpan Patience = ProcessFolder.Patience;

    private readonly ProcessFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private Process Start(params string[] args) => _dir.Cli(args);

    private static string Waiting(string name) => $"Waiting for a writer on '{name}' (a named pipe); Ctrl+C stops.";

    [Fact]
    public async Task AFifoWithoutAWriterIsSaidToBeWaitedForAndIsReadOnceAWriterComes()
    {
        if (!OperatingSystem.IsLinux()) return; // mkfifo, bash
        // loss reads its --input once, so a pipe is read as a file would be. Zero logits over 4 classes: the mean cross-entropy
        // is ln 4 = 1.3862944 in float32, whatever the targets.
        string logits = _dir.File("logits.npy"), target = _dir.File("target.npy");
        Npy.Write(logits, new float[8], [2, 4]);
        Npy.Write(target, new long[] { 1, 3 }, [2]);
        MakeFifo("input.npy");

        var process = Start("loss", "cross-entropy", "--input", "input.npy", "--target", target);
        var stdout = process.StandardOutput.ReadToEndAsync();
        Assert.Equal(Waiting("input.npy"), await process.StandardError.ReadLineAsync().WaitAsync(Patience));
        Assert.False(process.HasExited, "the command ended instead of waiting for the writer");

        await _dir.Shell($"cat '{logits}' > input.npy").WaitForExitAsync().WaitAsync(Patience);
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Patience);
        Assert.True(process.ExitCode == 0, await stderr);
        // One line: the regular --target, opened after the pipe, is not said to be waited for.
        Assert.Equal("", await stderr);
        Assert.Equal("cross-entropy (mean): 1.3862944", (await stdout).Trim());
    }

    [Fact]
    public async Task AFifoCsvIsReadOnceAWriterComesAndThenRefusedAsEveryPipedCsvIs()
    {
        if (!OperatingSystem.IsLinux()) return;
        // A CSV file is read more than once (its first line for the separator, then its rows), so a pipe is refused; what the wait
        // must not change is that a writer ends it: the command goes on to that refusal instead of waiting for ever.
        string csv = _dir.File("rows.csv");
        File.WriteAllLines(csv, ["a,b,label", .. Enumerable.Range(0, 8).Select(i => $"{i},{i % 3},{(i < 4 ? "x" : "y")}")]);
        MakeFifo("data.csv");

        var process = Start("train", "--data", "data.csv", "--model", "linear", "--epochs", "1", "--out", "run");
        var stdout = process.StandardOutput.ReadToEndAsync();
        Assert.Equal(Waiting("data.csv"), await process.StandardError.ReadLineAsync().WaitAsync(Patience));
        Assert.False(process.HasExited, "the command ended instead of waiting for the writer");

        // The writer's cat may see the pipe closed before it has written everything (SIGPIPE): its exit status is not the point.
        await _dir.Shell($"cat '{csv}' > data.csv").WaitForExitAsync().WaitAsync(Patience);
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Patience);
        await stdout;
        Assert.Equal(2, process.ExitCode);
        Assert.Equal("error: 'data.csv' is a pipe (or a link to one, such as /dev/stdin), which can be read only once, and xent reads " +
            "a CSV file more than once (its first line for the separator, then its rows); save it to a file first (… > data.csv) and " +
            "pass that.", (await stderr).TrimEnd());
    }

    [Fact]
    public async Task ANpyFifoIsFingerprintedAsItIsReadOnce()
    {
        if (!OperatingSystem.IsLinux()) return;
        // A .npy --data is read once, so a pipe trains; its length and SHA-256 (which eval compares to tell a copy of the training
        // data) are taken from that one read, as a second read of a pipe would find nothing (or wait for another writer). The
        // writer keeps its end open after the data, for longer than the test waits: the pipe is not read on past the array.
        var (features, labels) = Xent.Tests.Data.OwnDataFiles.NpyPair(_dir.Path, 30);
        MakeFifo("input.npy");
        var process = Start("train", "--data", "input.npy", "--labels", labels, "--model", "linear", "--epochs", "1", "--out", "run");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        _dir.Shell($"{{ cat '{features}'; sleep 300; }} > input.npy"); // killed at the end (its timeout is 60 s)
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
        await stdout;
        Assert.True(process.ExitCode == 0, await stderr);
        var metadata = SafeTensors.Read(_dir.File("run/checkpoint.safetensors")).Metadata;
        Assert.Equal(new FileInfo(features).Length.ToString(CultureInfo.InvariantCulture), metadata["setting.data_bytes"]);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(features))),
            metadata["setting.data_sha256"]);
    }

    [Fact]
    public async Task CtrlCStopsTheWaitPromptlyWithTheInterruptedExitCode()
    {
        if (!OperatingSystem.IsLinux()) return; // POSIX signals
        MakeFifo("data.csv");
        var process = Start("train", "--data", "data.csv", "--model", "linear", "--epochs", "1", "--out", "run");
        var stdout = process.StandardOutput.ReadToEndAsync();
        Assert.Equal(Waiting("data.csv"), await process.StandardError.ReadLineAsync().WaitAsync(Patience));
        var stderr = process.StandardError.ReadToEndAsync();

        var clock = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        await process.WaitForExitAsync().WaitAsync(Patience); // a wait that ignored Ctrl-C would end here, in a TimeoutException
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"exited {clock.Elapsed.TotalSeconds:F1} s after Ctrl-C");
        await stdout;
        Assert.Equal(130, process.ExitCode); // 128 + SIGINT, as for Ctrl-C anywhere else in xent
        Assert.Equal("", (await stderr).Trim()); // nothing after the note: no error line of a failed open
    }

    [Fact]
    public void AWaitIsSaidToBeForAPipeOnlyWhereThePathIsOne()
    {
        // An open that took a second on a slow network mount was said to wait for "a writer on … (a named pipe)". FileReading tells
        // which wait it is (FileReadingTests); these are the CLI's words for each.
        var text = InProcessCli.Assembly.GetType("Xent.Cli.ProcessSetup", throwOnError: true)!
            .GetMethod("WaitingText", BindingFlags.NonPublic | BindingFlags.Static)!;
        string Line(OpenWait wait) => (string)text.Invoke(null, ["data.csv", wait])!;
        Assert.Equal(Waiting("data.csv"), Line(OpenWait.Writer));
        Assert.Equal("Waiting for a reader on 'data.csv' (a named pipe); Ctrl+C stops.", Line(OpenWait.Reader));
        Assert.Equal("Still opening 'data.csv' (a slow file system?); Ctrl+C stops.", Line(OpenWait.SlowFileSystem));
    }

    private void MakeFifo(string name) => ProcessFolder.MakeFifo(_dir.File(name));
}
