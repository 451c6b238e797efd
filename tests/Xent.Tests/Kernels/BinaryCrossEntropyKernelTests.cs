using Xent.Kernels;
using Xunit;
using static Xent.Tests.Kernels.CeReference;
using Xent.Tests.Support;

namespace Xent.Tests.Kernels;

public class BinaryCrossEntropyKernelTests
{
    private static double RefLogits(double x, double y, double w, double pw) =>
        // −w·(pw·y·log σ(x) + (1 − y)·log(1 − σ(x))), with log σ(x) = −softplus(−x).
        w * (pw * y * Softplus(-x) + (1 - y) * Softplus(x));

    private static double Softplus(double v) => Math.Max(v, 0) + Math.Log(1 + Math.Exp(-Math.Abs(v)));

    private static double RefProb(double p, double y, double w) =>
        -w * (y * Math.Max(Math.Log(p), -100) + (1 - y) * Math.Max(Math.Log(1 - p), -100));

    [Fact]
    public void WithLogits_MatchesFloat64_FiniteDifferences_AndAnalyticGradient()
    {
        var rng = new Random(3);
        int rows = 50, c = 6, n = rows * c;
        float[] x = RandomLogits(rng, n, 8);
        x[0] = 1e4f; x[1] = -1e4f; x[2] = 90f; x[3] = -90f;
        float[] y = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] w = Enumerable.Range(0, n).Select(_ => (float)(0.5 + rng.NextDouble())).ToArray();
        float[] pw = [0.5f, 1f, 2f, 3f, 0.25f, 1.5f];
        // The kernel's "scalar twin" runs the same per-element code, so it is no reference: float64 formulas are.
        var loss = new float[n];
        double sum = BinaryCrossEntropyKernel.WithLogitsForward(x, y, w, pw, loss);
        double refSum = 0;
        for (int i = 0; i < n; i++)
        {
            double expected = RefLogits(x[i], y[i], w[i], pw[i % c]);
            refSum += expected;
            Check.Close(expected, loss[i], 1e-5, 1e-6 * (1 + Math.Abs(x[i]) * 1e-3), $"loss[{i}]");
        }
        Check.Close(refSum, sum, 1e-6, 0, "sum");

        var g = new float[n];
        BinaryCrossEntropyKernel.WithLogitsBackward(x, y, w, pw, [0.25f], g);
        for (int i = 0; i < n; i++)
        {
            // d/dx of w·(pw·y·softplus(−x) + (1 − y)·softplus(x)) = w·((pw·y + 1 − y)·σ(x) − pw·y), in float64.
            double sigmoid = 1 / (1 + Math.Exp(-(double)x[i])), py = pw[i % c] * (double)y[i];
            Check.Close(0.25 * w[i] * ((py + 1 - y[i]) * sigmoid - py), g[i], 1e-5, 1e-7, $"analytic grad[{i}]");
            double h = 1e-5 * Math.Max(1, Math.Abs(x[i]));
            double fd = 0.25 * (RefLogits(x[i] + h, y[i], w[i], pw[i % c]) - RefLogits(x[i] - h, y[i], w[i], pw[i % c])) / (2 * h);
            Check.Close(fd, g[i], 1e-4, 1e-6, $"grad[{i}]");
        }
        // No weights at all: the plain formula.
        BinaryCrossEntropyKernel.WithLogitsForward(x, y, [], [], loss);
        for (int i = 0; i < n; i++) Check.Close(RefLogits(x[i], y[i], 1, 1), loss[i], 1e-5, 1e-6, $"plain loss[{i}]");
    }

    [Fact]
    public void Probabilities_MatchFloat64_FiniteDifferences_AndClamps()
    {
        var rng = new Random(4);
        int n = 200;
        float[] p = Enumerable.Range(0, n).Select(_ => (float)(0.001 + 0.998 * rng.NextDouble())).ToArray();
        float[] y = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] w = Enumerable.Range(0, n).Select(_ => (float)(0.5 + rng.NextDouble())).ToArray();
        p[0] = 0f; y[0] = 1f; p[1] = 1f; y[1] = 0f; p[2] = 0f; y[2] = 0f;
        var loss = new float[n];
        double sum = BinaryCrossEntropyKernel.Forward(p, y, w, loss);
        for (int i = 0; i < n; i++) Check.Close(RefProb(p[i], y[i], w[i]), loss[i], 1e-5, 1e-6, $"loss[{i}]");
        Check.Close(100 * w[0], loss[0], 1e-6, 0); // log 0 clamped at −100
        Assert.Equal(0f, loss[2]);
        Check.Close(Enumerable.Range(0, n).Sum(i => RefProb(p[i], y[i], w[i])), sum, 1e-6, 0, "sum");

        var g = new float[n];
        BinaryCrossEntropyKernel.Backward(p, y, w, [1f], g);
        for (int i = 3; i < n; i++)
        {
            Check.Close(w[i] * (p[i] - (double)y[i]) / ((1 - (double)p[i]) * p[i]), g[i], 1e-4, 1e-6, $"analytic grad[{i}]");
            double h = 1e-7;
            double fd = (RefProb(p[i] + h, y[i], w[i]) - RefProb(p[i] - h, y[i], w[i])) / (2 * h);
            Check.Close(fd, g[i], 1e-3, 1e-5, $"grad[{i}]");
        }
        Check.Close(-1e12 * w[0], g[0], 1e-6, 0); // (p − y)/max(p(1 − p), 1e-12)
        Assert.Throws<ArgumentException>(() => BinaryCrossEntropyKernel.Forward([1.5f], [0f], [], new float[1]));
        Assert.Throws<ArgumentException>(() => BinaryCrossEntropyKernel.Forward([float.NaN], [0f], [], new float[1]));
    }
}
