using System.Diagnostics;
using System.Globalization;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// QA s18 H3: two <c>xent train</c> given the same <c>--out</c> at once both exited 0; the second took the first's
/// <c>metrics.csv</c> for a killed run's leftovers and deleted it, and the folder ended with one run's checkpoint and the other's
/// metrics. A run now locks its folder (an OS lock on <c>.xent-run</c>) for the whole run: a second run is refused at once, and
/// a lock file left by a killed process blocks nothing. Processes, as users run them; POSIX signals, so Linux and macOS only.
/// </summary>
public sealed class TrainRunFolderLockTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// A 2,000-row table and options under which ten epochs take seconds on one thread: far longer than the moment between the
    /// run's "Training …" line and the signal a test sends it then.
    /// </summary>
    private string[] SlowRun(string outDir, int rows = 2000)
    {
        string data = _dir.File(rows == 2000 ? "data.csv" : $"data{rows}.csv");
        foreach (var (file, n) in new[] { (_dir.File("data.csv"), 2000), (data, rows) }) // data.csv: QuickRun's too
            if (!File.Exists(file))
                File.WriteAllLines(file,
                    ["a,b,label", .. Enumerable.Range(0, n).Select(i => $"{i % 12},{i % 5},{(i % 12 < 6 ? "x" : "y")}")]);
        return ["train", "--data", data, "--out", outDir, "--epochs", "10", "--batch-size", "64", "--model", "mlp", "--hidden",
            "1024,1024", "--threads", "1"];
    }

    private string[] QuickRun(string outDir, params string[] more) =>
        ["train", "--data", _dir.File("data.csv"), "--out", outDir, "--epochs", "1", "--model", "mlp", "--hidden", "8", .. more];

    private static async Task Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    /// <summary>
    /// Reads <paramref name="process"/>'s stdout up to its "Training …" line (its folder is prepared and locked by then, and its
    /// split.csv written), then waits for the header of its metrics.csv, which the training loop writes first.
    /// </summary>
    private static async Task WaitUntilTraining(Process process, string outDir)
    {
        string? line;
        while ((line = await process.StandardOutput.ReadLineAsync()) is not null
            && !line.StartsWith("Training ", StringComparison.Ordinal)) { }
        Assert.NotNull(line);
        var waited = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(outDir, "metrics.csv")) && waited.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(10);
    }

    /// <summary>
    /// Every file in <paramref name="dir"/> with its content; the lock file's cannot be read while a run holds it (the read takes
    /// a shared lock), and it has none.
    /// </summary>
    private static SortedDictionary<string, string> Snapshot(string dir) => new(
        Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f),
            f => Path.GetFileName(f) == ".xent-run" ? "(lock)" : Convert.ToBase64String(File.ReadAllBytes(f))),
        StringComparer.Ordinal);

    [Fact]
    public async Task ASecondRunOnTheSameOutIsRefusedAtOnceAndTheFirstRunFinishesWhole()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // SIGSTOP
        string outDir = _dir.File("same");
        using var first = CliRunner.Start(SlowRun(outDir), _dir.Path);
        var firstErr = first.StandardError.ReadToEndAsync();
        await WaitUntilTraining(first, outDir);
        // Stopped, the first run holds its lock and its folder does not change: the second runs during its first epoch, as in
        // the QA report, whatever the machine's speed.
        await Signal(first, "STOP");
        try
        {
            var before = Snapshot(outDir);
            Assert.Contains(".xent-run", before.Keys); // the premise: the first run's lock file and its files so far
            Assert.Contains("metrics.csv", before.Keys);
            foreach (string[] second in new[] { QuickRun(outDir), QuickRun(outDir, "--overwrite", "--seed", "2") })
            {
                var r = CliRunner.Run(second, _dir.Path);
                CliAssert.OneLineError(r, 2, $"error: another xent run is using --out '{outDir}' (it holds the lock on " +
                    $"'{Path.Combine(outDir, ".xent-run")}'); wait until that run ends, or pass another --out.", string.Join(' ', second));
                Assert.DoesNotContain("Removed", r.Stdout, StringComparison.Ordinal);
                Assert.Equal(before, Snapshot(outDir)); // nothing of the first run touched
            }
        }
        finally
        {
            await Signal(first, "CONT");
        }
        var firstOut = first.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await first.WaitForExitAsync(timeout.Token);
        Assert.True(first.ExitCode == 0, await firstErr);
        Assert.Contains(Path.Combine(outDir, "checkpoint.safetensors"), await firstOut, StringComparison.Ordinal);
        // Its own metrics, every epoch's row in order from the header on, and its files, with the lock file gone.
        string[] metrics = File.ReadAllLines(Path.Combine(outDir, "metrics.csv"));
        Assert.Equal("epoch,batch,train_loss,test_loss,test_accuracy,seconds", metrics[0]);
        Assert.Equal(Enumerable.Range(1, 10).Select(e => e.ToString(CultureInfo.InvariantCulture)),
            metrics[1..].Select(l => l.Split(',')[0]));
        Assert.Equal(["checkpoint.safetensors", "metrics.csv", "report.html", "split.csv"], Snapshot(outDir).Keys);
    }

    [Fact]
    public async Task ALockFileLeftByAKilledRunDoesNotBlockTheNextRun()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // SIGKILL
        string outDir = _dir.File("killed");
        // An epoch of 20,000 rows (seconds, not the 0.2 s of 2000): killed in it, the run has surely written no checkpoint yet.
        using (var killed = CliRunner.Start(SlowRun(outDir, rows: 20_000), _dir.Path))
        {
            var stderr = killed.StandardError.ReadToEndAsync();
            await WaitUntilTraining(killed, outDir);
            await Signal(killed, "KILL"); // no handler runs: the lock file stays, and only the kernel lets go of its lock
            var stdout = killed.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await killed.WaitForExitAsync(timeout.Token);
            await Task.WhenAll(stdout, stderr);
            Assert.Equal(137, killed.ExitCode);
        }
        Assert.Contains(".xent-run", Snapshot(outDir).Keys); // the premise: a lock file that no process holds

        var r = CliRunner.Run(QuickRun(outDir), _dir.Path);
        Assert.True(r.ExitCode == 0, r.Stderr);
        // The killed run's files are a killed run's leftovers (no checkpoint): replaced, and the lock file is not one of them.
        Assert.Contains($"Removed the files of a run in '{outDir}' that left no checkpoint (metrics.csv, split.csv).", r.Stdout,
            StringComparison.Ordinal);
        Assert.Equal(["checkpoint.safetensors", "metrics.csv", "report.html", "split.csv"], Snapshot(outDir).Keys);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(outDir, "metrics.csv")).Length);
    }

    [Fact]
    public async Task ARunWhoseFolderIsMovedAndLinkedBackGoesOn()
    {
        if (!OperatingSystem.IsLinux()) return; // SIGSTOP, and the kernel's name for the open lock file
        // qa-s19-b M2: `mv run moved/run && ln -s moved/run run` mid-run stopped it as "removed or replaced", leaving a
        // header-only metrics.csv and no checkpoint: the path still leads to the folder and the lock file it holds.
        string outDir = _dir.File("linked"), moved = _dir.File("elsewhere");
        using var run = CliRunner.Start(SlowRun(outDir), _dir.Path);
        var stderr = run.StandardError.ReadToEndAsync();
        await WaitUntilTraining(run, outDir);
        await Signal(run, "STOP");
        try
        {
            Directory.Move(outDir, moved);
            Directory.CreateSymbolicLink(outDir, moved);
        }
        finally
        {
            await Signal(run, "CONT");
        }
        var stdout = run.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await run.WaitForExitAsync(timeout.Token);
        await stdout;
        Assert.True(run.ExitCode == 0, await stderr);
        Assert.Equal(["checkpoint.safetensors", "metrics.csv", "report.html", "split.csv"], Snapshot(moved).Keys);
        Assert.Equal(11, File.ReadAllLines(Path.Combine(moved, "metrics.csv")).Length); // the header and every epoch's row
    }

    [Fact]
    public async Task ARunWhoseFolderIsRemovedAndTakenByAnotherRunStopsWithoutTouchingIt()
    {
        if (!OperatingSystem.IsLinux()) return; // SIGSTOP, and the kernel's name for the open lock file
        // qa-s18-s18changes L4: the first run, its folder removed by hand, went on writing its checkpoint into the folder a second
        // run had created and locked there, and at its end deleted that run's lock file.
        string outDir = _dir.File("replaced");
        using var first = CliRunner.Start(SlowRun(outDir), _dir.Path);
        var firstErr = first.StandardError.ReadToEndAsync();
        await WaitUntilTraining(first, outDir);
        await Signal(first, "STOP");
        FileStream? secondLock = null;
        try
        {
            Directory.Delete(outDir, recursive: true);
            var second = CliRunner.Run(QuickRun(outDir), _dir.Path);
            Assert.True(second.ExitCode == 0, second.Stderr);
            // The second run is live again when the first goes on: it holds the new folder's lock (as the L2 test's process does).
            secondLock = new FileStream(Path.Combine(outDir, ".xent-run"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        finally
        {
            await Signal(first, "CONT");
        }
        var before = Snapshot(outDir);
        var firstOut = first.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await first.WaitForExitAsync(timeout.Token);
        await firstOut;
        string err = await firstErr;
        using (secondLock)
        {
            Assert.True(first.ExitCode == 2, err);
            Assert.Equal($"error: --out '{outDir}' was removed or replaced during the run (its lock file " +
                $"'{Path.Combine(outDir, ".xent-run")}' is no longer the one this run holds): the run stops here, and writes nothing " +
                "more there, where another run may be writing now.", err.Trim());
            Assert.Equal(before, Snapshot(outDir)); // the second run's files, and its lock file, as they were
        }
    }

    [Fact]
    public void AUsersFileOrALinkNamedLikeTheLockFileIsLeftAlone()
    {
        // The run took a user's own .xent-run over as its lock and deleted it at the end, and followed a dangling link there,
        // creating a file wherever it pointed.
        SlowRun(_dir.File("unused")); // writes data.csv
        string mine = _dir.File("mine");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, ".xent-run"), "my notes");
        var r = CliRunner.Run(QuickRun(mine), _dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"--out '{mine}' holds a file '.xent-run' that xent did not write", r.Stderr, StringComparison.Ordinal);
        Assert.Equal("my notes", File.ReadAllText(Path.Combine(mine, ".xent-run")));
        Assert.Single(Directory.GetFileSystemEntries(mine));

        string linked = _dir.File("linked"), victim = _dir.File("victim.txt");
        Directory.CreateDirectory(linked);
        File.CreateSymbolicLink(Path.Combine(linked, ".xent-run"), victim);
        r = CliRunner.Run(QuickRun(linked), _dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("a link to", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(victim), "the link's target was created");
    }

    [Fact]
    public void ALockFileNameThatIsAFolderOrAFileThisUserMayNotWriteIsNamed()
    {
        // qa-s18-s18changes L3: both said "cannot write in --out …: Access to the path '…/.xent-run' is denied", of a folder the user
        // could write in.
        SlowRun(_dir.File("unused")); // writes data.csv
        string folder = _dir.File("folder");
        Directory.CreateDirectory(Path.Combine(folder, ".xent-run"));
        var r = CliRunner.Run(QuickRun(folder), _dir.Path);
        CliAssert.OneLineError(r, 2, $"error: --out '{folder}' holds a folder '.xent-run', where xent keeps its run lock in a file of " +
            "that name: move the folder, or pass another --out.");
        Assert.Equal([Path.Combine(folder, ".xent-run")], Directory.GetFileSystemEntries(folder));

        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        // A lock file another user's killed run left, or a read-only one: as root, which may open any file, there is nothing to
        // refuse (the file is taken over), so this part checks only where permissions apply.
        string other = _dir.File("other");
        Directory.CreateDirectory(other);
        string lockFile = Path.Combine(other, ".xent-run");
        File.WriteAllBytes(lockFile, []);
        File.SetUnixFileMode(lockFile, UnixFileMode.UserRead);
        bool permissionsApply;
        try
        {
            new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite).Dispose();
            permissionsApply = false;
        }
        catch (UnauthorizedAccessException)
        {
            permissionsApply = true;
        }
        if (!permissionsApply) return;
        r = CliRunner.Run(QuickRun(other), _dir.Path);
        CliAssert.OneLineError(r, 2, $"error: --out '{other}' holds a file '.xent-run' that this user may not open for writing " +
            "(another user's, or read-only); xent keeps its run lock in a file of that name: if no run is using the folder, remove the " +
            "file, or pass another --out.");
        Assert.Equal([lockFile], Directory.GetFileSystemEntries(other));
    }

    [Fact]
    public void AResumeIntoALockedFolderIsRefusedBeforeItSaysAnythingAboutTheRun()
    {
        // qa-s18-s18changes L2: "Resuming from … at epoch 2." and the option warnings came before the refusal.
        SlowRun(_dir.File("unused")); // writes data.csv
        string outDir = _dir.File("held");
        Assert.Equal(0, CliRunner.Run(QuickRun(outDir), _dir.Path).ExitCode);
        string checkpoint = Path.Combine(outDir, "checkpoint.safetensors");
        var before = Snapshot(outDir);
        // This process holds the folder's lock as a live run does (an OS lock on the file, which the CLI process is refused).
        using (new FileStream(Path.Combine(outDir, ".xent-run"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            string[] resume = ["train", "--data", _dir.File("data.csv"), "--resume", checkpoint, "--epochs", "3", "--model", "mlp",
                "--hidden", "8", "--batch-size", "32"]; // another --batch-size: a warning, were the run to go on
            var r = CliRunner.Run(resume, _dir.Path);
            CliAssert.OneLineError(r, 2, $"error: another xent run is using --out '{outDir}'", "--epochs 3");
            // Only the data's "Reading …" lines: the warnings would be on stderr, which holds the one error line.
            Assert.DoesNotContain("Resuming", r.Stdout, StringComparison.Ordinal);
        }
        File.Delete(Path.Combine(outDir, ".xent-run"));
        Assert.Equal(before, Snapshot(outDir));
    }

    [Fact]
    public void AResumeWithNothingLeftToTrainTakesNoLockAndWritesNothing()
    {
        // qa-s19-b L3: taking the lock first refused "Nothing to train" in a folder the user may only read ("cannot write in
        // --out"). A held lock shows that none is taken: the run says it has nothing to train, where taking one is refused.
        SlowRun(_dir.File("unused")); // writes data.csv
        string outDir = _dir.File("done");
        Assert.Equal(0, CliRunner.Run(QuickRun(outDir), _dir.Path).ExitCode);
        string checkpoint = Path.Combine(outDir, "checkpoint.safetensors");
        string elsewhere = _dir.File("not-created");
        var before = Snapshot(outDir);
        using (new FileStream(Path.Combine(outDir, ".xent-run"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            string[] resume = ["train", "--data", _dir.File("data.csv"), "--resume", checkpoint, "--model", "mlp", "--hidden", "8"];
            foreach (string[] more in new[] { ["--epochs", "1"], new[] { "--epochs", "1", "--out", elsewhere } })
            {
                var r = CliRunner.Run([.. resume, .. more], _dir.Path);
                Assert.True(r.ExitCode == 0, $"{string.Join(' ', more)}: exit {r.ExitCode}: {r.Stderr}");
                Assert.Contains($"Nothing to train: '{checkpoint}' is already at epoch 1; pass --epochs above 1", r.Stdout,
                    StringComparison.Ordinal);
                Assert.Equal("", r.Stderr);
            }
        }
        File.Delete(Path.Combine(outDir, ".xent-run"));
        Assert.Equal(before, Snapshot(outDir));
        Assert.False(Directory.Exists(elsewhere), "the --out of a run with nothing to train was created");
    }

    [Fact]
    public async Task ARunInterruptedBeforeItsFirstEpochLeavesNoFolderAndOneWithACheckpointNoLockFile()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // SIGTERM
        // The signal handler ends the process without the using blocks' cleanup: it lets go of the lock itself.
        string outDir = Path.Combine(_dir.File("new"), "run");
        using (var interrupted = CliRunner.Start(SlowRun(outDir), _dir.Path))
        {
            var stderr = interrupted.StandardError.ReadToEndAsync();
            await WaitUntilTraining(interrupted, outDir);
            await Signal(interrupted, "TERM");
            var stdout = interrupted.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await interrupted.WaitForExitAsync(timeout.Token);
            await stdout;
            Assert.True(interrupted.ExitCode == 143, await stderr);
        }
        Assert.False(Directory.Exists(_dir.File("new")), "the folders the run created go with its lock file");

        // Interrupted after a checkpoint, the run's files stay, without the lock file.
        using var later = CliRunner.Start(SlowRun(outDir), _dir.Path);
        var laterErr = later.StandardError.ReadToEndAsync();
        string? line;
        while ((line = await later.StandardOutput.ReadLineAsync()) is not null
            && !line.StartsWith("Epoch 1 done", StringComparison.Ordinal)) { }
        Assert.NotNull(line);
        await Signal(later, "TERM");
        var laterOut = later.StandardOutput.ReadToEndAsync();
        using var timeout2 = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await later.WaitForExitAsync(timeout2.Token);
        await laterOut;
        string err = await laterErr;
        Assert.True(later.ExitCode == 143, err);
        Assert.Contains("the last finished epoch's checkpoint is kept", err, StringComparison.Ordinal);
        Assert.DoesNotContain(".xent-run", Snapshot(outDir).Keys);
        Assert.Contains("checkpoint.safetensors", Snapshot(outDir).Keys);
    }
}
