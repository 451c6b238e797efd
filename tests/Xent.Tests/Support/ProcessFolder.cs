using System.Diagnostics;
using Xent.Tests.IO;
using Xunit;

namespace Xent.Tests.Support;

/// <summary>
/// A temporary folder for tests that run the built CLI and shells as processes in it (named pipes, signals: what only a real
/// process shows). Every process started through it is killed with its children and disposed with the folder, so a test that
/// failed leaves nothing waiting on a pipe for ever.
/// </summary>
internal sealed class ProcessFolder : IDisposable
{
    /// <summary>How long a test waits for a process: generous, as a loaded 2-core machine starts dotnet slowly.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _dir = new();
    private readonly List<Process> _started = [];

    /// <summary>The folder.</summary>
    public string Path => _dir.Path;

    /// <summary>The path of <paramref name="name"/> in the folder.</summary>
    public string File(string name) => _dir.File(name);

    /// <summary>The names in the folder, sorted (<see cref="TempDirectory.Entries"/>).</summary>
    public string[] Entries() => _dir.Entries();

    /// <summary>Starts the built CLI with <paramref name="args"/> in the folder (<see cref="CliRunner.Start"/>).</summary>
    public Process Cli(params string[] args) => Track(CliRunner.Start(args, _dir.Path));

    /// <summary>
    /// A bash in the folder running <paramref name="script"/> (<c>"$@"</c> stands for <paramref name="args"/>), with stdout and
    /// stderr for the caller to read, cut off after <see cref="Patience"/> by <c>timeout</c>.
    /// </summary>
    public Process Shell(string script, params string[] args)
    {
        var psi = new ProcessStartInfo("timeout")
        {
            UseShellExecute = false, WorkingDirectory = _dir.Path, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (string a in (string[])[((int)Patience.TotalSeconds).ToString(), "/bin/bash", "-c", script, "sh", .. args])
            psi.ArgumentList.Add(a);
        return Track(Process.Start(psi) ?? throw new InvalidOperationException("could not start bash"));
    }

    /// <summary>Makes a named pipe at <paramref name="path"/> (<c>mkfifo</c>).</summary>
    public static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    private Process Track(Process process)
    {
        _started.Add(process);
        return process;
    }

    public void Dispose()
    {
        foreach (var p in _started)
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.Dispose();
        }
        _dir.Dispose();
    }
}
