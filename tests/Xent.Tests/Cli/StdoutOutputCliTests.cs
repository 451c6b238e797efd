using System.Diagnostics;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// An output written to the process's standard output (<c>--out /dev/stdout</c>, piped or redirected): it is written in place
/// (not replaced by a renamed file) and stdout carries it alone, the command's own lines going to stderr; a link is judged by
/// the file it names. Runs the built CLI as a process, whose stdout is a pipe.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class StdoutOutputCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void PredictToStdoutWritesTheCsvAloneThere()
    {
        if (!OperatingSystem.IsLinux()) return; // /dev/stdout
        var (csv, checkpoint) = TinyTables.TrainedLinear(_dir);
        var expected = CliRunner.Run(["predict", "--checkpoint", checkpoint, "--input", csv, "--out", _dir.File("p.csv")]);
        Assert.Equal(0, expected.ExitCode);

        var r = CliRunner.Run(["predict", "--checkpoint", checkpoint, "--input", csv, "--out", "/dev/stdout"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(File.ReadAllText(_dir.File("p.csv")), r.Stdout);
        Assert.Contains("Wrote 12 prediction(s) to /dev/stdout", r.Stderr);
    }

    [Fact]
    public void JsonBesideAnOutputOnStdoutIsRefused()
    {
        // qa-s21-crash L4: `eval --json --report /dev/stdout` put the JSON on stderr among the warnings, exit 0; predict refuses
        // --json with --out. Both commands that take --json beside a file output refuse the pair when the file is stdout.
        if (!OperatingSystem.IsLinux()) return; // /dev/stdout
        var (csv, checkpoint) = TinyTables.TrainedLinear(_dir);
        CliAssert.OneLineError(CliRunner.Run(["eval", "--checkpoint", checkpoint, "--data", csv, "--json", "--report", "/dev/stdout"]),
            2, "--json prints to stdout and --report '/dev/stdout' writes there too; pass one of them, or give --report a file.");
        CliAssert.OneLineError(CliRunner.Run(["calibrate", "--checkpoint", checkpoint, "--data", csv, "--json", "--out", "/dev/stdout"]),
            2, "--json prints to stdout and --out '/dev/stdout' writes there too; pass one of them, or give --out a file.");
        // Each alone, or --json with a file, still works.
        var r = CliRunner.Run(["eval", "--checkpoint", checkpoint, "--data", csv, "--json", "--report", _dir.File("r.html")]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith("{", r.Stdout.TrimStart());
    }

    [Fact]
    public async Task AnOutputOnAClosedStdoutSaysStdoutIsClosed()
    {
        // qa-s21-crash L2: `--out /dev/stdout >&-` said "Access to the path is denied", to root too: the runtime's first file
        // of its own takes descriptor 1, read-only, and .NET names the EBADF of a write there so.
        if (!OperatingSystem.IsLinux()) return; // /dev/stdout, bash
        var (csv, checkpoint) = TinyTables.TrainedLinear(_dir);
        var r = await InBash("\"$@\" >&-", "predict", "--checkpoint", checkpoint, "--input", csv, "--out", "/dev/stdout");
        CliAssert.OneLineError(r, 2, "cannot write '/dev/stdout': stdout is closed (the command was started with >&-");
    }

    [Fact]
    public async Task AStdoutPipeClosedEarlyIsAnIncompleteOutputNotAWrittenOne()
    {
        if (!OperatingSystem.IsLinux()) return; // /dev/stdout, bash
        var (_, checkpoint) = TinyTables.TrainedLinear(_dir);
        string many = _dir.File("many.csv"); // ~250 KB of predictions: more than the pipe holds and head reads
        File.WriteAllLines(many, ["a,b,label", .. Enumerable.Range(0, 5000).Select(i => $"{i % 7},{i % 5},x")]);
        // The console's stream drops writes to a closed pipe: the command said "Wrote 5000 prediction(s)" and exited 0.
        var r = await InBash("\"$@\" | head -c 1 >/dev/null; exit ${PIPESTATUS[0]}",
            "predict", "--checkpoint", checkpoint, "--input", many, "--out", "/dev/stdout");
        CliAssert.OneLineError(r, 2, "cannot write '/dev/stdout': the program reading it closed the pipe before everything was " +
            "written (broken pipe); the output is incomplete.");
    }

    /// <summary>
    /// Runs the built CLI with <paramref name="args"/> inside a bash <paramref name="script"/> (<c>"$@"</c> stands for the
    /// command), for the shell's redirections; its exit code and stderr (stdout is read and dropped).
    /// </summary>
    private static async Task<CliResult> InBash(string script, params string[] args)
    {
        var (host, dll) = CliRunner.Command;
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["-c", script, "sh", host, dll, .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), "timed out");
        return new CliResult(p.ExitCode, "", await stderr);
    }

    [Fact]
    public void ExportJudgesALinkByTheFileItNames()
    {
        var (_, checkpoint) = TinyTables.TrainedLinear(_dir);
        File.WriteAllText(_dir.File("notes.txt"), "keep me");
        File.CreateSymbolicLink(_dir.File("x.onnx"), "notes.txt");
        var r = CliRunner.Run(["export", "--checkpoint", checkpoint, "--out", _dir.File("x.onnx")]);
        CliAssert.OneLineError(r, 2, $"--out '{_dir.File("x.onnx")}' is a link to '{_dir.File("notes.txt")}', which does not end " +
            "in .onnx; export writes and replaces only .onnx files.");
        Assert.Equal("keep me", File.ReadAllText(_dir.File("notes.txt")));
    }
}
