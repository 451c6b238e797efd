using Xent.Autograd;
using Xunit;

namespace Xent.Tests.Core;

/// <summary><c>Tensor.NoGrad()</c> scopes: nesting, disposal, and code that awaits inside one.</summary>
public class GradModeTests
{
    [Fact]
    public async Task ANoGradScopeHeldAcrossAnAwait_StillHoldsAfterIt_AndLeavesEveryThreadAsItFoundIt()
    {
        // A thread-bound counter left the thread that began the scope recording nothing after the method returned at its
        // await, recorded graphs inside the scope on the thread it resumed on, and left that thread unable to record.
        bool? recordingAfterAwait = null, startThreadRecording = null;
        Task? request = null;
        var start = new Thread(() =>
        {
            request = InferAcrossAwait(recording => recordingAfterAwait = recording);
            startThreadRecording = GradMode.IsEnabled; // the method has returned at its await, its scope still open
        });
        start.Start();
        start.Join();
        await request!;
        Assert.False(recordingAfterAwait);
        Assert.True(startThreadRecording);
        Assert.True(GradMode.IsEnabled);
        var pool = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => GradMode.IsEnabled)));
        Assert.All(pool, Assert.True);
    }

    private static async Task InferAcrossAwait(Action<bool> report)
    {
        var w = Tensor.Randn([4, 4], new Generator(1)).RequiresGrad_();
        using (Tensor.NoGrad())
        {
            await Task.Yield(); // resumes on a thread-pool thread
            report((w * 2f).Sum().GradFn is not null);
        }
    }

    [Fact]
    public void DisposingAScopeTwice_RestoresTheSameStateAgain()
    {
        var w = Tensor.Randn([3], new Generator(2)).RequiresGrad_();
        var scope = Tensor.NoGrad();
        scope.Dispose();
        scope.Dispose();
        Assert.True(GradMode.IsEnabled);
        Assert.NotNull((w * 3f).Sum().GradFn);
        using (Tensor.NoGrad())
        {
            var inner = Tensor.NoGrad();
            inner.Dispose();
            inner.Dispose();
            Assert.False(GradMode.IsEnabled); // the outer scope still holds
            Assert.Null((w * 3f).Sum().GradFn);
        }
        Assert.True(GradMode.IsEnabled);
    }

    [Fact]
    public async Task WorkStartedInsideAScopeInheritsIt()
    {
        using (Tensor.NoGrad())
        {
            Assert.False(await Task.Run(() => GradMode.IsEnabled));
            var inParallel = new bool[8];
            Parallel.For(0, inParallel.Length, i => inParallel[i] = GradMode.IsEnabled);
            Assert.All(inParallel, Assert.False);
        }
        Assert.True(await Task.Run(() => GradMode.IsEnabled));
    }
}
