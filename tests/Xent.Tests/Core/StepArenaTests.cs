using Xent.Autograd;
using Xent.Models;
using Xent.Optim;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Core;

/// <summary>Runs alone: some tests switch the process-wide buffer pool off or make it poison what it takes back.</summary>
[Collection(BufferPoolCollection.Name)]
public class StepArenaTests
{
    private const int Batch = 8; // conv outputs of 8×32×26×26 floats: large enough to be lent by the arena

    private static (MnistCnn Model, Adam Optimizer, Tensor X, Tensor T) Setup()
    {
        var gen = new Generator(3);
        var model = new MnistCnn(gen);
        return (model, new Adam(model.Parameters(), 1e-3), Tensor.Randn([Batch, 1, 28, 28], gen), Tensor.RandInt(10, [Batch], gen));
    }

    private static float Step(MnistCnn model, Adam opt, Tensor x, Tensor t)
    {
        opt.ZeroGrad();
        var loss = F.CrossEntropy(model.Forward(x), t);
        loss.Backward();
        opt.Step();
        return loss.Item();
    }

    [Fact]
    public void TrainingStepsGiveTheSameBits_AsWithoutPoolOrArena_EvenWhenReturnedBuffersArePoisoned()
    {
        // Reference: no pool at all (every buffer fresh) and no arena. Then pool + arena with every returned
        // buffer filled with NaN: anything that read a buffer after handing it back would turn the results NaN.
        var (plainModel, plainOpt, x, t) = Setup();
        var (arenaModel, arenaOpt, _, _) = Setup();
        var plain = new float[4];
        var lent = new float[4];
        try
        {
            BufferPool.Enabled = false;
            for (int i = 0; i < plain.Length; i++) plain[i] = Step(plainModel, plainOpt, x, t);
            BufferPool.Enabled = true;
            BufferPool.PoisonOnReturn = true;
            for (int i = 0; i < lent.Length; i++)
                using (StepArena.Begin()) lent[i] = Step(arenaModel, arenaOpt, x, t);
        }
        finally
        {
            BufferPool.Enabled = true;
            BufferPool.PoisonOnReturn = false;
        }
        Assert.Equal(plain, lent);
        Assert.All(lent, v => Assert.True(float.IsFinite(v)));
        var a = plainModel.StateDict();
        var b = arenaModel.StateDict();
        foreach (var (name, p) in a) Assert.Equal(p.ToArray(), b[name].ToArray());
    }

    [Fact]
    public void RetainedGraphInsideArena_BackwardTwiceAccumulatesTheSameGradientTwice()
    {
        var (model, _, x, t) = Setup();
        using (StepArena.Begin())
        {
            var loss = F.CrossEntropy(model.Forward(x), t);
            loss.Backward(retainGraph: true);
            var once = model.Conv2.Weight.Grad!.ToArray();
            loss.Backward();
            var twice = model.Conv2.Weight.Grad!.ToArray();
            for (int i = 0; i < once.Length; i++) Assert.Equal(once[i] + once[i], twice[i]);
        }
    }

    [Fact]
    public void PoolKeepsOnlyBuffersItAllocated()
    {
        long before = BufferPool.PooledFloats;
        BufferPool.Return(new float[BufferPool.MinLength * 3]); // an array someone else allocated
        Assert.Equal(before, BufferPool.PooledFloats);
        var own = BufferPool.Rent(BufferPool.MinLength * 3);
        BufferPool.Return(own);
        Assert.Equal(before + own.Length, BufferPool.PooledFloats);
        Assert.Same(own, BufferPool.Rent(own.Length));
    }

    [Fact]
    public void SteadyStateStepAllocatesFarLessThanItsActivations()
    {
        var (model, opt, x, t) = Setup();
        for (int i = 0; i < 3; i++)
            using (StepArena.Begin()) Step(model, opt, x, t);
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (StepArena.Begin()) Step(model, opt, x, t);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Without the arena the two conv + ReLU outputs alone are 8×(32×26×26 + 64×24×24) floats = 2.3 MB.
        long activations = sizeof(float) * Batch * (32L * 26 * 26 + 64L * 24 * 24);
        Assert.InRange(allocated, 0, activations / 4);
    }

