using Xent.NN;
using Xent.Optim;
using Xunit;

namespace Xent.Tests.Optim;

public class OptimizerTests
{
    private static Parameter P(params int[] shape) => new(Tensor.Randn(shape, new Generator(shape.Sum() + 7)));

    private static Parameter WithGrad(Parameter p, int seed = 3)
    {
        p.Grad = Tensor.Randn(p.Shape, new Generator(seed));
        return p;
    }

    [Theory]
    [InlineData(-1.0, "Invalid learning rate: -1")]
    [InlineData(-0.5, "Invalid learning rate: -0.5")]
    public void InvalidLearningRateUsesPyTorchWording(double lr, string message)
    {
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => new Sgd([P(2)], lr)).Message);
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => new Adam([P(2)], lr)).Message);
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => new AdamW([P(2)], lr)).Message);
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => new Adadelta([P(2)], lr)).Message);
    }

    [Fact]
    public void InvalidHyperParametersThrowLikePyTorch()
    {
        Assert.Equal("Invalid momentum value: -0.1", Assert.Throws<ArgumentException>(() => new Sgd([P(2)], 0.1, momentum: -0.1)).Message);
        Assert.Equal("Invalid weight_decay value: -1",
            Assert.Throws<ArgumentException>(() => new Sgd([P(2)], 0.1, weightDecay: -1)).Message);
        Assert.Equal("Nesterov momentum requires a momentum and zero dampening",
            Assert.Throws<ArgumentException>(() => new Sgd([P(2)], 0.1, nesterov: true)).Message);
        Assert.Equal("Nesterov momentum requires a momentum and zero dampening",
            Assert.Throws<ArgumentException>(() => new Sgd([P(2)], 0.1, momentum: 0.9, dampening: 0.1, nesterov: true)).Message);
        Assert.Equal("Invalid epsilon value: -1E-08", Assert.Throws<ArgumentException>(() => new Adam([P(2)], eps: -1e-8)).Message);
        Assert.Equal("Invalid beta parameter at index 0: 1",
            Assert.Throws<ArgumentException>(() => new Adam([P(2)], betas: (1.0, 0.999))).Message);
        Assert.Equal("Invalid beta parameter at index 1: -0.1",
            Assert.Throws<ArgumentException>(() => new AdamW([P(2)], betas: (0.9, -0.1))).Message);
        Assert.Equal("Invalid weight_decay value: -0.01",
            Assert.Throws<ArgumentException>(() => new AdamW([P(2)], weightDecay: -0.01)).Message);
        Assert.Equal("Invalid rho value: 1.5", Assert.Throws<ArgumentException>(() => new Adadelta([P(2)], rho: 1.5)).Message);
        Assert.Equal("optimizer got an empty parameter list",
            Assert.Throws<ArgumentException>(() => new Adam(Array.Empty<Parameter>())).Message);
        var p = P(2);
        Assert.Equal("some parameters appear in more than one parameter group",
            Assert.Throws<ArgumentException>(() => new Sgd([new ParamGroup([p]), new ParamGroup([p])], lr: 0.1)).Message);
        Assert.Equal("parameter group didn't specify a value of required optimization parameter lr",
            Assert.Throws<ArgumentException>(() => new Sgd([new ParamGroup([P(2)])])).Message);
        // A group's own invalid option is caught too.
        Assert.Equal("Invalid learning rate: -2",
            Assert.Throws<ArgumentException>(() => new Adam([new ParamGroup([P(2)], lr: -2)])).Message);
    }

    [Fact]
    public void GroupsTakeDefaultsForWhatTheyDoNotSet()
    {
        var a = P(3); var b = P(4);
        var opt = new Sgd([new ParamGroup([a], lr: 0.5), new ParamGroup([b]) { Momentum = 0.7 }], lr: 0.1, momentum: 0.9,
            weightDecay: 0.01);
        Assert.Equal(0.5, opt.ParamGroups[0].Lr);
        Assert.Equal(0.9, opt.ParamGroups[0].Momentum);
        Assert.Equal(0.1, opt.ParamGroups[1].Lr);
        Assert.Equal(0.7, opt.ParamGroups[1].Momentum);
        Assert.Equal(0.01, opt.ParamGroups[1].WeightDecay);
        opt.LearningRate = 0.25;
        Assert.All(opt.ParamGroups, g => Assert.Equal(0.25, g.Lr));
        Assert.Equal(0.25, opt.LearningRate);
    }

    [Fact]
    public void ZeroGradClearsInPlaceKeepingTheBuffer()
    {
        var p = WithGrad(P(5));
        var buffer = p.Grad!;
        new Adam([p]).ZeroGrad();
        Assert.Same(buffer, p.Grad);
        Assert.All(p.Grad!.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ParametersWithoutGradientAreSkippedAndGetNoState()
    {
        var a = WithGrad(P(3)); var b = P(4);
        var before = b.ToArray();
        var opt = new Adam([a, b], lr: 0.1);
        opt.Step();
        Assert.Equal(before, b.ToArray());
        var state = opt.StateDict();
        Assert.True(state.ContainsKey("state.0.exp_avg"));
        Assert.False(state.ContainsKey("state.1.exp_avg"));
        Assert.Equal(1L, state["state.0.step"].ItemInt64());
    }

    [Fact]
    public void SgdStepIsPMinusLrTimesGrad()
    {
        var p = WithGrad(P(37));
        var expected = p.ToArray().Zip(p.Grad!.ToArray(), (x, g) => (float)(x - 0.1 * (double)g)).ToArray();
        new Sgd([p], 0.1).Step();
        Xent.Tests.Support.Check.Close(expected, p.Data, rtol: 1e-6, atol: 1e-7);
    }

    [Fact]
    public void StateDictRoundTripsOptionsExactlyAndValidatesMismatches()
    {
        var a = WithGrad(P(2, 3)); var b = WithGrad(P(4));
        var opt = new Adam([a, b], lr: 0.1 * 0.7 * 0.7, amsgrad: true);
        opt.Step();
        var state = opt.StateDict();
        Assert.Equal(BitConverter.DoubleToInt64Bits(0.1 * 0.7 * 0.7), state["param_groups.0.lr"].ItemInt64());
        Assert.Equal(new long[] { 0, 1 }, state["param_groups.0.params"].ToInt64Array());
        Assert.Equal(new[] { 2, 3 }, state["state.0.max_exp_avg_sq"].Shape);

        var fresh = new Adam([P(2, 3), P(4)]);
        fresh.LoadStateDict(state);
        Assert.Equal(0.1 * 0.7 * 0.7, fresh.LearningRate);
        Assert.True(fresh.ParamGroups[0].Amsgrad);

        // Another parameter layout.
        var e1 = Assert.Throws<InvalidOperationException>(() => new Adam([P(2, 3)]).LoadStateDict(state));
        Assert.Contains("doesn't match the size of optimizer's group", e1.Message);
        var e2 = Assert.Throws<InvalidOperationException>(() => new Adam([P(3, 2), P(4)]).LoadStateDict(state));
        Assert.Contains("size mismatch for \"state.0.exp_avg\": shape [2, 3] in the state dict, but parameter 0 has shape [3, 2]",
            e2.Message);
        var e3 = Assert.Throws<InvalidOperationException>(() =>
            new Adam([new ParamGroup([P(2, 3)]), new ParamGroup([P(4)])]).LoadStateDict(state));
        Assert.Contains("param_groups.1.params", e3.Message);
        // Another optimizer's state.
        var e4 = Assert.Throws<InvalidOperationException>(() => new Sgd([P(2, 3), P(4)], 0.1, momentum: 0.9).LoadStateDict(state));
        Assert.Contains("Unexpected key \"state.0.exp_avg\"", e4.Message);
        // Unknown and partial keys.
        var extra = new Dictionary<string, Tensor>(state) { ["foo"] = Tensor.Scalar(1L) };
        Assert.Contains("Unexpected key \"foo\"", Assert.Throws<InvalidOperationException>(() => fresh.LoadStateDict(extra)).Message);
        var partial = new Dictionary<string, Tensor>(state);
        partial.Remove("state.1.exp_avg_sq");
        Assert.Contains("Missing key \"state.1.exp_avg_sq\"",
            Assert.Throws<InvalidOperationException>(() => fresh.LoadStateDict(partial)).Message);
        var badLr = new Dictionary<string, Tensor>(state) { ["param_groups.0.lr"] = Tensor.Scalar(BitConverter.DoubleToInt64Bits(-1.0)) };
        Assert.Contains("Invalid learning rate: -1", Assert.Throws<InvalidOperationException>(() => fresh.LoadStateDict(badLr)).Message);
        // A failed load changes nothing.
        Assert.Equal(0.1 * 0.7 * 0.7, fresh.LearningRate);
    }

    [Fact]
    public void StepLRFollowsTheClosedForm()
    {
        var opt = new Sgd([P(2)], 0.05);
        var sched = new StepLR(opt, stepSize: 3, gamma: 0.1);
        Assert.Equal(0, sched.LastEpoch);
        for (int epoch = 0; epoch < 10; epoch++)
        {
            double closed = 0.05 * Math.Pow(0.1, epoch / 3);
            Xent.Tests.Support.Check.Close(closed, opt.LearningRate, rtol: 1e-12, what: $"epoch {epoch}");
            Assert.Equal(epoch, sched.LastEpoch);
            Assert.Equal(opt.LearningRate, sched.LastLr[0]);
            sched.Step();
        }
        Assert.Equal(0.05, sched.BaseLrs[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(opt, 0));
        Assert.Throws<KeyNotFoundException>(() => new StepLR(new Sgd([P(2)], 0.1), 1, lastEpoch: 4));
    }

    [Fact]
    public void SteadyStateStepsDoNotAllocate()
    {
        var ps = new[] { WithGrad(P(784, 10)), WithGrad(P(10)) };
        Optimizer[] optimizers =
        [
            new Sgd(ps, 0.01), new Sgd(ps, 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4),
            new Adam(ps, amsgrad: true), new AdamW(ps), new Adadelta(ps, weightDecay: 0.1),
        ];
        foreach (var opt in optimizers)
        {
            for (int i = 0; i < 50; i++) { opt.Step(); opt.ZeroGrad(); }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 50; i++) { opt.Step(); opt.ZeroGrad(); }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Fact]
    public void SwitchingOnAmsgradAfterTheFirstStepIsAClearError()
    {
        var p = WithGrad(P(4));
        var opt = new Adam([p]);
        opt.Step();
        opt.ParamGroups[0].Amsgrad = true;
        Assert.Contains("max_exp_avg_sq", Assert.Throws<InvalidOperationException>(opt.Step).Message);
        // Switching it off again is fine (the extra buffer is kept, unused), as in PyTorch.
        var q = WithGrad(P(4));
        var ams = new Adam([q], amsgrad: true);
        ams.Step();
        ams.ParamGroups[0].Amsgrad = false;
        ams.Step();
        Assert.True(ams.StateDict().ContainsKey("state.0.max_exp_avg_sq"));
    }

    [Fact]
    public void SgdKeepsAndSavesItsMomentumBufferWhileMomentumIs0_AsPyTorch()
    {
        // PyTorch 1.13 (QA s17 L3):
        // p = nn.Parameter(torch.ones(2)); o = torch.optim.SGD([p], lr=0.1, momentum=0.9); p.grad = torch.ones(2); o.step()
        // o.param_groups[0]["momentum"] = 0; o.step(); sd = o.state_dict()   # sd["state"][0]["momentum_buffer"] == [1., 1.]
        // q = nn.Parameter(p.detach().clone()); o2 = torch.optim.SGD([q], lr=0.1, momentum=0.9); o2.load_state_dict(sd)
        // q.grad = torch.ones(2); o2.param_groups[0]["momentum"] = 0.9; o2.step()
        // q == [0.60999995, 0.60999995], momentum_buffer == [1.9, 1.9] (an uninterrupted run gives the same)
        foreach (bool resume in new[] { false, true })
        {
            var p = new Parameter(Tensor.Ones(2)) { Grad = Tensor.Ones(2) };
            var opt = new Sgd([p], 0.1, momentum: 0.9);
            opt.Step();
            opt.ParamGroups[0].Momentum = 0;
            opt.Step();
            if (resume)
            {
                var sd = opt.StateDict();
                Assert.Equal([1f, 1f], sd["state.0.momentum_buffer"].ToArray());
                p = new Parameter(Tensor.FromArray(p.ToArray())) { Grad = Tensor.Ones(2) };
                opt = new Sgd([p], 0.1, momentum: 0.9);
                opt.LoadStateDict(sd);
            }
            opt.ParamGroups[0].Momentum = 0.9;
            opt.Step();
            Assert.Equal([0.60999995f, 0.60999995f], p.ToArray());
            Assert.Equal([1.9f, 1.9f], opt.StateDict()["state.0.momentum_buffer"].ToArray());
        }
    }

    [Fact]
    public void AdamKeepsAndSavesMaxExpAvgSqWhileAmsgradIsOff_AsPyTorch()
    {
        // PyTorch 1.13:
        // p = nn.Parameter(torch.tensor([1.0, -2.0])); o = torch.optim.Adam([p], lr=0.1, amsgrad=True)
        // p.grad = torch.tensor([3.0, -1.0]); o.step(); o.param_groups[0]["amsgrad"] = False
        // p.grad = torch.tensor([0.5, 0.25]); o.step(); sd = o.state_dict()   # max_exp_avg_sq == [0.009, 0.001]
        // q = nn.Parameter(p.detach().clone()); o2 = torch.optim.Adam([q], lr=0.1, amsgrad=True); o2.load_state_dict(sd)
        // o2.param_groups[0]["amsgrad"] = True; q.grad = torch.tensor([0.125, 0.5]); o2.step()
        // q == [0.7585411, -1.8483099], max_exp_avg_sq == [0.009247383, 0.0013104386]
        var p = new Parameter(Tensor.FromArray([1f, -2f])) { Grad = Tensor.FromArray([3f, -1f]) };
        var opt = new Adam([p], 0.1, amsgrad: true);
        opt.Step();
        opt.ParamGroups[0].Amsgrad = false;
        p.Grad = Tensor.FromArray([0.5f, 0.25f]);
        opt.Step();
        var sd = opt.StateDict();
        Assert.Equal([0.009f, 0.001f], sd["state.0.max_exp_avg_sq"].ToArray());
        var q = new Parameter(Tensor.FromArray(p.ToArray())) { Grad = Tensor.FromArray([0.125f, 0.5f]) };
        var opt2 = new Adam([q], 0.1, amsgrad: true);
        opt2.LoadStateDict(sd);
        opt2.ParamGroups[0].Amsgrad = true;
        opt2.Step();
        Assert.Equal([0.7585411f, -1.8483099f], q.ToArray());
        Assert.Equal([0.009247383f, 0.0013104386f], opt2.StateDict()["state.0.max_exp_avg_sq"].ToArray());
    }
}
