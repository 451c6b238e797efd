using System.Diagnostics;
using Xent.IO;
using Xunit;

namespace Xent.Tests.IO;

/// <summary>
/// <see cref="LinkWalk"/> against GNU realpath, which asks the kernel: relative links reached through linked folders, <c>..</c>
/// after a link, chains of links, and paths whose end does not exist yet.
/// </summary>
public sealed class LinkWalkTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void PathsLeadWhereRealpathSaysTheyDo()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/realpath")) return;
        Directory.CreateDirectory(_dir.File("real/deep/dir"));
        File.WriteAllText(_dir.File("real/deep/shared.csv"), "x");
        Directory.CreateSymbolicLink(_dir.File("L"), "real/deep/dir");
        File.CreateSymbolicLink(_dir.File("real/deep/dir/data.csv"), "../shared.csv");
        File.CreateSymbolicLink(_dir.File("chain"), "L/data.csv");
        File.CreateSymbolicLink(_dir.File("absolute"), _dir.File("real/deep"));
        File.CreateSymbolicLink(_dir.File("real/deep/dir/gone"), "../../nowhere/file.csv");
        foreach (string relative in new[]
        {
            "L/data.csv", "L/../shared.csv", "L/../../deep/dir/data.csv", "chain", "absolute/dir/data.csv", "L/new.csv",
            "L/missing/folder/new.csv", "real/./deep//shared.csv", "L/gone", "absolute/../..",
        })
        {
            string full = _dir.File(relative);
            var walk = LinkWalk.Of(full);
            Assert.True(Realpath(full) == walk.Path, $"{relative}: realpath {Realpath(full)}, LinkWalk {walk.Path}");
            // (Path.Exists itself would collapse "L/.." as text, to a folder that the kernel never reaches.)
            Assert.True(Path.Exists(Realpath(full)) == walk.Exists, $"{relative}: exists {walk.Exists}");
        }
        Assert.Equal(_dir.File("real/deep/dir/gone"), LinkWalk.Of(_dir.File("L/gone")).Link); // a link to nothing, named
        Assert.Null(LinkWalk.Of(_dir.File("L/new.csv")).Link); // a new file in a linked folder is no link to nothing
    }

    [Fact]
    public void ALoopIsNamedNotFollowedForEver()
    {
        File.CreateSymbolicLink(_dir.File("a"), "b");
        File.CreateSymbolicLink(_dir.File("b"), "a");
        var walk = LinkWalk.Of(_dir.File("a/x.csv"));
        Assert.True(walk.Loop);
        Assert.False(walk.Exists);
    }

    [Fact]
    public void FortyLinksInAChainAreFollowedAndFortyOneAreTooMany()
    {
        // As Linux: `cat c40` reads the file, `cat c41` says "Too many levels of symbolic links" (qa-s19-c L1: the message then
        // named c1, the one link that was fine).
        File.WriteAllText(_dir.File("target.txt"), "hi");
        string previous = "target.txt";
        for (int i = 1; i <= 41; i++)
        {
            File.CreateSymbolicLink(_dir.File($"c{i}"), previous);
            previous = $"c{i}";
        }
        var forty = LinkWalk.Of(_dir.File("c40"));
        Assert.True(forty.Exists);
        Assert.Equal(_dir.File("target.txt"), forty.Path);
        var fortyOne = LinkWalk.Of(_dir.File("c41"));
        Assert.True(fortyOne.Loop);
        Assert.Equal(_dir.File("c41"), fortyOne.Link);
    }

    /// <summary>GNU realpath -m: every link followed by the kernel's rules, parts that do not exist kept.</summary>
    private static string Realpath(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("/usr/bin/realpath", ["-m", path]) { RedirectStandardOutput = true })!;
        string output = p.StandardOutput.ReadToEnd().TrimEnd('\n');
        p.WaitForExit();
        return output;
    }
}