    [Fact]
    public void LentTensorsAndTheirViewsThrowAfterTheScope_SmallOnesStayUsable()
    {
        var (model, _, x, t) = Setup();
        Tensor activation, view, logits, loss;
        using (StepArena.Begin())
        {
            activation = F.Relu(model.Conv1.Forward(x));
            view = activation.Flatten(1);
            logits = model.Forward(x);
            loss = F.CrossEntropy(logits, t);
            Assert.Equal(activation.NumEl, view.Data.Length);
        }
        var e = Assert.Throws<ObjectDisposedException>(() => activation.Data.ToArray());
        Assert.Contains("StepArena", e.Message);
        Assert.Throws<ObjectDisposedException>(() => view.Sum());
        Assert.Throws<ObjectDisposedException>(() => activation + activation);
        Assert.Equal(Batch * 10, logits.ToArray().Length); // 8×10 logits are ordinary arrays
        var b = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("StepArena", b.Message);
    }

    [Fact]
    public void ViewsMadeInANestedScopeOrOnAnotherThread_AreRecycledWithTheirStorage()
    {
        var (model, _, x, _) = Setup();
        Tensor activation, innerView, threadView;
        using (StepArena.Begin())
        {
            activation = F.Relu(model.Conv1.Forward(x));
            using (StepArena.Begin()) innerView = activation.Flatten(1);
            Assert.Equal(activation.NumEl, innerView.Data.Length); // the inner scope's end does not recycle the outer's storage
            threadView = OnAnotherThread(() => activation.Reshape(-1));
        }
        Assert.Throws<ObjectDisposedException>(() => innerView.Sum());
        Assert.Throws<ObjectDisposedException>(() => threadView.Sum());
        Assert.Contains("recycled", activation.ToString()); // printing a recycled tensor does not throw
    }

    [Fact]
    public void NodeRecordedOnAnotherThreadOverLentStorage_IsFreedWithTheScope()
    {
        var (model, _, x, t) = Setup();
        Tensor loss;
        using (StepArena.Begin())
        {
            var features = F.Relu(model.Conv1.Forward(x)).Flatten(1);
            // conv1's input gradient is not needed, so this node's only hold on lent storage is its input.
            loss = OnAnotherThread(() => F.Linear(features, Tensor.Randn([3, features.Size(1)], new Generator(9)).RequiresGrad_()).Sum());
        }
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("StepArena", e.Message);
    }

    [Fact]
    public void ScopeDisposedOnAnotherThread_EndsThere_AndThisThreadStopsUsingIt()
    {
        var (model, _, x, _) = Setup();
        var arena = StepArena.Begin();
        var inside = F.Relu(model.Conv1.Forward(x));
        OnAnotherThread(() => { arena.Dispose(); return 0; }); // as a using around an await would
        Assert.Throws<ObjectDisposedException>(() => inside.Sum());
        var after = F.Relu(model.Conv1.Forward(x)); // must not be lent by the ended scope
        using (StepArena.Begin()) { }
        Assert.Equal(after.NumEl, after.Data.Length);
    }

    [Fact]
    public async Task AScopeHeldAcrossAnAwait_LendsToItsOwnCodeAfterIt_AndNeverToOtherWorkOnItsThread()
    {
        // Bound to its thread, the scope stayed active there after the method returned at its await: another request's
        // activations on that thread were lent by it, and recycled under that request when the scope ended elsewhere.
        var (model, _, x, _) = Setup();
        var expected = F.Relu(model.Conv1.Forward(x)).ToArray();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<Tensor>? request = null;
        Tensor? other = null;
        var thread = new Thread(() =>
        {
            request = StepAcrossAwait(model, x, gate.Task);
            other = F.Relu(model.Conv1.Forward(x)); // another request on the same thread, with no scope of its own
        });
        thread.Start();
        thread.Join();
        gate.SetResult();
        var afterAwait = await request!;
        Assert.Throws<ObjectDisposedException>(() => afterAwait.Sum()); // lent by the request's scope, on the thread it resumed on
        Assert.Equal(expected, other!.ToArray());
    }

    private static async Task<Tensor> StepAcrossAwait(MnistCnn model, Tensor x, Task gate)
    {
        using (StepArena.Begin())
        {
            F.Relu(model.Conv1.Forward(x));
            await gate;
            return F.Relu(model.Conv1.Forward(x));
        }
    }

    /// <summary>Runs <paramref name="f"/> on a new thread and waits for it.</summary>
    private static T OnAnotherThread<T>(Func<T> f)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { result = f(); }
            catch (Exception e) { error = e; }
        });
        thread.Start();
        thread.Join();
        if (error is not null) throw error;
        return result;
    }

    [Fact]
    public void ScopesNest_AndMustEndInnermostFirst()
    {
        var outer = StepArena.Begin();
        var inner = StepArena.Begin();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        outer.Dispose();
        outer.Dispose(); // a second Dispose is a no-op
    }
}
