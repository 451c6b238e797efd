using Xent.IO;
using Xent.NN;
using Xent.Optim;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Optim;

/// <summary>
/// Parameter lists PyTorch 1.13's <c>Optimizer.__init__</c> and <c>add_param_group</c> accept or refuse: a parameter listed
/// twice in one group (a warning, then one update per listing with one shared state), a group without parameters
/// (accepted) and no parameters at all (refused). Expected values are PyTorch 1.13 goldens, produced by
/// <code>
/// grads = [([0.5, -1.0], [2.0]), ([0.25, 0.75], [-1.0]), ([-0.5, 1.5], [0.5])]
/// a = nn.Parameter(torch.tensor([1.0, 2.0])); b = nn.Parameter(torch.tensor([3.0]))
/// o = torch.optim.SGD([a, a, b], lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=nesterov)
/// for ga, gb in grads: a.grad = torch.tensor(ga); b.grad = torch.tensor(gb); o.step()
/// # resumed: before the third step, sd = o.state_dict(); fresh a, b with the same values and a fresh SGD over [a, a, b];
/// # o.load_state_dict(sd)
/// a, b, o.state_dict()["param_groups"][0]["params"], o.state_dict()["state"]
/// # Adam([a, a], lr=0.1, amsgrad=True), AdamW([a, a], lr=0.1, weight_decay=0.1), Adadelta([a, a], lr=1.0, weight_decay=0.1):
/// # the same gradients for a
/// </code>
/// </summary>
[Collection(WarningsCollection.Name)]
public class OptimizerParameterListTests
{
    private static readonly (float[] A, float[] B)[] Grads = [([0.5f, -1f], [2f]), ([0.25f, 0.75f], [-1f]), ([-0.5f, 1.5f], [0.5f])];

