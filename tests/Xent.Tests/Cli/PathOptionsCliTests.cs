using System.Diagnostics;
using System.Reflection;
using Xent.IO;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// Paths the system cannot use are refused before any command runs, with one <c>error:</c> line that names the option and the
/// cause (PathOptions, PathProblems), rather than a "does not exist" for a file that exists or a failure after the work.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class PathOptionsCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        // .NET deletes by full path, which fails beyond PATH_MAX; rm walks the tree relative to each folder.
        if (OperatingSystem.IsLinux()) Shell($"rm -rf '{_dir.Path}'");
        _dir.Dispose();
    }

    private static void Shell(string script)
    {
        using var sh = Process.Start(new ProcessStartInfo("/bin/bash", ["-c", script]) { UseShellExecute = false })!;
        sh.WaitForExit();
        Assert.Equal(0, sh.ExitCode);
    }

    /// <summary>Every file's content, and every link's target, in the test's folder.</summary>
    private Dictionary<string, string> Snapshot() => Directory.EnumerateFiles(_dir.Path, "*", SearchOption.AllDirectories)
        .ToDictionary(p => p, p => new FileInfo(p).LinkTarget is { } link ? "-> " + link : Convert.ToBase64String(File.ReadAllBytes(p)));

    /// <summary>Runs the CLI through <c>bash -c</c> after <paramref name="shellSetup"/> (run in the test's folder).</summary>
    private CliResult RunInShell(string shellSetup, params string[] args)
    {
        var (host, dll) = CliRunner.Command;
        var psi = new ProcessStartInfo("/bin/bash")
        {
            RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = _dir.Path,
        };
        foreach (var a in (string[])["-c", $"{shellSetup} exec \"$@\"", "sh", host, dll, .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "timed out");
        return new CliResult(p.ExitCode, stdout, stderr.Result);
    }

    private static readonly string Folder200 = new('e', 200);

    [Fact]
    public void AnInputBeyondPathMaxIsSaidToBeTooLongNotMissing()
    {
        if (!OperatingSystem.IsLinux()) return;
        // QA s18-env M3: "'iris.csv' does not exist" for a file that ls shows (File.Exists is false on ENAMETOOLONG).
        var (csv, _) = TinyTables.TrainedLinear(_dir);
        Shell($"cd '{_dir.Path}' && for i in $(seq 21); do mkdir {Folder200} && cd {Folder200}; done && cp '{csv}' deep.csv");
        string deep = Path.Combine([_dir.Path, .. Enumerable.Repeat(Folder200, 21), "deep.csv"]);
        int bytes = deep.Length; // ASCII
        Assert.True(bytes > 4095);
        var r = InProcessCli.Run("train", "--data", deep, "--out", _dir.File("r2"), "--epochs", "1", "--model", "linear");
        CliAssert.OneLineError(r, 2, $"is {bytes} bytes long, more than the 4095 Linux allows in one path (PATH_MAX 4096)");
        Assert.StartsWith("error: --data '", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("does not exist", r.Stderr, StringComparison.Ordinal);
        Assert.EndsWith("deep.csv') is " + bytes + " bytes long", r.Stderr[..r.Stderr.IndexOf(", more", StringComparison.Ordinal)],
            StringComparison.Ordinal); // the path is shortened in its middle, so the file's name and the reason stay on the line
        Assert.False(Directory.Exists(_dir.File("r2")));
    }

    [Fact]
    public void AnOutputBeyondPathMaxIsRefusedBeforeTheWork()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        var before = Snapshot();
        // The temporary file's 17 bytes count: a path that fits PATH_MAX without them is still refused.
        string folder = Path.Combine([_dir.Path, .. Enumerable.Repeat(Folder200, 20)]);
        string name = new string('p', 4095 - 17 - folder.Length - 1 - 4 + 1) + ".csv";
        string output = Path.Combine(folder, name);
        Assert.Equal(4079, output.Length);
        var r = InProcessCli.Run("predict", "--checkpoint", ckpt, "--input", csv, "--out", output);
        CliAssert.OneLineError(r, 2, "is 4079 bytes long; Linux allows 4095 bytes in one path (PATH_MAX 4096), and the temporary " +
            "file xent writes first adds 17, so at most 4078 fit");
        Assert.Equal("", r.Stdout); // refused before any prediction
        Assert.Equal(before.Keys.Order(), Snapshot().Keys.Order());
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, Folder200)));
        // One byte shorter is written.
        string fits = Path.Combine(folder, name[1..]);
        Assert.Equal(0, InProcessCli.Run("predict", "--checkpoint", ckpt, "--input", csv, "--out", fits).ExitCode);
    }

    [Fact]
    public void ALongMessageIsCutInItsMiddleSoItsReasonStays()
    {
        var clean = InProcessCli.Assembly.GetType("Xent.Cli.CliHost", throwOnError: true)!
            .GetMethod("Clean", BindingFlags.Public | BindingFlags.Static)!;
        string message = "cannot write '" + new string('d', 5000) + "': the reason.";
        string cleaned = (string)clean.Invoke(null, [message])!;
        Assert.StartsWith("cannot write 'ddd", cleaned, StringComparison.Ordinal);
        Assert.EndsWith("ddd': the reason.", cleaned, StringComparison.Ordinal);
        Assert.Contains("d … d", cleaned, StringComparison.Ordinal);
        Assert.True(cleaned.Length <= 2003, $"{cleaned.Length} characters");
    }

    [Fact]
    public void ADeletedCurrentFolderIsNamed()
    {
        if (!OperatingSystem.IsLinux()) return;
        // QA s18-env L4: "error: Unable to find the specified file." for any relative path once the current folder was deleted.
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        const string Gone = "mkdir gone && cd gone && rmdir ../gone &&";
        CliAssert.OneLineError(RunInShell(Gone, "predict", "--checkpoint", ckpt, "--input", csv, "--out", "p.csv"), 2,
            "error: --out 'p.csv' cannot be written: it is relative to the current folder, which no longer exists (it was deleted or " +
            "moved); cd to an existing folder, or give its absolute path.");
        CliAssert.OneLineError(RunInShell(Gone, "train", "--data", "data.csv", "--out", _dir.File("r")), 2,
            "error: --data 'data.csv' cannot be read: it is relative to the current folder, which no longer exists");
        // train's own relative default, runs/<date-time>.
        CliAssert.OneLineError(RunInShell(Gone, "train", "--data", csv, "--epochs", "1", "--model", "linear"), 2,
            "error: the current folder no longer exists (it was deleted or moved), so no path relative to it can be used");
        Assert.False(Directory.Exists(_dir.File("r")));
    }

    [Fact]
    public void AFileWhereAFolderShouldBeIsNamed()
    {
        // QA s18-env L3: train said "cannot create --out 'afile/run': Could not find a part of the path …", after reading the data.
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        string notes = _dir.File("notes.txt");
        File.WriteAllText(notes, "x");
        var r = InProcessCli.Run("train", "--data", csv, "--out", Path.Combine(notes, "run"), "--epochs", "1", "--model", "linear");
        CliAssert.OneLineError(r, 2, $"error: --out '{Path.Combine(notes, "run")}' cannot be written: '{notes}' is a file, not a folder.");
        Assert.Equal("", r.Stdout); // before the data is read
        CliAssert.OneLineError(InProcessCli.Run("eval", "--checkpoint", Path.Combine(notes, "c.safetensors"), "--data", csv), 2,
            $"error: --checkpoint '{Path.Combine(notes, "c.safetensors")}' cannot be read: '{notes}' is a file, not a folder.");
        // The default --out, runs/<date-time>, below a file named runs.
        File.WriteAllText(_dir.File("runs"), "x");
        CliAssert.OneLineError(CliRunner.Run(["train", "--data", csv, "--epochs", "1", "--model", "linear"], _dir.Path), 2,
            $"cannot be created: '{_dir.File("runs")}' is a file, not a folder.");
        Assert.Equal("x", File.ReadAllText(notes));
    }

    [Fact]
    public void ALinkToNothingOrInALoopIsNamedAndLeftAsItIs()
    {
        // QA s18-env L2: predict --out replaced such a link with a regular file (exit 0); --input said "not a known kind of data",
        // train --out "is a file". Writing through a link to nothing is refused, as cp refuses it: it may lead anywhere.
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        string dangling = _dir.File("latest.csv"), loop = _dir.File("loop1"), gone = _dir.File("gone.csv");
        File.CreateSymbolicLink(dangling, "gone.csv");
        File.CreateSymbolicLink(loop, "loop2");
        File.CreateSymbolicLink(_dir.File("loop2"), "loop1");
        var before = Snapshot();
        var r = InProcessCli.Run("predict", "--checkpoint", ckpt, "--input", csv, "--out", dangling);
        CliAssert.OneLineError(r, 2, $"error: --out '{dangling}' cannot be written: it is a symbolic link to '{gone}', which does not " +
            "exist; xent writes through a link only to what exists: create its target, remove the link, or pass another --out.");
        Assert.Equal("", r.Stdout);
        string inALoop = "is a symbolic link in a loop, or in a chain of more than 40 links (it never leads to a file or folder); " +
            "remove the link or point it at a file or folder.";
        CliAssert.OneLineError(InProcessCli.Run("predict", "--checkpoint", ckpt, "--input", csv, "--out", loop), 2,
            $"error: --out '{loop}' cannot be written: it {inALoop}");
        CliAssert.OneLineError(InProcessCli.Run("export", "--checkpoint", ckpt, "--out", Path.Combine(loop, "m.onnx")), 2,
            $"error: --out '{Path.Combine(loop, "m.onnx")}' cannot be written: '{loop}' {inALoop}");
        CliAssert.OneLineError(InProcessCli.Run("train", "--data", csv, "--out", loop, "--model", "linear"), 2,
            $"error: --out '{loop}' cannot be written: it {inALoop}");
        CliAssert.OneLineError(InProcessCli.Run("predict", "--checkpoint", ckpt, "--data", loop), 2,
            $"error: --data '{loop}' cannot be read: it {inALoop}");
        CliAssert.OneLineError(InProcessCli.Run("eval", "--checkpoint", dangling, "--data", csv), 2,
            $"error: --checkpoint '{dangling}' cannot be read: it is a symbolic link to '{gone}', which does not exist; remove the " +
            "link or restore its target.");
        Assert.Equal(before, Snapshot());
        Assert.Equal("gone.csv", new FileInfo(dangling).LinkTarget);
        Assert.Equal("loop2", new FileInfo(loop).LinkTarget);
        Assert.False(File.Exists(gone));
        // A link to a file is still written through.
        File.WriteAllText(gone, "old");
        Assert.Equal(0, InProcessCli.Run("predict", "--checkpoint", ckpt, "--input", csv, "--out", dangling).ExitCode);
        Assert.StartsWith("input,class,probability", File.ReadAllText(gone), StringComparison.Ordinal);
        Assert.Equal("gone.csv", new FileInfo(dangling).LinkTarget);
    }

    [Fact]
    public void ATildeNoShellExpandedIsRefusedWhereItWouldMakeAFolderNamedTilde()
    {
        // QA s18-env L5: --out=~/x (no shell expands ~ after =) made ./~/x and printed "Wrote: ~/x/…", which a shell reads as $HOME.
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        string home = Environment.GetEnvironmentVariable("HOME") ?? "";
        if (home.Length == 0) return; // without HOME, ~ means nothing else
        var r = CliRunner.Run(["train", "--data", csv, "--out=~/run", "--epochs", "1", "--model", "linear"], _dir.Path);
        CliAssert.OneLineError(r, 2, "error: --out '~/run' starts with '~', which a shell expands only at the start of a word " +
            "(--out ~/x, not --out=~/x), so it names a folder '~' in the current folder, not your home folder; write --out " +
            $"'{home}/run', or --out './~/run' for a folder named '~'.");
        CliAssert.OneLineError(CliRunner.Run(["eval", "--checkpoint", ckpt, "--data=~/test.csv"], _dir.Path), 2,
            $"not your home folder; write --data '{home}/test.csv'.");
        Assert.False(Directory.Exists(_dir.File("~")));
        // ./~ names such a folder on purpose.
        Assert.Equal(0, CliRunner.Run(["predict", "--checkpoint", ckpt, "--input", csv, "--out", "./~/p.csv"], _dir.Path).ExitCode);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "~", "p.csv")));
    }

    [Fact]
    public void EmptyPathsAndAFileNamedAsAFolderNameTheOption()
    {
        // QA s18-env L11: --data iris.csv/ said "directory '…/iris.csv/' does not exist", --data "" "directory '' does not exist",
        // train --out "" "The value cannot be an empty string." without naming --out.
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        CliAssert.OneLineError(InProcessCli.Run("train", "--data", csv + "/", "--out", _dir.File("r"), "--model", "linear"), 2,
            $"error: --data '{csv}/' ends with '/', as a folder does, but '{csv}' is a file; leave out the '/'.");
        CliAssert.OneLineError(InProcessCli.Run("predict", "--checkpoint", ckpt + "/", "--input", csv), 2,
            $"error: --checkpoint '{ckpt}/' ends with '/', as a folder does, but '{ckpt}' is a file; leave out the '/'.");
        // A folder output: the '/' is right, the file is in the way.
        CliAssert.OneLineError(InProcessCli.Run("train", "--data", csv, "--out", csv + "/", "--model", "linear"), 2,
            $"error: --out '{csv}/' cannot be written: '{csv}' is a file, not a folder.");
        CliAssert.OneLineError(InProcessCli.Run("train", "--data", "", "--out", _dir.File("r")), 2,
            "error: --data is empty; name a file or folder.");
        CliAssert.OneLineError(InProcessCli.Run("train", "--data", csv, "--out", "", "--model", "linear"), 2,
            "error: --out is empty; name a folder such as runs/first, or leave out --out for runs/<date-time>.");
        CliAssert.OneLineError(InProcessCli.Run("eval", "--checkpoint", ckpt, "--data", csv, "--report", " "), 2,
            "error: --report is empty; name a file such as eval.html.");
        Assert.False(Directory.Exists(_dir.File("r")));
    }

    [Fact]
    public void LinksAreFollowedAsTheKernelFollowsThem()
    {
        if (!OperatingSystem.IsLinux()) return; // /dev/stdout
        // qa-s19-b H1: L -> real/deep/dir, and L/data.csv -> ../shared.csv (relative to real/deep/dir, where the link really is):
        // the check joined the target to the path as written (w/shared.csv) and refused a file cat reads. M1: a user's link to
        // /dev/stdout, with stdout a pipe, was said to lead to 'pipe:[N]', which does not exist.
        var (csv, checkpoint) = TinyTables.TrainedLinear(_dir);
        Directory.CreateDirectory(_dir.File("real/deep/dir"));
        File.Copy(csv, _dir.File("real/deep/shared.csv"));
        File.WriteAllText(_dir.File("real/deep/predictions.csv"), "old");
        Directory.CreateSymbolicLink(_dir.File("L"), "real/deep/dir");
        File.CreateSymbolicLink(_dir.File("real/deep/dir/data.csv"), "../shared.csv");
        File.CreateSymbolicLink(_dir.File("real/deep/dir/out.csv"), "../predictions.csv");
        File.CreateSymbolicLink(_dir.File("stdout-link"), "/dev/stdout");

        var toFile = CliRunner.Run(["predict", "--checkpoint", checkpoint, "--input", "L/data.csv", "--out", "L/out.csv"], _dir.Path);
        Assert.True(toFile.ExitCode == 0, toFile.Stderr);
        Assert.Equal(13, File.ReadAllLines(_dir.File("real/deep/predictions.csv")).Length); // the header and 12 rows, through the link
        Assert.Equal("../predictions.csv", new FileInfo(_dir.File("real/deep/dir/out.csv")).LinkTarget); // the link stays a link

        var toPipe = CliRunner.Run(["predict", "--checkpoint", checkpoint, "--input", "L/data.csv", "--out", "stdout-link"], _dir.Path);
        Assert.True(toPipe.ExitCode == 0, toPipe.Stderr);
        Assert.StartsWith(File.ReadAllText(_dir.File("real/deep/predictions.csv")), toPipe.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ADescriptorTheShellDidNotOpenIsRefusedNotTheRuntimesOwnWrittenInto()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc/self/fdinfo
        // qa-s19-c L5: --out /dev/fd/3, where the shell opened no descriptor 3, wrote into the .NET runtime's own pipe (exit 0, the
        // output nowhere), while `echo > /dev/fd/3` in that shell fails.
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        File.CreateSymbolicLink(_dir.File("fd3"), "/dev/fd/3");
        string notOpened = "descriptor 3 was not opened for xent by the shell (as 3>file or >(…) open one); it is one the .NET " +
            "runtime opened for itself; open it in the shell first, or name a file.";
        foreach (string out3 in new[] { "/dev/fd/3", "/proc/self/fd/3", "fd3" })
        {
            CliAssert.OneLineError(RunInShell("", "predict", "--checkpoint", ckpt, "--input", csv, "--out", out3), 2,
                $"error: --out '{out3}' cannot be written: {notOpened}");
        }
        CliAssert.OneLineError(RunInShell("", "predict", "--checkpoint", ckpt, "--data", "/dev/fd/3"), 2,
            "error: --data '/dev/fd/3' cannot be read: descriptor 3 was not opened for xent by the shell (as 3<file or <(…) open one)");
        // Nor one not open at all: the runtime may open a library there before the write, which would then replace it in place.
        CliAssert.OneLineError(RunInShell("", "predict", "--checkpoint", ckpt, "--input", csv, "--out", "/dev/fd/77"), 2,
            "error: --out '/dev/fd/77' cannot be written: descriptor 77 was not opened for xent by the shell (as 77>file or >(…) open " +
            "one); it is not open; open it in the shell first, or name a file.");
        CliAssert.OneLineError(RunInShell("", "predict", "--checkpoint", ckpt, "--data", "/dev/fd/77"), 2,
            "error: --data '/dev/fd/77' cannot be read: descriptor 77 was not opened for xent by the shell (as 77<file or <(…) open one)");
        // One the shell opened is the user's: written.
        var given = RunInShell("exec 3>given.csv;", "predict", "--checkpoint", ckpt, "--input", csv, "--out", "/dev/fd/3");
        Assert.True(given.ExitCode == 0, given.Stderr);
        Assert.StartsWith("input,class,probability", File.ReadAllText(_dir.File("given.csv")), StringComparison.Ordinal);
        // qa-s20-b L5: one it opened for appending (5>>) is appended to, as /dev/stdout is; it was written from its start.
        File.WriteAllText(_dir.File("log.csv"), "earlier line, longer than the header that would overwrite it: 0123456789\n");
        foreach (string out5 in new[] { "/dev/fd/5", "/dev/stdout" })
        {
            string redirect = out5 == "/dev/stdout" ? "exec >>log.csv;" : "exec 5>>log.csv;";
            var appended = RunInShell(redirect, "predict", "--checkpoint", ckpt, "--input", csv, "--out", out5);
            Assert.True(appended.ExitCode == 0, appended.Stderr);
        }
        string[] log = File.ReadAllLines(_dir.File("log.csv"));
        Assert.Equal("earlier line, longer than the header that would overwrite it: 0123456789", log[0]);
        Assert.Equal(2, log.Count(l => l.StartsWith("input,class,probability", StringComparison.Ordinal)));
        Assert.Equal("input,class,probability", log[1][.."input,class,probability".Length]);
    }

    [Fact]
    public void APathThatPassesPathMaxOnceItsLinksAreFollowedIsUsedAsTheKernelUsesIt()
    {
        if (!OperatingSystem.IsLinux()) return; // PATH_MAX 4096, and bash to build the folders
        // qa-s19-c M3: LL/M/p.csv leads, through two links, to a folder 4,300 bytes deep. `echo hi > LL/M/p.csv` works (the kernel
        // follows one part at a time), but xent followed the links itself, its lstat of the long path failed with ENAMETOOLONG,
        // and the output was refused as "a symbolic link to …, which does not exist".
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        string n = new('f', 250), a = string.Join('/', Enumerable.Repeat(n, 8)), b = string.Join('/', Enumerable.Repeat(n, 9));
        Shell($"cd '{_dir.Path}' && mkdir deep && cd deep && for i in $(seq 17); do mkdir {n} && cd {n}; done");
        Directory.CreateSymbolicLink(_dir.File("LL"), "deep/" + a);
        Directory.CreateSymbolicLink(_dir.File($"deep/{a}/M"), b);
        File.Copy(csv, _dir.File("LL/M/data.csv"));
        var walk = Xent.IO.LinkWalk.Of(_dir.File("LL/M/p.csv"));
        Assert.True(walk.TooLong);
        Assert.Equal(_dir.File("LL/M/p.csv"), walk.Path); // as given, for the kernel to follow
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(walk.Stop) > 4095, walk.Stop);

        var r = CliRunner.Run(["predict", "--checkpoint", ckpt, "--input", "LL/M/data.csv", "--out", "LL/M/p.csv"], _dir.Path);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(13, File.ReadAllLines(_dir.File("LL/M/p.csv")).Length); // the header and 12 rows
        string[] names = Directory.GetFiles(_dir.File("LL/M")).Select(p => p[(p.LastIndexOf('/') + 1)..]).Order().ToArray();
        Assert.Equal(["data.csv", "p.csv"], names); // no temporary file left

        // A link at the end would be replaced by the rename (its target has no path a call takes): refused, and left as it is.
        File.CreateSymbolicLink(_dir.File("LL/M/link.csv"), "p.csv");
        CliAssert.OneLineError(CliRunner.Run(["predict", "--checkpoint", ckpt, "--input", csv, "--out", "LL/M/link.csv"], _dir.Path), 2,
            "error: --out 'LL/M/link.csv' cannot be written: it is a symbolic link, and the path it leads to is longer than one path " +
            "may be (PATH_MAX 4096) once its links are followed, so xent cannot replace the file there and keep the link; name that " +
            "file by a shorter path, or remove the link.");
        Assert.Equal("p.csv", new FileInfo(_dir.File("LL/M/link.csv")).LinkTarget);
    }

    [Fact]
    public void ATildeForAUserOrWithoutHomeIsRefusedTooAndAFileOutputIsAdvisedAFile()
    {
        if (!OperatingSystem.IsLinux()) return; // bash, and /etc/passwd
        // qa-s19-b L2: --out=~root/t.csv made a folder '~root' here, and with HOME unset or empty --out=~/t.csv made './~/t.csv', with
        // no word (a shell expands ~root/ at a word's start, and ~/ with HOME unset too). L1: for a file output named '~' alone, the
        // advice named the home folder itself as the file, and './~' as "a folder named '~'".
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        using (var getent = Process.Start(new ProcessStartInfo("getent", ["passwd", "root"]) { RedirectStandardOutput = true })!)
        {
            string rootHome = getent.StandardOutput.ReadToEnd().Split(':')[5];
            getent.WaitForExit();
            CliAssert.OneLineError(RunInShell("", "predict", "--checkpoint", ckpt, "--input", csv, "--out=~root/t.csv"), 2,
                "error: --out '~root/t.csv' starts with '~', which a shell expands only at the start of a word (--out ~/x, not " +
                $"--out=~/x), so it names a folder '~root' in the current folder, not root's home folder; write --out " +
                $"'{rootHome}/t.csv', or --out './~root/t.csv' for a folder named '~root'.");
        }
        string noHome = "so it names a folder '~' in the current folder, not your home folder; write its full path (HOME is not set, " +
            "so xent cannot tell your home folder), or --out './~/t.csv' for a folder named '~'.";
        CliAssert.OneLineError(RunInShell("unset HOME;", "predict", "--checkpoint", ckpt, "--input", csv, "--out=~/t.csv"), 2, noHome);
        // qa-s20-b L5: HOME set but empty was said to be "not set".
        CliAssert.OneLineError(RunInShell("HOME=;", "predict", "--checkpoint", ckpt, "--input", csv, "--out=~/t.csv"), 2,
            noHome.Replace("HOME is not set", "HOME is empty", StringComparison.Ordinal));
        CliAssert.OneLineError(RunInShell("HOME=/home/me;", "predict", "--checkpoint", ckpt, "--input", csv, "--out", "~"), 2,
            "error: --out '~' starts with '~', which a shell expands only at the start of a word (--out ~/x, not --out=~/x), so it " +
            "names a file '~' in the current folder, not your home folder; name a file in it, such as --out " +
            "'/home/me/predictions.csv', or --out './~' for a file named '~'.");
        CliAssert.OneLineError(RunInShell("HOME=/home/me;", "eval", "--checkpoint", ckpt, "--data", csv, "--report", "~"), 2,
            "such as --report '/home/me/eval.html', or --report './~' for a file named '~'.");
        Assert.False(Directory.Exists(_dir.File("~")));
        Assert.False(Directory.Exists(_dir.File("~root")));
        // A ~ that no shell would expand (no such user) is a name like any other.
        var plain = RunInShell("", "predict", "--checkpoint", ckpt, "--input", csv, "--out", "~x.csv");
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.True(File.Exists(_dir.File("~x.csv")));
    }

    [Fact]
    public void ACsvThatIsAPipeIsSaidToBeOne()
    {
        if (!OperatingSystem.IsLinux()) return; // bash
        // qa-s19-b L5: --data lin.csv, a link to /dev/stdin fed by a pipe, said "Stream does not support seeking." (before that, "a
        // symbolic link to '/proc/self/fd/pipe:[…]', which does not exist").
        var (csv, ckpt) = TinyTables.TrainedLinear(_dir);
        File.CreateSymbolicLink(_dir.File("lin.csv"), "/dev/stdin");
        string pipe = "error: 'lin.csv' is a pipe (or a link to one, such as /dev/stdin), which can be read only once, and xent reads " +
            "a CSV file more than once (its first line for the separator, then its rows); save it to a file first (… > data.csv) and " +
            "pass that.";
        CliAssert.OneLineError(RunInShell($"cat '{csv}' |", "predict", "--checkpoint", ckpt, "--data", "lin.csv"), 2, pipe);
        CliAssert.OneLineError(RunInShell($"cat '{csv}' |", "train", "--data", "lin.csv", "--model", "linear", "--out", "r"), 2, pipe);
        Assert.False(Directory.Exists(_dir.File("r")));
    }

    [Fact]
    public void ALabelsNpyThatIsAPipeIsSaidToBeOne()
    {
        if (!OperatingSystem.IsLinux()) return; // bash
        // qa-s21-crash M5: --labels <(cat y.npy) said "'/dev/fd/63' is not an .npy file: … found 0x00 0x00 …": its header had
        // been taken by a first read, and the second began inside the array.
        string x = _dir.File("x.npy"), y = _dir.File("y.npy");
        Npy.Write(x, Enumerable.Range(0, 40).Select(i => (float)(i % 2) + 0.01f * i).ToArray(), [20, 2]);
        Npy.Write(y, Enumerable.Range(0, 20).Select(i => (long)(i % 2)).ToArray(), [20]);
        var train = InProcessCli.Run("train", "--data", x, "--labels", y, "--model", "linear", "--epochs", "1", "--out", _dir.File("run"));
        Assert.True(train.ExitCode == 0, train.Stderr);
        string ckpt = _dir.File("run/checkpoint.safetensors");
        string expected = "is a pipe (or a link to one, such as /dev/stdin), which can be read only once, and xent reads a labels " +
            ".npy file more than once (its header, then its values); save it to a file first (… > labels.npy) and pass that.";
        CliAssert.OneLineError(RunInShell("exec 3< <(cat y.npy);", "eval", "--checkpoint", ckpt, "--data", x, "--labels",
            "/dev/fd/3"), 2, "error: '/dev/fd/3' " + expected);
        CliAssert.OneLineError(RunInShell($"cat '{y}' |", "train", "--data", x, "--labels", "/dev/stdin", "--out", "r2"), 2,
            "error: '/dev/stdin' " + expected);
        Assert.False(Directory.Exists(_dir.File("r2")));
    }

    [Fact]
    public void AnImageThatIsAPipeIsSaidToBeOne()
    {
        if (!OperatingSystem.IsLinux()) return; // bash, mkfifo
        // qa-s20-b M2: a .png linked to /dev/stdin fed by a pipe, or a FIFO, was "internal error (AggregateException): … (Stream
        // does not support seeking.) This is a bug in xent", exit 1: the truncation check asked for the file's length.
        string images = _dir.File("images");
        Xent.Tests.Data.OwnDataFiles.GrayClasses(images, perClass: 4);
        var train = InProcessCli.Run("train", "--data", images, "--model", "linear", "--epochs", "1", "--out", _dir.File("run"));
        Assert.True(train.ExitCode == 0, train.Stderr);
        string ckpt = _dir.File("run/checkpoint.safetensors"), png = Path.Combine(images, "dark", "img000.png");
        File.CreateSymbolicLink(_dir.File("si.png"), "/dev/stdin");
        static string Pipe(string name) => $"error: '{name}' is a pipe (or a link to one, such as /dev/stdin), which can be read " +
            "only once, and xent reads an image file more than once (its header, then its pixels); save it to a file first " +
            "(… > image.png) and pass that.";
        CliAssert.OneLineError(RunInShell($"cat '{png}' |", "predict", "--checkpoint", ckpt, "--input", "si.png"), 2, Pipe("si.png"));
        Shell($"cd '{_dir.Path}' && mkfifo f.png && (timeout 60 cat '{png}' > f.png &)");
        CliAssert.OneLineError(RunInShell("", "predict", "--checkpoint", ckpt, "--input", "f.png"), 2, Pipe("f.png"));
    }
}
