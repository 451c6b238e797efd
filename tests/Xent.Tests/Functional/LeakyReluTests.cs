using Xent.Kernels;
using Xent.NN;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Functional;

/// <summary>
/// F.LeakyRelu, the worked example of CONTRIBUTING.md: PyTorch's values (tools/golden/gen_activations.py), the kernel
/// against its scalar twin and a float64 reference, and the gradient against finite differences.
/// </summary>
public class LeakyReluTests
{
    private static Tensor G(string name) => Golden.Load("activations", name);

    [Theory]
    [InlineData("leaky_relu_default", 0.01f)]
    [InlineData("leaky_relu_0.2", 0.2f)]
    [InlineData("leaky_relu_negative_slope", -1.5f)]
    public void ForwardAndGradient_MatchPyTorchExactly(string name, float slope)
    {
        var x = G(name + "_x").RequiresGrad_();
        var y = F.LeakyRelu(x, slope);
        Check.Close(G(name + "_out"), y, rtol: 0, atol: 0, what: "out");
        (y * G(name + "_r")).Sum().Backward();
        Check.Close(G(name + "_grad"), x.Grad!, rtol: 0, atol: 0, what: "grad");
    }

    [Fact]
    public void Kernel_EqualsItsScalarTwinAndTheFloat64Reference_BitForBit()
    {
        float[] special = [float.NaN, -0f, 0f, float.PositiveInfinity, float.NegativeInfinity, 1e-40f, -1e-40f];
        var rnd = new Random(3);
        foreach (int n in new[] { 0, 1, 7, 16, 17, 63, 64, 129 })
        {
            var x = new float[n];
            var dy = new float[n];
            for (int i = 0; i < n; i++)
            {
                x[i] = i % 5 == 0 ? special[i % special.Length] : (float)(rnd.NextDouble() * 8 - 4);
                dy[i] = (float)(rnd.NextDouble() * 2 - 1);
            }
            const float slope = 0.37f;
            float[] y = new float[n], yScalar = new float[n], dx = new float[n], dxScalar = new float[n];
            LeakyReluKernel.Forward(x, slope, y);
            LeakyReluKernel.ForwardScalar(x, slope, yScalar);
            LeakyReluKernel.Backward(x, dy, slope, dx);
            LeakyReluKernel.BackwardScalar(x, dy, slope, dxScalar);
            for (int i = 0; i < n; i++)
            {
                // A float×float product is exact in float64, so rounding it once gives float32's product.
                float yRef = x[i] > 0 ? x[i] : (float)((double)x[i] * slope);
                float dxRef = x[i] > 0 ? dy[i] : (float)((double)dy[i] * slope);
                Assert.Equal(Bits(yRef), Bits(y[i]));
                Assert.Equal(Bits(yRef), Bits(yScalar[i]));
                Assert.Equal(Bits(dxRef), Bits(dx[i]));
                Assert.Equal(Bits(dxRef), Bits(dxScalar[i]));
            }
        }
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        // Inputs kept away from the kink at 0, where the derivative jumps.
        var x = Tensor.FromArray(new[] { -2.5f, -0.7f, 0.4f, 1.9f, -1.1f, 3.2f });
        GradCheck.Check(t => F.LeakyRelu(t[0], 0.3f), [x]);
    }

    [Fact]
    public void Module_UsesItsSlope_AndBadSlopesAndDtypesThrow()
    {
        var x = Tensor.FromArray(new[] { -2f, 3f });
        Assert.Equal([-0.5f, 3f], new LeakyReLU(0.25f).Forward(x).ToArray());
        Assert.Equal("LeakyReLU(negative_slope=0.25)", new LeakyReLU(0.25f).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => F.LeakyRelu(x, float.NaN));
        Assert.Throws<InvalidOperationException>(() => F.LeakyRelu(Tensor.FromArray([1L, 2L])));
    }

    private static int Bits(float v) => BitConverter.SingleToInt32Bits(v);
}
