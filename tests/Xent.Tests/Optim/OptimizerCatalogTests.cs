using Xent.NN;
using Xent.Optim;
using Xunit;

namespace Xent.Tests.Optim;

/// <summary>The catalog's names, PyTorch's defaults behind them, and the option names state dicts keep.</summary>
public class OptimizerCatalogTests
{
    private static Parameter[] Ps() => [new(Tensor.Zeros([3, 2])), new(Tensor.Zeros([2]))];

    [Theory]
    [InlineData("adam", typeof(Adam), 1e-3, 0.0)]
    [InlineData("adamw", typeof(AdamW), 1e-3, 1e-2)]
    [InlineData("adadelta", typeof(Adadelta), 1.0, 0.0)]
    [InlineData("sgd", typeof(Sgd), 0.01, 0.0)]
    public void EachName_BuildsItsOptimizer_WithTheDefaultLrAndWeightDecay(string name, Type type, double lr, double wd)
    {
        var opt = OptimizerCatalog.Create(name, Ps());
        Assert.IsType(type, opt);
        Assert.Equal(lr, opt.ParamGroups[0].Lr);
        Assert.Equal(wd, opt.ParamGroups[0].WeightDecay);
        Assert.Equal(lr, OptimizerCatalog.DefaultLr(name));
        Assert.Contains(name, OptimizerCatalog.Names);
    }

    [Fact]
    public void GivenOptions_OverrideTheDefaults()
    {
        var sgd = OptimizerCatalog.Create("sgd", Ps(), lr: 0.5, weightDecay: 1e-4, momentum: 0.9);
        Assert.Equal((0.5, 1e-4, 0.9), (sgd.ParamGroups[0].Lr, sgd.ParamGroups[0].WeightDecay, sgd.ParamGroups[0].Momentum));
    }

    [Fact]
    public void UnknownName_AndMomentumForAdam_AreArgumentErrors()
    {
        var unknown = Assert.Throws<ArgumentException>(() => OptimizerCatalog.Create("rmsprop", Ps()));
        Assert.Contains("expected one of adam, sgd, adamw, adadelta", unknown.Message);
        var momentum = Assert.Throws<ArgumentException>(() => OptimizerCatalog.Create("adam", Ps(), momentum: 0.9));
        Assert.Contains("Only sgd takes a momentum", momentum.Message);
        Assert.Throws<ArgumentException>(() => OptimizerCatalog.DefaultLr("Adam"));
    }

    [Theory]
    [InlineData("sgd", "dampening,lr,momentum,nesterov,params,weight_decay")]
    [InlineData("adam", "amsgrad,beta1,beta2,eps,lr,params,weight_decay")]
    [InlineData("adamw", "amsgrad,beta1,beta2,eps,lr,params,weight_decay")]
    [InlineData("adadelta", "eps,lr,params,rho,weight_decay")]
    public void StateDictGroupKeys_KeepPyTorchsOptionNames(string name, string options)
    {
        var keys = OptimizerCatalog.Create(name, Ps()).StateDict().Keys
            .Where(k => k.StartsWith("param_groups.0.", StringComparison.Ordinal))
            .Select(k => k["param_groups.0.".Length..])
            .Order(StringComparer.Ordinal);
        Assert.Equal(options, string.Join(",", keys));
    }

    [Fact]
    public void TypedOptions_ReadBackAsSet_AndAnUnsetOneThrows()
    {
        var group = new ParamGroup(Ps(), lr: 0.1) { Nesterov = true, Momentum = 0.9 };
        Assert.True(group.Nesterov);
        Assert.Equal(1.0, group.Options["nesterov"]);
        Assert.Null(group.InitialLr);
        Assert.Contains("no option 'beta1'", Assert.Throws<KeyNotFoundException>(() => group.Beta1).Message);
    }
}
