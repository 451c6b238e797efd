using Xent.Optim;
using Xunit;

namespace Xent.Tests.Optim;

/// <summary>The vector kernels against their scalar twins: bit-identical for every length (vector body + tail).</summary>
public class OptimizerKernelsTests
{
    public static TheoryData<int> Lengths() => [0, 1, 7, 8, 15, 16, 17, 31, 45, 100, 1029];

    private static float[] Rand(int n, int seed, float scale = 1f, bool positive = false)
    {
        var g = new Generator(seed);
        return Enumerable.Range(0, n).Select(_ => positive ? g.NextFloat() * scale : (float)g.NextGaussian() * scale).ToArray();
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SgdMatchesScalar(int n)
    {
        foreach (float wd in new[] { 0f, 0.01f })
        {
            var p1 = Rand(n, 1); var p2 = (float[])p1.Clone(); var g = Rand(n, 2);
            OptimizerKernels.Sgd(p1, g, -0.1f, wd);
            OptimizerKernels.SgdScalar(p2, g, -0.1f, wd);
            Assert.Equal(p2, p1);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SgdMomentumMatchesScalar(int n)
    {
        foreach (bool nesterov in new[] { false, true })
            foreach (bool first in new[] { false, true })
                foreach (float wd in new[] { 0f, 0.01f })
                {
                    var s = new OptimizerKernels.SgdMomentumScalars(-0.1f, wd, 0.9f, nesterov ? 1f : 0.7f, nesterov, first);
                    var p1 = Rand(n, 1); var p2 = (float[])p1.Clone(); var g = Rand(n, 2);
                    var b1 = Rand(n, 3); var b2 = (float[])b1.Clone();
                    OptimizerKernels.SgdMomentum(p1, g, b1, s);
                    OptimizerKernels.SgdMomentumScalar(p2, g, b2, s);
                    Assert.Equal(p2, p1);
                    Assert.Equal(b2, b1);
                }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AdamMatchesScalar(int n)
    {
        foreach (bool ams in new[] { false, true })
            foreach (bool decoupled in new[] { false, true })
            {
                var s = new OptimizerKernels.AdamScalars(decoupled ? 0.999f : 1f, decoupled ? 0f : 0.1f, 0.9f, 0.1f, 0.999f, 0.001f, 0.05f,
                    1e-8f, -0.02f);
                var p1 = Rand(n, 1); var p2 = (float[])p1.Clone(); var g = Rand(n, 2);
                var m1 = Rand(n, 3, 0.1f); var m2 = (float[])m1.Clone();
                var v1 = Rand(n, 4, 0.1f, positive: true); var v2 = (float[])v1.Clone();
                var x1 = ams ? Rand(n, 5, 0.1f, positive: true) : []; var x2 = (float[])x1.Clone();
                OptimizerKernels.Adam(p1, g, m1, v1, x1, s);
                OptimizerKernels.AdamScalar(p2, g, m2, v2, x2, s);
                Assert.Equal(p2, p1); Assert.Equal(m2, m1); Assert.Equal(v2, v1); Assert.Equal(x2, x1);
            }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AdadeltaMatchesScalar(int n)
    {
        foreach (float wd in new[] { 0f, 0.1f })
        {
            var s = new OptimizerKernels.AdadeltaScalars(-1f, 0.9f, 0.1f, 1e-6f, wd);
            var p1 = Rand(n, 1); var p2 = (float[])p1.Clone(); var g = Rand(n, 2);
            var q1 = Rand(n, 3, 0.1f, positive: true); var q2 = (float[])q1.Clone();
            var a1 = Rand(n, 4, 0.1f, positive: true); var a2 = (float[])a1.Clone();
            OptimizerKernels.Adadelta(p1, g, q1, a1, s);
            OptimizerKernels.AdadeltaScalar(p2, g, q2, a2, s);
            Assert.Equal(p2, p1); Assert.Equal(q2, q1); Assert.Equal(a2, a1);
        }
    }

    [Fact]
    public void AdamAgreesWithAFloat64Reference()
    {
        // Independent check of the formula (not of the rounding): one step from zero state.
        int n = 50;
        var p = Rand(n, 1); var g = Rand(n, 2);
        var m = new float[n]; var v = new float[n];
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        double step = lr / (1 - b1);
        var s = new OptimizerKernels.AdamScalars(1f, 0f, (float)b1, (float)(1 - b1), (float)b2, (float)(1 - b2), (float)Math.Sqrt(1 - b2),
            (float)eps, (float)-step);
        var expected = new float[n];
        for (int i = 0; i < n; i++)
        {
            double mi = (1 - b1) * g[i], vi = (1 - b2) * g[i] * (double)g[i];
            expected[i] = (float)(p[i] - step * mi / (Math.Sqrt(vi) / Math.Sqrt(1 - b2) + eps));
        }
        OptimizerKernels.Adam(p, g, m, v, [], s);
        Xent.Tests.Support.Check.Close(expected, p, rtol: 1e-5, atol: 1e-6);
    }
}
