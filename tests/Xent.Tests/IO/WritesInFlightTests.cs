using Xent.IO;
using Xunit;

namespace Xent.Tests.IO;

/// <summary>
/// <see cref="WritesInFlight"/>, on an instance of its own (the process's one would stop this process's writes): what an
/// interrupted process removes, in which order, and that no write completes or starts after that.
/// </summary>
public class WritesInFlightTests
{
    [Fact]
    public void AbandonRemovesWhatUnfinishedWritesMadeNewestFirstAndNoRenameOrNewFileFollows()
    {
        var log = new List<string>();
        var writes = new WritesInFlight(() => log.Add("stopped"));
        var (_, folder) = writes.Start<object?>(null, () => Log(log, "mkdir new"), () => log.Add("rmdir new"));
        var (_, model) = writes.Start("new/model.onnx", () => Log(log, "create model.tmp"), () => log.Add("delete model.tmp"));
        var (_, done) = writes.Start("done.csv", () => Log(log, "create done.tmp"), () => log.Add("delete done.tmp"));
        writes.Finish(done, () => log.Add("rename done.tmp"));
        // A create that fails removes what it may have made at once, and is not registered.
        Assert.Throws<IOException>(() => writes.Start<object?>("full.csv", () => throw new IOException("disk full"),
            () => log.Add("delete full.tmp")));

        Assert.Equal(["new/model.onnx"], writes.Abandon());
        Assert.Equal(["mkdir new", "create model.tmp", "create done.tmp", "rename done.tmp", "delete full.tmp", "delete model.tmp",
            "rmdir new"], log);

        // The rename the main thread was about to do when the signal came, and any later file, never happen.
        log.Clear();
        Assert.Throws<OperationCanceledException>(() => writes.Finish(model, () => log.Add("rename model.tmp")));
        Assert.Throws<OperationCanceledException>(() => writes.Start("late.csv", () => Log(log, "create late.tmp"), () => { }));
        writes.Remove(model); // the writer's Dispose: already removed
        writes.Remove(folder);
        Assert.Equal(["stopped", "stopped"], log);
        Assert.Empty(writes.Abandon());
    }

    private static object? Log(List<string> log, string step)
    {
        log.Add(step);
        return null;
    }
}
