using Xent.Models;
using Xent.NN;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.NN;

/// <summary>Containers, parameter naming and state-dict loading errors.</summary>
[Collection(WarningsCollection.Name)]
public class ModuleTests
{
    [Fact]
    public void SequentialNamesChildrenByPositionLikePyTorch()
    {
        var seq = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2, bias: false));
        Assert.Equal(["0.weight", "0.bias", "2.weight"], seq.NamedParameters().Select(p => p.Key));
        Assert.Equal(3, seq.Count);
        Assert.IsType<Linear>(seq[-1]);
        var named = new Sequential(("fc", new Linear(4, 3)), ("act", new ReLU()));
        Assert.Equal(["fc.weight", "fc.bias"], named.NamedParameters().Select(p => p.Key));
    }

    [Fact]
    public void SequentialForwardComposesItsModules()
    {
        var l1 = new Linear(4, 3, generator: new Generator(1));
        var l2 = new Linear(3, 2, generator: new Generator(2));
        var seq = new Sequential(new Flatten(), l1, new ReLU(), l2);
        var x = Tensor.Randn([5, 2, 2], new Generator(3));
        var expected = F.Linear(F.Relu(F.Linear(x.Reshape(5, 4), l1.Weight, l1.Bias)), l2.Weight, l2.Bias);
        Check.Close(expected, seq.Forward(x), 0, 0);
    }

    [Fact]
    public void FlattenAndMaxPoolModules()
    {
        Assert.Equal([2, 60], new Flatten().Forward(Tensor.Zeros(2, 3, 4, 5)).Shape);
        Assert.Equal([2, 3, 20], new Flatten(2).Forward(Tensor.Zeros(2, 3, 4, 5)).Shape);
        Assert.Equal([6, 5], new Flatten(0, 1).Forward(Tensor.Zeros(2, 3, 5)).Shape);
        Assert.Equal([1, 2, 3, 3], new MaxPool2d(2).Forward(Tensor.Zeros(1, 2, 7, 6)).Shape);
        Assert.Equal([1, 2, 6, 5], new MaxPool2d(2, stride: 1).Forward(Tensor.Zeros(1, 2, 7, 6)).Shape);
    }

    [Fact]
    public void ModelsHavePyTorchParameterNamesAndShapes()
    {
        var cnn = new MnistCnn();
        Assert.Equal(
            ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"],
            cnn.NamedParameters().Select(p => p.Key));
        Assert.Equal(1_199_882, cnn.Parameters().Sum(p => p.NumEl)); // PyTorch's count for this model
        Assert.Equal(["linear.weight", "linear.bias"], new LinearClassifier().NamedParameters().Select(p => p.Key));
        Assert.Equal([3, 10], new LinearClassifier().Forward(Tensor.Zeros(3, 1, 28, 28)).Shape);
        Assert.Equal([3, 10], new Mlp().Forward(Tensor.Zeros(3, 784)).Shape);
    }

    [Fact]
    public void MnistCnnTrainsEndToEndThroughAutograd()
    {
        var cnn = new MnistCnn(new Generator(5));
        var x = Tensor.Rand([2, 1, 28, 28], new Generator(6));
        var y = cnn.Forward(x);
        Assert.Equal([2, 10], y.Shape);
        y.Sum().Backward();
        foreach (var (name, p) in cnn.NamedParameters())
        {
            Assert.NotNull(p.Grad);
            Assert.Equal(p.Shape, p.Grad!.Shape);
            Assert.Contains(p.Grad.ToArray(), v => v != 0f);
        }
    }

    [Fact]
    public void LoadStateDictReportsMissingUnexpectedAndMisShapedKeys()
    {
        var model = new Mlp(4, 3, 2);
        var good = new Mlp(4, 3, 2, new Generator(9)).StateDict();

        var missing = new Dictionary<string, Tensor>(good);
        missing.Remove("fc2.bias");
        var e = Assert.Throws<InvalidOperationException>(() => model.LoadStateDict(missing));
        Assert.Contains("Missing key(s) in state_dict: \"fc2.bias\".", e.Message);

        var unexpected = new Dictionary<string, Tensor>(good) { ["fc3.weight"] = Tensor.Zeros(1) };
        e = Assert.Throws<InvalidOperationException>(() => model.LoadStateDict(unexpected));
        Assert.Contains("Unexpected key(s) in state_dict: \"fc3.weight\".", e.Message);

        var before = model.Parameters().Select(p => p.ToArray()).ToList();
        var misShaped = new Dictionary<string, Tensor>(good) { ["fc1.weight"] = Tensor.Zeros(3, 5) };
        e = Assert.Throws<InvalidOperationException>(() => model.LoadStateDict(misShaped));
        Assert.Contains("size mismatch for fc1.weight: copying a param with shape [3, 5] from checkpoint, the shape in current model is " +
            "[3, 4].", e.Message);
        // Nothing was copied.
        Assert.Equal(before, model.Parameters().Select(p => p.ToArray()));

        model.LoadStateDict(missing, strict: false);
        model.LoadStateDict(good);
        foreach (var (name, p) in model.NamedParameters()) Assert.Equal(good[name].ToArray(), p.ToArray());
    }
}
