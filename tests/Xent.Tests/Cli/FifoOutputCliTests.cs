using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Xent.IO;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// An output that is an existing named pipe (FIFO) outside /dev: <c>mkfifo p; xent … --out p &amp; cat p</c> works as it does
/// with <c>tee p</c>. The pipe is written into in place, as /dev/stdout is, where a temporary file renamed over it used to replace
/// it (the reader then waited for ever, and <c>p</c> became a plain file); its open waits for a reader, which is said on stderr
/// after a second as an input's wait for a writer is; Ctrl-C stops the wait (130); a reader that leaves early makes an incomplete
/// output, an error as on /dev/stdout. A socket, which no file can be written into, is refused and left as it is. The built CLI runs
/// as a process: the waits are in the kernel, and the signal must reach a real process.
/// </summary>
public sealed class FifoOutputCliTests : IDisposable
{
    private static readonly TimeSpan Patience = ProcessFolder.Patience;

    private readonly ProcessFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// <c>logits.npy</c>, zero logits for <paramref name="rows"/> samples over 4 classes, and <c>target.npy</c>: the cross-entropy of
    /// each sample is ln 4 = 1.3862944 in float32, whatever its target.
    /// </summary>
    private void ZeroLogits(int rows)
    {
        Npy.Write(_dir.File("logits.npy"), new float[rows * 4], [rows, 4]);
        Npy.Write(_dir.File("target.npy"), Enumerable.Range(0, rows).Select(i => (long)(i % 4)).ToArray(), [rows]);
    }

    private static readonly string[] LossPerSample =
        ["loss", "cross-entropy", "--input", "logits.npy", "--target", "target.npy", "--reduction", "none", "--out", "out.npy"];

    private Process Start(params string[] args) => _dir.Cli(args);

    [Fact]
    public async Task AFifoOutputWaitsForAReader_SaysSo_AndIsWrittenIntoInPlace()
    {
        if (!OperatingSystem.IsLinux()) return; // mkfifo, statx
        ZeroLogits(2);
        ProcessFolder.MakeFifo(_dir.File("out.npy"));

        var process = Start(LossPerSample);
        var stdout = process.StandardOutput.ReadToEndAsync();
        Assert.Equal("Waiting for a reader on 'out.npy' (a named pipe); Ctrl+C stops.",
            await process.StandardError.ReadLineAsync().WaitAsync(Patience));
        Assert.False(process.HasExited, "the command ended instead of waiting for a reader");

        await _dir.Shell("cat out.npy > got.npy").WaitForExitAsync().WaitAsync(Patience);
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Patience);
        Assert.True(process.ExitCode == 0, await stderr);
        Assert.Equal("", await stderr);
        await stdout;
        var got = Npy.Read(_dir.File("got.npy"));
        Assert.Equal([2], got.Shape);
        Assert.Equal([1.3862944f, 1.3862944f], got.Float32!);
        Assert.Equal(FileKind.Fifo, FileKinds.Of(_dir.File("out.npy"))); // the pipe is still there, not a file renamed over it
        Assert.Equal(["got.npy", "logits.npy", "out.npy", "target.npy"], _dir.Entries()); // and no temporary file
    }

    [Fact]
    public async Task AFifoOutputWhoseReaderLeavesEarlyIsAnIncompleteOutput_AsOnStdout()
    {
        if (!OperatingSystem.IsLinux()) return; // mkfifo, bash
        ZeroLogits(100_000); // a 400 KB output: more than the pipe holds and head reads
        ProcessFolder.MakeFifo(_dir.File("out.npy"));
        // The reader first, so that the command's open does not wait (and say so): only the error is on stderr.
        var (host, dll) = CliRunner.Command;
        var shell = _dir.Shell("head -c 1 out.npy > /dev/null & \"$@\"; status=$?; wait; exit $status", [host, dll, .. LossPerSample]);
        var stdout = shell.StandardOutput.ReadToEndAsync();
        var stderr = shell.StandardError.ReadToEndAsync();
        await shell.WaitForExitAsync().WaitAsync(Patience);
        await stdout;
        CliAssert.OneLineError(new CliResult(shell.ExitCode, "", await stderr), 2, "cannot write 'out.npy': the program reading it " +
            "closed the pipe before everything was written (broken pipe); the output is incomplete.");
        Assert.Equal(FileKind.Fifo, FileKinds.Of(_dir.File("out.npy")));
    }

    [Fact]
    public async Task CtrlCStopsTheWaitForAReaderWithTheInterruptedExitCode()
    {
        if (!OperatingSystem.IsLinux()) return; // POSIX signals
        ZeroLogits(2);
        ProcessFolder.MakeFifo(_dir.File("out.npy"));
        var process = Start(LossPerSample);
        var stdout = process.StandardOutput.ReadToEndAsync();
        Assert.Equal("Waiting for a reader on 'out.npy' (a named pipe); Ctrl+C stops.",
            await process.StandardError.ReadLineAsync().WaitAsync(Patience));
        var stderr = process.StandardError.ReadToEndAsync();

        var clock = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        await process.WaitForExitAsync().WaitAsync(Patience); // a wait that ignored Ctrl-C would end here, in a TimeoutException
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"exited {clock.Elapsed.TotalSeconds:F1} s after Ctrl-C");
        await stdout;
        Assert.Equal(130, process.ExitCode); // 128 + SIGINT, as for Ctrl-C anywhere else in xent
        Assert.Equal("error: interrupted.", (await stderr).Trim()); // nothing was written into the pipe, and nothing else is said
        Assert.Equal(FileKind.Fifo, FileKinds.Of(_dir.File("out.npy")));
    }

    [Fact]
    public void ASocketOutputIsRefusedBeforeAnyWork_AndLeftAsItIs()
    {
        if (!OperatingSystem.IsLinux()) return; // statx
        ZeroLogits(2);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(_dir.File("out.npy")));
        var r = CliRunner.Run(LossPerSample, _dir.Path);
        CliAssert.OneLineError(r, 2, "error: --out 'out.npy' cannot be written: it is a socket, which a program connects to and no " +
            "file can be written into; name a file, or remove the socket.");
        Assert.Equal("", r.Stdout); // before the loss was computed and printed
        Assert.Equal(FileKind.Socket, FileKinds.Of(_dir.File("out.npy")));
    }
}
