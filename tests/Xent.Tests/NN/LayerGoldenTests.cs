using System.Text.Json;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.NN;

/// <summary>F.Linear, F.Conv2d and F.MaxPool2d forward and gradients against PyTorch 1.13 (tools/golden/gen_nn.py).</summary>
public class LayerGoldenTests
{
    private static readonly JsonElement Cases = JsonDocument.Parse(File.ReadAllText(Golden.PathOf("nn", "cases.json"))).RootElement;

    public static TheoryData<string> Names(string op)
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases.GetProperty(op).EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    private static JsonElement Case(string op, string name) =>
        Cases.GetProperty(op).EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static (int, int) Pair(JsonElement e) => (e[0].GetInt32(), e[1].GetInt32());

    /// <summary>Runs <paramref name="f"/>, backpropagates the golden upstream gradient, and compares with PyTorch.</summary>
    private static void Compare(string name, Func<Tensor, Tensor?, Tensor?, Tensor> f, bool hasWeight, bool hasBias, double rtol = 1e-4,
        double atol = 1e-5)
    {
        var x = Golden.Load("nn", name + "_x").RequiresGrad_();
        var w = hasWeight ? Golden.Load("nn", name + "_w").RequiresGrad_() : null;
        var b = hasBias ? Golden.Load("nn", name + "_b").RequiresGrad_() : null;
        var output = f(x, w, b);
        Check.Close(Golden.Load("nn", name + "_out"), output, rtol, atol, name + " out");
        (output * Golden.Load("nn", name + "_r")).Sum().Backward();
        Check.Close(Golden.Load("nn", name + "_gx"), x.Grad!, rtol, atol, name + " grad x");
        if (w is not null) Check.Close(Golden.Load("nn", name + "_gw"), w.Grad!, rtol, atol, name + " grad w");
        if (b is not null) Check.Close(Golden.Load("nn", name + "_gb"), b.Grad!, rtol, atol, name + " grad b");
    }

    [Theory, MemberData(nameof(Names), "linear")]
    public void Linear(string name) =>
        Compare(name, (x, w, b) => F.Linear(x, w!, b), hasWeight: true, hasBias: Case("linear", name).GetProperty("bias").GetBoolean());

    [Theory, MemberData(nameof(Names), "conv2d")]
    public void Conv2d(string name)
    {
        var c = Case("conv2d", name);
        var stride = Pair(c.GetProperty("stride"));
        var padding = Pair(c.GetProperty("padding"));
        Compare(name, (x, w, b) => F.Conv2d(x, w!, b, stride, padding), hasWeight: true, hasBias: c.GetProperty("bias").GetBoolean());
    }

    [Theory, MemberData(nameof(Names), "max_pool2d")]
    public void MaxPool2d(string name)
    {
        var c = Case("max_pool2d", name);
        var kernel = Pair(c.GetProperty("kernel"));
        (int, int)? stride = c.GetProperty("stride").ValueKind == JsonValueKind.Null ? null : Pair(c.GetProperty("stride"));
        var padding = Pair(c.GetProperty("padding"));
        // Pooling only copies values, so forward and backward must match PyTorch exactly (ties included).
        Compare(name, (x, _, _) => F.MaxPool2d(x, kernel, stride, padding), hasWeight: false, hasBias: false, rtol: 0, atol: 0);
    }

    private static string TorchError(string key) => Cases.GetProperty("errors").GetProperty(key).GetString()!;

