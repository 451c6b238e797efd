using System.Globalization;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// Ctrl-C (SIGINT) or SIGTERM while export, predict, eval or calibrate writes its output: the process (the built CLI) pauses
/// just before renaming its finished temporary file over the destination (the test hook <c>XENT_TEST_PAUSE_BEFORE_RENAME</c>)
/// and is signalled there. It used to leave <c>NAME.tmp-XXXXXXXXXXXX</c> beside the destination, and the folders it had
/// made for it; now it exits with 128 + the signal, as train does, and leaves the folder as it found it.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class InterruptedWriteCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    // A destination in folders the command creates (they must go again), or one that exists (its content must stay).
    [InlineData("export", "TERM", 143, true)]
    [InlineData("predict", "INT", 130, false)] // Ctrl-C
    [InlineData("eval", "TERM", 143, false)]
    [InlineData("calibrate", "INT", 130, true)]
    public async Task ASignalMidWriteLeavesNoTemporaryFileNoNewFolderAndTheOldFileAsItWas(string command, string signal, int exitCode,
        bool inNewFolders)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // POSIX signals
        string csv = _dir.File("data.csv");
        File.WriteAllLines(csv, ["a,b,label", .. Enumerable.Range(0, 12).Select(i => $"{i},{i % 5},{(i < 6 ? "x" : "y")}")]);
        Assert.Equal(0, InProcessCli.Run("train", "--data", csv, "--out", _dir.File("run"), "--epochs", "1", "--batch-size", "4",
            "--model", "linear").ExitCode);
        string ckpt = _dir.File("run/checkpoint.safetensors");
        var (option, name) = command switch
        {
            "export" => ("--out", "model.onnx"),
            "predict" => ("--out", "predictions.csv"),
            "eval" => ("--report", "report.html"),
            _ => ("--out", "calibrated.safetensors"),
        };
        string destination = inNewFolders ? Path.Combine(_dir.File("new"), "sub", name) : _dir.File(name);
        if (!inNewFolders) File.WriteAllText(destination, "the previous file");
        string[] input = command switch { "export" => [], "predict" => ["--input", csv], _ => ["--data", csv] };
        var before = Snapshot();

        using var process = CliRunner.Start([command, "--checkpoint", ckpt, .. input, option, destination], _dir.Path,
            new Dictionary<string, string> { ["XENT_TEST_PAUSE_BEFORE_RENAME"] = "60000" });
        var stdout = process.StandardOutput.ReadToEndAsync();
        string? line;
        while ((line = await process.StandardError.ReadLineAsync()) is not null
            && !line.StartsWith("XENT_TEST_PAUSE_BEFORE_RENAME: pausing", StringComparison.Ordinal)) { }
        Assert.NotNull(line);
        // The premise: the signal comes while the finished output is a temporary file beside its destination.
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(destination)!, name + ".tmp-*"));
        using (var kill = System.Diagnostics.Process.Start("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        await stdout;

        Assert.Equal(exitCode, process.ExitCode);
        Assert.Equal($"error: interrupted; '{destination}' was not written (a file of that name is as it was).",
            (await stderr).TrimEnd().Split('\n')[^1]);
        // No temporary file, no new destination or folder, the previous file's content: everything as before the command.
        Assert.Equal(before, Snapshot());
    }

    /// <summary>Every file and folder under the test's folder, with each file's content.</summary>
    private SortedDictionary<string, string> Snapshot() => new(
        Directory.EnumerateFileSystemEntries(_dir.Path, "*", SearchOption.AllDirectories)
            .ToDictionary(p => p, p => File.Exists(p) ? Convert.ToBase64String(File.ReadAllBytes(p)) : "(folder)"),
        StringComparer.Ordinal);
}
