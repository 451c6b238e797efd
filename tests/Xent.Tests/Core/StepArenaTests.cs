using Xent.Autograd;
using Xent.Models;
using Xent.Optim;
using Xunit;

namespace Xent.Tests.Core;

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
    public void TrainingStepsGiveTheSameBits_WithAndWithoutArena()
    {
        var (plainModel, plainOpt, x, t) = Setup();
        var (arenaModel, arenaOpt, _, _) = Setup();
        for (int i = 0; i < 3; i++)
        {
            float plain = Step(plainModel, plainOpt, x, t);
            float lent;
            using (StepArena.Begin()) lent = Step(arenaModel, arenaOpt, x, t);
            Assert.Equal(plain, lent);
        }
        var a = plainModel.StateDict();
        var b = arenaModel.StateDict();
        foreach (var (name, p) in a) Assert.Equal(p.ToArray(), b[name].ToArray());
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
