using Xent.Kernels;
using Xunit;
using static Xent.Tests.Kernels.CeReference;
using Xent.Tests.Support;

namespace Xent.Tests.Kernels;

public class SoftmaxKernelTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(5, 16)]
    [InlineData(4, 45)]
    [InlineData(2, 1000)]
    [InlineData(300, 70)]
    public void Rows_MatchFloat64_AndScalarTwins(int n, int c)
    {
        var rng = new Random(n * 1000 + c);
        float[] x = RandomLogits(rng, n * c, 5);
        float[] dy = RandomLogits(rng, n * c, 1);
        var yLog = new float[x.Length]; var yLogS = new float[x.Length];
        var ySm = new float[x.Length]; var ySmS = new float[x.Length];
        SoftmaxKernel.LogSoftmax(x, c, yLog);
        SoftmaxKernel.LogSoftmaxScalar(x, c, yLogS);
        SoftmaxKernel.Softmax(x, c, ySm);
        SoftmaxKernel.SoftmaxScalar(x, c, ySmS);
        var dxLog = new float[x.Length]; var dxLogS = new float[x.Length];
        var dxSm = new float[x.Length]; var dxSmS = new float[x.Length];
        SoftmaxKernel.LogSoftmaxBackward(yLog, dy, c, dxLog);
        SoftmaxKernel.LogSoftmaxBackwardScalar(yLog, dy, c, dxLogS);
        SoftmaxKernel.SoftmaxBackward(ySm, dy, c, dxSm);
        SoftmaxKernel.SoftmaxBackwardScalar(ySm, dy, c, dxSmS);

        for (int r = 0; r < n; r++)
        {
            double[] lp = LogSoftmax(ToDouble(x).AsSpan(r * c, c));
            double sumDy = 0, dot = 0;
            for (int j = 0; j < c; j++) { sumDy += dy[r * c + j]; dot += dy[r * c + j] * Math.Exp(lp[j]); }
            for (int j = 0; j < c; j++)
            {
                int i = r * c + j;
                double p = Math.Exp(lp[j]);
                Check.Close(lp[j], yLog[i], 1e-6, 1e-6, "log_softmax");
                Check.Close(p, ySm[i], 1e-5, 1e-9, "softmax");
                Check.Close(dy[i] - p * sumDy, dxLog[i], 1e-4, 1e-6, "log_softmax backward");
                Check.Close(p * (dy[i] - dot), dxSm[i], 1e-4, 1e-7, "softmax backward");
            }
        }
        Check.Close(yLogS, yLog, 1e-6, 1e-6, "log vs scalar");
        Check.Close(ySmS, ySm, 1e-5, 1e-9, "softmax vs scalar");
        Check.Close(dxLogS, dxLog, 1e-4, 1e-6, "log backward vs scalar");
        Check.Close(dxSmS, dxSm, 1e-4, 1e-7, "softmax backward vs scalar");
    }

    [Fact]
    public void Backward_MatchesFiniteDifferences()
    {
        var rng = new Random(9);
        int n = 3, c = 21;
        float[] x = RandomLogits(rng, n * c, 3);
        double[] g = ToDouble(RandomLogits(rng, n * c, 1));
        double Objective(double[] v, bool log)
        {
            double s = 0;
            for (int r = 0; r < n; r++)
            {
                double[] lp = LogSoftmax(v.AsSpan(r * c, c));
                for (int j = 0; j < c; j++) s += g[r * c + j] * (log ? lp[j] : Math.Exp(lp[j]));
            }
            return s;
        }
        var y = new float[x.Length];
        var dx = new float[x.Length];
        SoftmaxKernel.LogSoftmax(x, c, y);
        SoftmaxKernel.LogSoftmaxBackward(y, ToFloat(g), c, dx);
        float[] fd = ToFloat(FiniteDifferences(v => Objective(v, true), ToDouble(x)));
        Check.Close(fd, dx, 1e-4, 1e-6, "log_softmax");
        SoftmaxKernel.Softmax(x, c, y);
        SoftmaxKernel.SoftmaxBackward(y, ToFloat(g), c, dx);
        fd = ToFloat(FiniteDifferences(v => Objective(v, false), ToDouble(x)));
        Check.Close(fd, dx, 1e-4, 1e-6, "softmax");
    }

    [Fact]
    public void EdgeRows_FollowPyTorch()
    {
        float ninf = float.NegativeInfinity;
        float[] x = [1e4f, 1e4f - 1, ninf, /**/ ninf, ninf, ninf, /**/ -1e4f, -1e4f, -1e4f];
        var y = new float[9];
        SoftmaxKernel.LogSoftmax(x, 3, y);
        Check.Close(-Math.Log(1 + Math.Exp(-1)), y[0], 1e-6, 0);
        Assert.Equal(ninf, y[2]);
        Assert.True(float.IsNaN(y[3]) && float.IsNaN(y[5])); // all −inf row: NaN as PyTorch
        Check.Close(-Math.Log(3), y[6], 1e-6, 0);
        SoftmaxKernel.Softmax(x, 3, y);
        Assert.Equal(0f, y[2]);
        Assert.True(float.IsNaN(y[4]));
        Check.Close(1.0 / 3, y[8], 1e-6, 0);
        Assert.Throws<ArgumentException>(() => SoftmaxKernel.Softmax(x, 4, y));
        Assert.Throws<ArgumentException>(() => SoftmaxKernel.Softmax(x, 3, new float[8]));
    }
}