    [Fact]
    public void ErrorMessagesUsePyTorchWording()
    {
        Assert.Equal(TorchError("linear_mismatch"),
            Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros(64, 9216),
            Tensor.Zeros(128, 9200))).Message.Split(" (Parameter")[0]);
        Assert.StartsWith(TorchError("linear_mismatch_3d"),
            Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros(2, 3, 9216), Tensor.Zeros(128, 9200))).Message);
        Assert.StartsWith(TorchError("conv_rank"),
            Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(64, 28, 28, 1, 1), Tensor.Zeros(32, 1, 3, 3))).Message);
        Assert.StartsWith(TorchError("conv_channels"),
            Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(64, 3, 28, 28), Tensor.Zeros(32, 1, 3, 3))).Message);
        Assert.StartsWith(TorchError("conv_kernel_too_big"),
            Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(64, 1, 2, 2), Tensor.Zeros(32, 1, 3, 3))).Message);
        Assert.StartsWith(TorchError("conv_bias"),
            Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(64, 1, 8, 8), Tensor.Zeros(32, 1, 3, 3),
            Tensor.Zeros(31))).Message);
        Assert.StartsWith(TorchError("pool_too_small"),
            Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros(1, 1, 1, 1), 2)).Message);
        Assert.StartsWith(TorchError("dropout_p"),
            Assert.Throws<ArgumentOutOfRangeException>(() => F.Dropout(Tensor.Zeros(1), 1.5)).Message);
    }

    [Fact]
    public void OtherBadArgumentsThrow()
    {
        Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros(2, 3), Tensor.Zeros(3)));
        Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros(2, 3), Tensor.Zeros(4, 3), Tensor.Zeros(5)));
        Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 1, 8, 8), Tensor.Zeros(2, 1, 3)));
        Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 1, 8, 8), Tensor.Zeros(2, 1, 3, 3), stride: (0, 1)));
        Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 1, 8, 8), Tensor.Zeros(2, 1, 3, 3), padding: (-1, 0)));
        Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros(1, 1, 8, 8), 2, padding: 2));
        Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros(8, 8), 2));
        Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros(1, 1, 4, 4), 0));
        Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros(1, 1, 4, 4), 2, stride: 0));
        Assert.Throws<InvalidOperationException>(() => F.Relu(Tensor.ZerosInt64(3)));
    }

    [Fact]
    public void LinearOutputShapesFollowLeadingDims()
    {
        Assert.Equal([3], F.Linear(Tensor.Zeros(7), Tensor.Zeros(3, 7)).Shape);
        Assert.Equal([0, 2], F.Linear(Tensor.Zeros(0, 3), Tensor.Zeros(2, 3)).Shape);
        Assert.Equal([2, 4, 5, 3], F.Linear(Tensor.Zeros(2, 4, 5, 7), Tensor.Zeros(3, 7)).Shape);
    }

    [Fact]
    public void ReluMatchesDefinitionAndKeepsNaN()
    {
        var x = Tensor.FromArray([-2f, -0f, 0f, 1.5f, float.NaN, float.NegativeInfinity, float.PositiveInfinity]).RequiresGrad_();
        var y = F.Relu(x);
        Check.Close([0f, 0f, 0f, 1.5f, float.NaN, 0f, float.PositiveInfinity], y.Data);
        y.Sum().Backward();
        // PyTorch 1.13's threshold_backward, x <= 0 ? 0 : g: 0 at x = 0, and a NaN passes the gradient. From
        // x = torch.tensor([-2., -0., 0., 1.5, nan, -inf, inf], requires_grad=True); F.relu(x).sum().backward(); x.grad
        Check.Close([0f, 0f, 0f, 1f, 1f, 0f, 1f], x.Grad!.Data);
    }

    [Fact]
    public void ReluModuleBackward_PassesTheGradientAtNaN()
    {
        // x = torch.tensor([nan, -1., 2., 0.], requires_grad=True); nn.ReLU()(x).backward(torch.tensor([1., 2., 3., 4.]))
        // x.grad == [1., 0., 3., 0.]
        var x = Tensor.FromArray([float.NaN, -1f, 2f, 0f]).RequiresGrad_();
        new Xent.NN.ReLU().Forward(x).Backward(Tensor.FromArray([1f, 2f, 3f, 4f]));
        Check.Close([1f, 0f, 3f, 0f], x.Grad!.Data, 0, 0);
    }

    [Fact]
    public void MaxPoolTiesRouteGradientToFirstMaximum()
    {
        var x = Tensor.FromArray([1f, 3f, 3f, 3f], 1, 1, 2, 2).RequiresGrad_();
        var y = F.MaxPool2d(x, 2);
        Assert.Equal(3f, y.Item());
        y.Sum().Backward();
        Check.Close([0f, 1f, 0f, 0f], x.Grad!.Data, 0, 0);
    }
}
