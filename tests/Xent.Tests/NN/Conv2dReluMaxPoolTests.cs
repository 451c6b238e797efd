using Xent.Models;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.NN;

/// <summary>
/// F.Conv2dReluMaxPool2d against the unfused ops it replaces (F.Conv2dRelu then F.MaxPool2d): the same forward bits,
/// gradients equal within float32 summation-order rounding, and PyTorch's errors.
/// </summary>
public class Conv2dReluMaxPoolTests
{
    private static Tensor R(int seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed));

    private static Tensor[] Run(bool fused, bool unbatched, (int, int) pool, (int, int) stride, (int, int) padding)
    {
        var x = unbatched ? R(1, 8, 13, 12) : R(1, 3, 8, 13, 12);
        x.RequiresGrad = true;
        var weight = (R(2, 6, 8, 3, 3) * 0.3f).Detach().RequiresGrad_();
        var bias = R(3, 6).RequiresGrad_();
        var y = fused
            ? F.Conv2dReluMaxPool2d(x, weight, bias, pool, stride, padding)
            : F.MaxPool2d(F.Conv2dRelu(x, weight, bias, stride, padding), pool);
        y.Backward(R(4, y.Shape));
        return [y.Detach(), x.Grad!, weight.Grad!, bias.Grad!];
    }

    [Theory]
    [InlineData(false, 2, 2, 1, 0)]
    [InlineData(true, 2, 2, 1, 0)]
    [InlineData(false, 3, 2, 1, 0)]
    [InlineData(false, 2, 2, 2, 1)]
    public void SameValues_AndGradientsAsTheUnfusedOps(bool unbatched, int poolH, int poolW, int stride, int padding)
    {
        var fused = Run(true, unbatched, (poolH, poolW), (stride, stride), (padding, padding));
        var plain = Run(false, unbatched, (poolH, poolW), (stride, stride), (padding, padding));
        Assert.Equal(plain[0].Shape, fused[0].Shape);
        Assert.Equal(plain[0].ToArray(), fused[0].ToArray()); // max and ReLU are exact: the forward is bit-identical
        string[] what = ["", "input grad", "weight grad", "bias grad"];
        for (int i = 1; i < fused.Length; i++)
            Check.Close(plain[i].Data, fused[i].Data, rtol: 1e-5, atol: Check.Scale(plain[i].Data, 1e-6), what: what[i]);
    }

    [Fact]
    public void NaNWindowMaximum_PassesTheGradient_AsThePoolingAndReluDo()
    {
        // The pooling picks a window's last NaN, and ReLU's threshold_backward (x <= 0 ? 0 : g) passes it. PyTorch 1.13:
        // x = torch.tensor([[nan, 1, 1, 3], [nan, 5, 5, 2], [5, 1, -1, -5], [2, nan, -2, -3]]).reshape(1, 1, 4, 4)
        // w = torch.ones(1, 1, 1, 1); b = torch.tensor([0.5]) (all requires_grad)
        // y = F.max_pool2d(F.relu(F.conv2d(x, w, b)), 2); y.backward(torch.tensor([1., 2., 3., 4.]).reshape(1, 1, 2, 2))
        // y == [nan, 5.5, nan, 0]; x.grad.flatten() == [0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0, 0]; w.grad nan; b.grad 6
        float n = float.NaN;
        var x = Tensor.FromArray([n, 1, 1, 3, n, 5, 5, 2, 5, 1, -1, -5, 2, n, -2, -3], 1, 1, 4, 4).RequiresGrad_();
        var w = Tensor.FromArray([1f], 1, 1, 1, 1).RequiresGrad_();
        var b = Tensor.FromArray([0.5f]).RequiresGrad_();
        var y = F.Conv2dReluMaxPool2d(x, w, b, (2, 2));
        Check.Close([n, 5.5f, n, 0f], y.Data, 0, 0);
        y.Backward(Tensor.FromArray([1f, 2f, 3f, 4f], 1, 1, 2, 2));
        Check.Close([0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0, 0], x.Grad!.Data, 0, 0);
        Check.Close([n], w.Grad!.Data);
        Check.Close([6f], b.Grad!.Data, 0, 0);

        // Padding takes the tap-by-tap path. x = torch.tensor([[nan, -1], [2, nan]]).reshape(1, 1, 2, 2), w as above:
        // F.max_pool2d(F.relu(F.conv2d(x, w, None, padding=1)), 2).backward(same upstream) gives x.grad [1, 0, 3, 4]
        x = Tensor.FromArray([n, -1, 2, n], 1, 1, 2, 2).RequiresGrad_();
        w = Tensor.FromArray([1f], 1, 1, 1, 1).RequiresGrad_();
        y = F.Conv2dReluMaxPool2d(x, w, null, (2, 2), padding: (1, 1));
        y.Backward(Tensor.FromArray([1f, 2f, 3f, 4f], 1, 1, 2, 2));
        Check.Close([1f, 0f, 3f, 4f], x.Grad!.Data, 0, 0);
        Check.Close([n], w.Grad!.Data);
    }

    /// <summary>
    /// PyTorch 1.13 goldens from
    /// <code>
    /// x = (torch.arange(25.) / 8 - 1.5).reshape(1, 1, 5, 5)          # nan_x: x[0, 0, 4, 4] = nan
    /// w = torch.tensor([[0.5, -0.25, 0.75], [1.0, 0.5, -0.5], [0.25, 0.125, 1.0]] * 2).reshape(2, 1, 3, 3); w[1] *= -1
    /// # inf_w: w[0, 0, 1, 1] = inf
    /// b = torch.tensor([0.5, 2.0])                                    # x, w, b require grad
    /// y = F.max_pool2d(F.relu(F.conv2d(x, w, b)), 2); y.backward(torch.tensor([1.0, 2.0]).reshape(1, 2, 1, 1))
    /// </code>
    /// The NaN input pixel reaches only a convolution output the pooling leaves out (floor mode), and the infinite weight
    /// reaches outputs whose gradient is 0: PyTorch's dense products give 0·NaN = NaN and 0·∞ = NaN there.
    /// </summary>
    public static IEnumerable<object[]> NonFiniteOperandCases =>
    [
        [true, false, new[] { 0.671875f, 4.359375f },
            new[] { -1.0f, 0.5f, -1.5f, 0.0f, 0.0f, -2.0f, -0.5f, 0.75f, 0.75f, 0.0f, -0.5f, 0.75f, -1.5f, -0.5f, 0.0f, 0.0f, 0.25f,
                0.125f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f },
            new[] { -0.75f, -0.625f, -0.5f, -0.125f, 0.0f, 0.125f, 0.5f, 0.625f, float.NaN, -3.0f, -2.75f, -2.5f, -1.75f, -1.5f,
                -1.25f, -0.5f, -0.25f, float.NaN }],
        [false, true, new[] { float.NaN, 4.359375f },
            new[] { -1.0f, 0.5f, -1.5f, 0.0f, 0.0f, -2.0f, float.NaN, float.NaN, float.NaN, 0.0f, -0.5f, float.NaN,
                float.PositiveInfinity, float.NaN, 0.0f, 0.0f, float.NaN, float.NaN, float.NaN, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f },
            new[] { -0.75f, -0.625f, -0.5f, -0.125f, 0.0f, 0.125f, 0.5f, 0.625f, 0.75f, -3.0f, -2.75f, -2.5f, -1.75f, -1.5f,
                -1.25f, -0.5f, -0.25f, 0.0f }],
    ];

    [Theory]
    [MemberData(nameof(NonFiniteOperandCases))]
    public void NonFiniteInputOrWeight_GivesPyTorchsDenseGradients(bool nanInput, bool infWeight, float[] expectedY, float[] expectedGx,
        float[] expectedGw)
    {
        foreach (bool fused in new[] { true, false })
        {
            var xv = Enumerable.Range(0, 25).Select(i => i / 8f - 1.5f).ToArray();
            if (nanInput) xv[24] = float.NaN;
            float[] taps = [0.5f, -0.25f, 0.75f, 1.0f, 0.5f, -0.5f, 0.25f, 0.125f, 1.0f];
            var wv = taps.Concat(taps.Select(t => -t)).ToArray();
            if (infWeight) wv[4] = float.PositiveInfinity;
            var x = Tensor.FromArray(xv, 1, 1, 5, 5).RequiresGrad_();
            var w = Tensor.FromArray(wv, 2, 1, 3, 3).RequiresGrad_();
            var b = Tensor.FromArray([0.5f, 2f]).RequiresGrad_();
            var y = fused ? F.Conv2dReluMaxPool2d(x, w, b, (2, 2)) : F.MaxPool2d(F.Conv2dRelu(x, w, b), 2);
            Check.Close(expectedY, y.Data, 0, 0, $"y (fused {fused})");
            y.Backward(Tensor.FromArray([1f, 2f], 1, 2, 1, 1));
            Check.Close(expectedGx, x.Grad!.Data, 0, 0, $"input grad (fused {fused})");
            Check.Close(expectedGw, w.Grad!.Data, 0, 0, $"weight grad (fused {fused})");
            Check.Close([1f, 2f], b.Grad!.Data, 0, 0, $"bias grad (fused {fused})");
        }
    }

    [Fact]
    public void MnistCnnForward_IsBitIdenticalToTheUnfusedLayers()
    {
        // Evaluation (and every reported accuracy) runs this forward: fusing conv2, ReLU and the pooling must not move it.
        var model = new MnistCnn(new Generator(5));
        model.Eval();
        var x = R(6, 4, 1, 28, 28);
        var expected = F.MaxPool2d(model.Conv2.ForwardRelu(model.Conv1.ForwardRelu(x)), 2).Flatten(1);
        expected = model.Fc2.Forward(F.Relu(model.Fc1.Forward(expected)));
        Assert.Equal(expected.ToArray(), model.Forward(x).ToArray());
    }

    [Fact]
    public void BadPoolingWindow_IsRejectedWithPyTorchsMessages()
    {
        var x = R(7, 1, 2, 6, 6);
        var w = R(8, 3, 2, 3, 3);
        var tooBig = Assert.Throws<ArgumentException>(() => F.Conv2dReluMaxPool2d(x, w, null, (5, 5)));
        Assert.Contains("Output size is too small", tooBig.Message);
        var empty = Assert.Throws<ArgumentException>(() => F.Conv2dReluMaxPool2d(x, w, null, (0, 2)));
        Assert.Contains("kernel size should be greater than zero", empty.Message);
        var channels = Assert.Throws<ArgumentException>(() => F.Conv2dReluMaxPool2d(R(9, 1, 3, 6, 6), w, null, (2, 2)));
        Assert.Contains("to have 2 channels, but got 3 channels instead", channels.Message);
    }
}
