using System.Reflection;
using Xent.IO;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// closing20 "Left, and why": <c>xent train --resume</c> reads its checkpoint before it locks the run folder, so a run in that
/// folder that ended in between (writing a newer checkpoint as it did) went unseen: the resumed run trained from the copy it had
/// read and wrote its older epochs over the newer checkpoint. Once locked, a run continuing its checkpoint's own folder now checks
/// that the file still holds the bytes it read, and is refused when it does not. The other run is a real one (a process), started
/// by the CLI's test hook <c>TrainRun.AfterResumeRead</c> between the read and the lock. Tiny CSV files.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ResumeCheckpointRewrittenTests : IDisposable
{
    private static readonly string[] Model = ["--batch-size", "8", "--model", "mlp", "--hidden", "8"];
    private static readonly PropertyInfo s_hook = InProcessCli.Assembly.GetType("Xent.Cli.Commands.TrainRun", throwOnError: true)!
        .GetProperty("AfterResumeRead", BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string[] Resume(string checkpoint, string outDir, int epochs) =>
        ["train", "--data", TinyTables.Labelled(_dir), "--out", outDir, "--resume", checkpoint, "--epochs", $"{epochs}", .. Model];

    private static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private static string Epoch(string checkpoint) => Checkpoint.Load(checkpoint).Metadata["epoch"];

    /// <summary>
    /// Runs <paramref name="args"/> in this process, with <paramref name="between"/> run (once) after the checkpoint is read and
    /// before the run folder is locked.
    /// </summary>
    private static CliResult RunWith(Action between, string[] args)
    {
        bool ran = false;
        s_hook.SetValue(null, (Action<string>)(_ =>
        {
            if (ran) return;
            ran = true;
            between();
        }));
        try
        {
            var r = InProcessCli.Run(args);
            Assert.True(ran, "the hook was not called");
            return r;
        }
        finally
        {
            s_hook.SetValue(null, null);
        }
    }

    /// <summary>A run of one epoch in <paramref name="name"/>: its checkpoint.</summary>
    private string FirstEpoch(string name)
    {
        string outDir = _dir.File(name);
        var r = InProcessCli.Run(["train", "--data", TinyTables.Labelled(_dir), "--out", outDir, "--epochs", "1", .. Model]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return Path.Combine(outDir, "checkpoint.safetensors");
    }

    /// <summary>The run that ends between the read and the lock: it resumes the same checkpoint to epoch 3, in a process.</summary>
    private Action OtherRunEnds(string checkpoint, string outDir, List<CliResult> results) =>
        () => results.Add(CliRunner.Run(Resume(checkpoint, outDir, 3), _dir.Path));

    [Fact]
    public void AResumeWhoseCheckpointARunThereRewroteBeforeTheLockIsRefusedAndWritesNothing()
    {
        string checkpoint = FirstEpoch("run"), outDir = Path.GetDirectoryName(checkpoint)!;
        var other = new List<CliResult>();
        Dictionary<string, byte[]>? afterOther = null;
        var r = RunWith(() =>
        {
            OtherRunEnds(checkpoint, outDir, other)();
            afterOther = Snapshot(outDir);
        }, Resume(checkpoint, outDir, 2));
        Assert.True(other.Single().ExitCode == 0, other.Single().Stderr);
        Assert.Equal("3", Epoch(checkpoint));
        // Before: exit 0, and the checkpoint of epoch 2, trained from the epoch-1 copy read, replaced the other run's epoch 3.
        CliAssert.OneLineError(r, 2, $"error: '{checkpoint}' changed between this run reading it and locking --out '{outDir}' (most " +
            "likely by a run there that was ending); nothing was written: run the command again to resume from the checkpoint there " +
            "now.");
        Assert.DoesNotContain("Resuming", r.Stdout, StringComparison.Ordinal);
        var now = Snapshot(outDir);
        Assert.Equal(afterOther!.Keys.Order(), now.Keys.Order()); // no lock file left either
        foreach (var (name, bytes) in afterOther) Assert.True(bytes.AsSpan().SequenceEqual(now[name]), $"{name} changed");
        Assert.Equal("3", Epoch(checkpoint));

        // Run again, the same command reads the checkpoint now there.
        var again = InProcessCli.Run(Resume(checkpoint, outDir, 2));
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains($"Nothing to train: '{checkpoint}' is already at epoch 3", again.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ACheckpointRemovedBeforeTheLockIsRefusedAndWritesNothing()
    {
        string checkpoint = FirstEpoch("removed"), outDir = Path.GetDirectoryName(checkpoint)!;
        var before = Snapshot(outDir);
        before.Remove("checkpoint.safetensors");
        var r = RunWith(() => File.Delete(checkpoint), Resume(checkpoint, outDir, 2));
        CliAssert.OneLineError(r, 2, $"error: '{checkpoint}' was removed between this run reading it and locking --out '{outDir}' " +
            "(most likely by a run there that was ending); nothing was written.");
        var now = Snapshot(outDir);
        Assert.Equal(before.Keys.Order(), now.Keys.Order()); // no checkpoint written, no lock file left
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(now[name]), $"{name} changed");
    }

    [Fact]
    public void ACheckpointResumedIntoAnotherFolderGoesOnFromTheCopyRead()
    {
        // Nothing of that run's is written over: the new folder starts from the file as it was read, as from a copy of it.
        string checkpoint = FirstEpoch("source"), source = Path.GetDirectoryName(checkpoint)!, fork = _dir.File("fork");
        var other = new List<CliResult>();
        var r = RunWith(OtherRunEnds(checkpoint, source, other), Resume(checkpoint, fork, 2));
        Assert.True(other.Single().ExitCode == 0, other.Single().Stderr);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"Resuming from '{checkpoint}' at epoch 2.", r.Stdout, StringComparison.Ordinal);
        Assert.Equal("2", Epoch(Path.Combine(fork, "checkpoint.safetensors")));
        Assert.Equal("3", Epoch(checkpoint));
    }
}
