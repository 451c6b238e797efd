using System.Diagnostics;
using Xent.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>What the process inherits from its shell (a closed stderr, a file-size limit) does not turn an error into a crash.</summary>
public sealed class ProcessSurroundingsCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xent-surroundings-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// Runs the CLI through <c>bash -c</c> (whose ulimit -f counts KiB), <paramref name="shellSetup"/> before it and
    /// <paramref name="redirect"/> after it.
    /// </summary>
    private (int ExitCode, string Stderr) RunInShell(string shellSetup, string redirect, params string[] args)
    {
        var (host, dll) = CliRunner.Command;
        var psi = new ProcessStartInfo("/bin/bash")
        {
            RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = _dir,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"{shellSetup} exec \"$@\" {redirect}");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(host);
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "timed out");
        return (p.ExitCode, stderr.Result);
    }

    [Theory]
    [InlineData("2>&-")]        // closed: writes fail with EBADF
    [InlineData("2>/dev/full")] // full: writes fail with ENOSPC
    public void AStderrThatCannotBeWrittenStillGivesTheErrorsExitCode(string redirect)
    {
        // The error line threw again from the error path, and the runtime aborted the process (exit 134).
        Assert.Equal(2, RunInShell("", redirect, "train", "--bogus").ExitCode);
        Assert.Equal(2, RunInShell("", redirect, "eval", "--checkpoint", Path.Combine(_dir, "missing.safetensors")).ExitCode);
    }

    [Fact]
    public void AClosedStdoutIsNamed()
    {
        // .NET reports EBADF as "Access to the path is denied.", which names no path and suggests a permissions problem.
        var (code, stderr) = RunInShell("", ">&-", "--help");
        Assert.Equal(2, code);
        Assert.Equal("error: cannot write to standard output: it is closed (bad file descriptor); redirect it to a file or /dev/null "
            + "instead.", stderr.Trim());
        (code, stderr) = RunInShell("", ">/dev/full", "--help");
        Assert.Equal(2, code);
        Assert.StartsWith("error: cannot write to standard output: No space left on device", stderr.Trim());
    }

    [Fact]
    public void TooFewFileDescriptorsAreNamedBeforeTheCommandStarts()
    {
        // The runtime keeps its libraries open: at 48 the train command failed with "Could not load file or assembly
        // 'System.Text.Encoding.Extensions' … The system cannot find the file specified." (EMFILE read as a missing file).
        File.WriteAllLines(Path.Combine(_dir, "d.csv"), ["a,b,label", .. Enumerable.Range(0, 12).Select(i => $"{i},{i % 3},{i % 2}")]);
        var (code, stderr) = RunInShell("ulimit -n 48;", "", "train", "--data", "d.csv", "--out", "run", "--model", "linear");
        Assert.Equal(2, code);
        Assert.Equal("error: this process may have only 48 files open at once (ulimit -n 48; its hard limit is 48), and xent needs "
            + "128: the .NET runtime keeps each library it loads open. Start xent from a shell whose hard limit is higher (ulimit -Hn; "
            + "only root can raise it).", stderr.Trim());
        Assert.False(Directory.Exists(Path.Combine(_dir, "run")));

        // A soft limit of 48 under a higher hard limit is no obstacle: the .NET runtime raises it to the hard limit as it starts.
        (code, stderr) = RunInShell("ulimit -Hn 4096; ulimit -Sn 48;", "", "train", "--data", "d.csv", "--out", "run", "--model",
            "linear", "--epochs", "1");
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(Path.Combine(_dir, "run", "checkpoint.safetensors")));
    }

    [Fact]
    public void AWritePastTheFileSizeLimitIsAnErrorThatLeavesNoTemporaryFile()
    {
        // SIGXFSZ's default action killed the process mid-write (exit 153) and left the temporary file beside the output.
        var rng = new Generator(4);
        Npy.Write(Path.Combine(_dir, "x.npy"), Tensor.Randn([4000, 1000], rng).ToArray(), [4000, 1000]);
        Npy.Write(Path.Combine(_dir, "t.npy"), Tensor.RandInt(1000, [4000], rng).ToInt64Array(), [4000]);
        var (code, stderr) = RunInShell("ulimit -f 8000;", "", // 8 MB, the gradient is 16 MB
            "loss", "cross-entropy", "--input", "x.npy", "--target", "t.npy", "--grad-out", "g.npy");
        Assert.True(code == 2, $"exit code {code}, stderr:\n{stderr}");
        Assert.Contains("error: cannot write 'g.npy': the file would be larger than this process may write (ulimit -f)", stderr);
        Assert.Equal(["t.npy", "x.npy"], Directory.GetFiles(_dir).Select(f => Path.GetFileName(f)!).Order().ToArray());
    }
}
