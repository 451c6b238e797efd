using Xent.Kernels;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.NN;

/// <summary>F.Conv2dRelu against float64 reference convolutions with the ReLU applied by hand.</summary>
public class Conv2dReluTests
{
    private static Tensor R(int seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed));

    [Theory]
    [InlineData(3, 2, 9, 8, 4, 3, 3, 1, 1, 0, 0)]
    [InlineData(2, 3, 7, 7, 5, 3, 2, 2, 1, 1, 1)]
    [InlineData(2, 4, 6, 6, 3, 1, 1, 1, 1, 0, 0)] // pointwise: no im2col
    public void ValuesAndGradients_MatchFloat64Reference(int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph,
        int pw)
    {
        var x = R(1, n, cin, h, w).RequiresGrad_();
        var weight = R(2, cout, cin, kh, kw).RequiresGrad_();
        var bias = R(3, cout).RequiresGrad_();
        var y = F.Conv2dRelu(x, weight, bias, (sh, sw), (ph, pw));

        var s = new Conv2dShape(n, cin, h, w, cout, kh, kw, sh, sw, ph, pw);
        var pre = new float[y.NumEl];
        Conv2dKernel.ForwardScalar(in s, x.Data, weight.Data, bias.Data, pre);
        var expected = Array.ConvertAll(pre, v => Math.Max(v, 0f));
        Assert.Contains(pre, v => v < 0); // the ReLU has something to clip
        Check.Close(expected, y.Data, rtol: 1e-5, atol: 1e-5);

        var g = R(4, y.Shape);
        y.Backward(g);
        var gPre = new float[pre.Length];
        for (int i = 0; i < pre.Length; i++) gPre[i] = pre[i] > 0 ? g.Data[i] : 0f;
        var gx = new float[x.NumEl];
        var gw = new float[weight.NumEl];
        var gb = new float[cout];
        Conv2dKernel.BackwardScalar(in s, gPre, x.Data, weight.Data, gx, gw, gb);
        Check.Close(gx, x.Grad!.Data, rtol: 1e-4, atol: 1e-5, what: "input grad");
        Check.Close(gw, weight.Grad!.Data, rtol: 1e-4, atol: 1e-5, what: "weight grad");
        Check.Close(gb, bias.Grad!.Data, rtol: 1e-4, atol: 1e-5, what: "bias grad");
    }

    [Fact]
    public void SameBitsAsReluAfterConv2d_AndUnbatchedInput()
    {
        // The fusion must not change a training run: values and gradients are bit-identical to the two ops.
        Tensor[] Run(bool fused, bool unbatched)
        {
            var x = R(5, 2, 4, 10, 10);
            if (unbatched) x = R(5, 4, 10, 10);
            x.RequiresGrad = true;
            var weight = R(6, 6, 4, 3, 3).RequiresGrad_();
            var bias = R(7, 6).RequiresGrad_();
            var y = fused ? F.Conv2dRelu(x, weight, bias) : F.Relu(F.Conv2d(x, weight, bias));
            y.Backward(R(8, y.Shape));
            return [y.Detach(), x.Grad!, weight.Grad!, bias.Grad!];
        }
        foreach (bool unbatched in new[] { false, true })
        {
            var a = Run(fused: true, unbatched);
            var b = Run(fused: false, unbatched);
            for (int i = 0; i < a.Length; i++)
            {
                Assert.Equal(b[i].Shape, a[i].Shape);
                Assert.Equal(b[i].ToArray(), a[i].ToArray());
            }
        }
    }

    [Fact]
    public void NaNPreActivation_PassesTheGradient()
    {
        // PyTorch 1.13: x = torch.tensor([nan, -1., 2., 0.]).reshape(1, 1, 2, 2).requires_grad_()
        // w = torch.ones(1, 1, 1, 1, requires_grad=True); F.relu(F.conv2d(x, w)).backward(torch.full((1, 1, 2, 2), 3.))
        // x.grad.flatten() == [3., 0., 3., 0.], w.grad == [[[[nan]]]]
        var x = Tensor.FromArray([float.NaN, -1f, 2f, 0f], 1, 1, 2, 2).RequiresGrad_();
        var w = Tensor.FromArray([1f], 1, 1, 1, 1).RequiresGrad_();
        F.Conv2dRelu(x, w).Backward(Tensor.Full(3f, 1, 1, 2, 2));
        Check.Close([3f, 0f, 3f, 0f], x.Grad!.Data, 0, 0);
        Check.Close([float.NaN], w.Grad!.Data);
    }
}
