using Xunit;
using Xent.Kernels;
using static Xent.Tests.Kernels.KernelTestUtil;

namespace Xent.Tests.Kernels;

public class ElementwiseTests
{
    [Fact]
    public void Relu_MatchesTorchSemantics()
    {
        // torch.relu(tensor([nan, -0., -1., 2.])) == [nan, -0., 0., 2.]; repeated past one vector width.
        float[] pattern = [float.NaN, -0f, -1f, 2f, 0f, -3.5f, 1e-30f];
        float[] expected = [float.NaN, -0f, 0f, 2f, 0f, 0f, 1e-30f];
        float[] x = Enumerable.Range(0, 53).Select(i => pattern[i % pattern.Length]).ToArray();
        var y = new float[x.Length];
        Elementwise.Relu(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            float want = expected[i % expected.Length];
            Assert.Equal(BitConverter.SingleToInt32Bits(want), BitConverter.SingleToInt32Bits(y[i]));
        }
    }

    [Fact]
    public void ReluBackward_IsThresholdBackward_NaNPasses()
    {
        // PyTorch 1.13: x = torch.tensor([nan, -1., 2., 0., -0., 1e-30, inf, -inf], requires_grad=True)
        // F.relu(x).backward(torch.full((8,), 3.)); x.grad == [3., 0., 3., 0., 0., 3., 3., 0.]
        // Repeated past one vector width so the vector body and the scalar tail both see every case.
        float[] pattern = [float.NaN, -1f, 2f, 0f, -0f, 1e-30f, float.PositiveInfinity, float.NegativeInfinity];
        float[] passes = [1f, 0f, 1f, 0f, 0f, 1f, 1f, 0f];
        var output = Enumerable.Range(0, 53).Select(i => pattern[i % pattern.Length]).ToArray();
        Elementwise.Relu(output, output);
        var g = Enumerable.Range(0, 53).Select(i => 3f + i).ToArray();
        var gx = new float[53];
        Elementwise.ReluBackward(output, g, gx);
        for (int i = 0; i < 53; i++) Assert.Equal(passes[i % passes.Length] * g[i], gx[i]);
        Elementwise.ReluBackward(output, g, g); // in place
        Assert.Equal(gx, g);
    }

    [Fact]
    public void AllFinite_FindsANaNOrInfinityAnywhere()
    {
        float[] bad = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        foreach (int length in new[] { 0, 1, 7, 16, 37 })
        {
            var x = Enumerable.Range(0, length).Select(i => i % 2 == 0 ? 3e38f : -1e-45f).ToArray();
            Assert.True(Elementwise.AllFinite(x));
            for (int at = 0; at < length; at++)
                foreach (float v in bad)
                {
                    var y = (float[])x.Clone();
                    y[at] = v;
                    Assert.False(Elementwise.AllFinite(y), $"{v} at {at} of {length}");
                }
        }
    }

    [Fact]
    public void BiasRowsAndFusedRelu()
    {
        var rnd = new Random(2);
        int rows = 7, cols = 37;
        float[] x = RandomArray(rnd, rows * cols), bias = RandomArray(rnd, cols);
        float[] a = (float[])x.Clone(), b = (float[])x.Clone();
        Elementwise.AddBiasRows(a, rows, cols, bias);
        Elementwise.AddBiasRelu(b, rows, cols, bias);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                float want = x[r * cols + c] + bias[c];
                Assert.Equal(want, a[r * cols + c]);
                Assert.Equal(Math.Max(want, 0f), b[r * cols + c]);
            }

        float[] planes = (float[])x.Clone();
        float[] perRow = RandomArray(rnd, rows);
        Elementwise.AddBiasPerRow(planes, rows, cols, perRow);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) Assert.Equal(x[r * cols + c] + perRow[r], planes[r * cols + c]);
    }

    [Fact]
    public void BiasGradRows_IsColumnSum()
    {
        var rnd = new Random(3);
        int rows = 100, cols = 19;
        float[] g = RandomArray(rnd, rows * cols);
        var gb = new float[cols];
        gb.AsSpan().Fill(float.NaN); // overwritten, not accumulated
        Elementwise.BiasGradRows(g, rows, cols, gb);
        for (int c = 0; c < cols; c++)
        {
            double s = 0;
            for (int r = 0; r < rows; r++) s += g[r * cols + c];
            Assert.Equal(s, gb[c], 1e-4);
        }
    }
}
