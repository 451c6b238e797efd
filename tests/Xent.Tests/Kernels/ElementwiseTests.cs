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
    public void ReluBackward_MasksByPositiveOutput()
    {
        var rnd = new Random(1);
        float[] output = RandomArray(rnd, 45), g = RandomArray(rnd, 45);
        output[3] = float.NaN;
        output[4] = 0f;
        Elementwise.Relu(output, output);
        var gx = new float[45];
        Elementwise.ReluBackward(output, g, gx);
        for (int i = 0; i < 45; i++) Assert.Equal(output[i] > 0 ? g[i] : 0f, gx[i]);
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