    [Fact]
    public void AParameterListedTwiceInAGroup_Warns_AsPyTorch113()
    {
        var a = new Parameter(Tensor.Ones(2));
        var warnings = WarningCapture.During(() => _ = new Sgd([a, a], 0.1));
        Assert.Equal(["optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; see " +
            "github.com/pytorch/pytorch/issues/40967 for more information"], warnings);
        // In two groups it is still refused, with PyTorch's message (after the warning for a repeat within a group).
        Assert.Equal("some parameters appear in more than one parameter group",
            Assert.Throws<ArgumentException>(() => new Sgd([new ParamGroup([a]), new ParamGroup([a, a])], 0.1)).Message);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void SgdUpdatesARepeatedParameterOncePerListing_SharingItsBuffer(bool nesterov, bool resume)
    {
        Sgd Make(Parameter a, Parameter b) => new([a, a, b], 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: nesterov);
        var a = new Parameter(Tensor.FromArray([1f, 2f]));
        var b = new Parameter(Tensor.FromArray([3f]));
        Sgd opt = null!;
        WarningCapture.During(() => opt = Make(a, b));
        for (int i = 0; i < Grads.Length; i++)
        {
            if (resume && i == 2)
            {
                var saved = opt.StateDict();
                a = new Parameter(Tensor.FromArray(a.ToArray()));
                b = new Parameter(Tensor.FromArray(b.ToArray()));
                WarningCapture.During(() => opt = Make(a, b));
                opt.LoadStateDict(saved);
            }
            a.Grad = Tensor.FromArray(Grads[i].A);
            b.Grad = Tensor.FromArray(Grads[i].B);
            opt.Step();
        }
        float[] expectedA = nesterov ? [0.57321745f, 1.011086f] : [0.6170404f, 1.320419f];
        float[] expectedB = nesterov ? [2.2677307f] : [2.437717f];
        float[] bufferA = nesterov ? [0.032444626f, 4.1662207f] : [0.07676831f, 4.16994f];
        float[] bufferB = nesterov ? [1.9454702f] : [1.9758298f];
        Assert.Equal(expectedA, a.ToArray());
        Assert.Equal(expectedB, b.ToArray());
        var sd = opt.StateDict();
        // PyTorch names a repeated parameter by its last listing: params [1, 1, 2], state under 1 and 2 only.
        Assert.Equal([1L, 1L, 2L], sd["param_groups.0.params"].ToInt64Array());
        Assert.Equal(bufferA, sd["state.1.momentum_buffer"].ToArray());
        Assert.Equal(bufferB, sd["state.2.momentum_buffer"].ToArray());
        Assert.False(sd.ContainsKey("state.0.momentum_buffer"));
    }

    public static IEnumerable<object[]> RepeatedInAdaptiveOptimizers =>
    [
        ["adam", new[] { 0.5751831f, 2.1569874f }, 6L,
            new[] { "exp_avg", "exp_avg_sq", "max_exp_avg_sq" },
            new[] { new[] { 0.0058044866f, 0.27576602f }, [0.0011221918f, 0.0076109557f], [0.0011221918f, 0.0076109557f] }],
        ["adamw", new[] { 0.5304863f, 2.0302227f }, 6L,
            new[] { "exp_avg", "exp_avg_sq" }, new[] { new[] { 0.0058044866f, 0.27576602f }, [0.0011221918f, 0.0076109557f] }],
        ["adadelta", new[] { 0.99428356f, 1.9884387f }, 6L,
            new[] { "square_avg", "acc_delta" }, new[] { new[] { 0.09416845f, 0.7676334f }, [3.3027302e-06f, 8.715322e-06f] }],
    ];

    [Theory]
    [MemberData(nameof(RepeatedInAdaptiveOptimizers))]
    public void AdaptiveOptimizersStepARepeatedParameterOncePerListing(string kind, float[] expected, long steps, string[] names,
        float[][] buffers)
    {
        var a = new Parameter(Tensor.FromArray([1f, 2f]));
        Optimizer opt = null!;
        WarningCapture.During(() => opt = kind switch
        {
            "adam" => new Adam([a, a], 0.1, amsgrad: true),
            "adamw" => new AdamW([a, a], 0.1, weightDecay: 0.1),
            _ => new Adadelta([a, a], 1.0, weightDecay: 0.1),
        });
        foreach (var (ga, _) in Grads)
        {
            a.Grad = Tensor.FromArray(ga);
            opt.Step();
        }
        Check.Close(expected, a.ToArray(), rtol: 0, atol: 0, what: kind);
        var sd = opt.StateDict();
        Assert.Equal([1L, 1L], sd["param_groups.0.params"].ToInt64Array());
        Assert.Equal(steps, sd["state.1.step"].ToInt64Array()[0]);
        for (int i = 0; i < names.Length; i++) Check.Close(buffers[i], sd[$"state.1.{names[i]}"].ToArray(), 0, 0, names[i]);
        Assert.DoesNotContain(sd.Keys, k => k.StartsWith("state.0.", StringComparison.Ordinal));
    }

    [Fact]
    public void AStateDictWithStateUnderARepeatedParametersEarlierListing_IsRefused()
    {
        var a = new Parameter(Tensor.Ones(2));
        Sgd opt = null!;
        WarningCapture.During(() => opt = new Sgd([a, a], 0.1, momentum: 0.9));
        a.Grad = Tensor.Ones(2);
        opt.Step();
        var sd = opt.StateDict();
        sd["state.0.momentum_buffer"] = sd["state.1.momentum_buffer"];
        var e = Assert.Throws<InvalidOperationException>(() => opt.LoadStateDict(sd));
        Assert.Contains("State key \"state.0.momentum_buffer\" names parameter 0, which its group lists again at 1", e.Message);
    }

    [Fact]
    public void AnOnlyGroupWithoutParameters_IsAccepted_NoParametersAtAllIsNot()
    {
        // PyTorch 1.13: SGD([{"params": []}], lr=0.1) is an optimizer whose step does nothing; SGD([], lr=0.1) and a list of
        // no groups raise "optimizer got an empty parameter list".
        var opt = new Sgd([new ParamGroup([])], 0.1, momentum: 0.9);
        opt.Step();
        var path = Path.Combine(Path.GetTempPath(), $"xent-empty-group-{Guid.NewGuid():N}.safetensors");
        try
        {
            Checkpoint.Save(path, opt.StateDict());
            var loaded = Checkpoint.Load(path).Tensors;
            Assert.Empty(loaded["param_groups.0.params"].ToInt64Array());
            Assert.DoesNotContain(loaded.Keys, k => k.StartsWith("state.", StringComparison.Ordinal));
            new Sgd([new ParamGroup([])], 0.5).LoadStateDict(loaded);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Equal("optimizer got an empty parameter list",
            Assert.Throws<ArgumentException>(() => new Sgd(Array.Empty<Parameter>(), 0.1)).Message);
        Assert.Equal("optimizer got an empty parameter list",
            Assert.Throws<ArgumentException>(() => new Adam(Array.Empty<ParamGroup>())).Message);
    }
}
