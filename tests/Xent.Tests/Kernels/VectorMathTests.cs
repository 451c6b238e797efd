using System.Runtime.Intrinsics;
using Xent.Kernels;
using Xunit;
using Xent.Tests.Support;

namespace Xent.Tests.Kernels;

public class VectorMathTests
{
    /// <summary>Distance in units of the last place between a float result and the exact (float64) value.</summary>
    private static double Ulps(float actual, double exact)
    {
        if (exact < float.Epsilon / 2) return actual == 0 ? 0 : actual / (double)float.Epsilon; // below half the least subnormal
        double ulp = exact < 1.1754943508222875e-38 ? float.Epsilon : Math.Pow(2, Math.Floor(Math.Log2(exact)) - 23);
        return Math.Abs(actual - exact) / ulp;
    }

    private static IEnumerable<float> Sweep()
    {
        // Dense over the whole useful range, including arguments with subnormal results and overflow.
        for (double x = -104.5; x <= 89.5; x += 0.000371) yield return (float)x;
        foreach (float x in new[] { 0f, -0f, 1e-8f, -1e-8f, 0.34657359f, -0.34657359f, 88.72283f, -87.33654f, -103.97207f })
            yield return x;
    }

    [Fact]
    public void Exp_Vector512_IsWithinTwoUlps()
    {
        // Runs everywhere: without AVX-512 (DOTNET_EnableAVX512=0 in .ci/run) Vector512 is emulated, and must still be right.
        var xs = Sweep().ToArray();
        double worst = 0;
        for (int i = 0; i + 16 <= xs.Length; i += 16)
        {
            var r = VectorMath.Exp(Vector512.Create(xs, i));
            for (int k = 0; k < 16; k++)
            {
                double exact = Math.Exp(xs[i + k]);
                if (exact > float.MaxValue) { Assert.Equal(float.PositiveInfinity, r[k]); continue; }
                worst = Math.Max(worst, Ulps(r[k], exact));
            }
        }
        Assert.True(worst <= 2, $"worst error {worst} ulp");
    }

    [Fact]
    public void Exp_Vector256_AndScalar_AreWithinTwoUlps()
    {
        var xs = Sweep().ToArray();
        double worst = 0;
        for (int i = 0; i + 8 <= xs.Length; i += 8)
        {
            var r = VectorMath.Exp(Vector256.Create(xs, i));
            for (int k = 0; k < 8; k++)
            {
                double exact = Math.Exp(xs[i + k]);
                if (exact > float.MaxValue) { Assert.Equal(float.PositiveInfinity, r[k]); continue; }
                worst = Math.Max(worst, Ulps(r[k], exact));
                Assert.Equal(r[k], VectorMath.Exp(xs[i + k]));
            }
        }
        Assert.True(worst <= 2, $"worst error {worst} ulp");
    }

    [Fact]
    public void Exp_SpecialValues()
    {
        float[] x = [float.NegativeInfinity, float.PositiveInfinity, float.NaN, -1e30f, 1e30f, 0f, -200f, 100f];
        float[] expected = [0f, float.PositiveInfinity, float.NaN, 0f, float.PositiveInfinity, 1f, 0f, float.PositiveInfinity];
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(expected[i], VectorMath.Exp(x[i]));
            Assert.Equal(expected[i], VectorMath.Exp(Vector256.Create(x[i]))[3]);
            Assert.Equal(expected[i], VectorMath.Exp(Vector512.Create(x[i]))[9]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(100)]
    [InlineData(4099)]
    public void MaxLogSumExp_MatchesFloat64_WhateverTheLength(int n)
    {
        var rng = new Random(n);
        // Increasing ramp so the online max grows often (exercises the rescaling), plus noise.
        float[] x = Enumerable.Range(0, n).Select(i => (float)(i * 0.01 + rng.NextDouble() * 6 - 3)).ToArray();
        double m = x.Max();
        double lse = m + Math.Log(x.Sum(v => Math.Exp(v - m)));
        float mm = VectorMath.MaxLogSumExp(x, out float logSum);
        Assert.Equal((float)m, mm);
        Check.Close(lse, (double)mm + logSum, 1e-6, 0);
        // A −inf anywhere is fine; NaN or +inf poisons.
        x[n / 2] = float.NegativeInfinity;
        VectorMath.MaxLogSumExp(x, out logSum);
        Assert.True(float.IsFinite(logSum) || n == 1);
        x[n - 1] = float.NaN;
        VectorMath.MaxLogSumExp(x, out logSum);
        Assert.True(float.IsNaN(logSum));
        x[n - 1] = float.PositiveInfinity;
        float mInf = VectorMath.MaxLogSumExp(x, out logSum);
        Assert.True(float.IsNaN(mInf - mInf - logSum));
    }

    [Fact]
    public void Log_Vector512_IsWithinTwoUlps_AndHandlesSpecialValues()
    {
        // Runs everywhere: Vector512 operations are emulated where the hardware lacks them, so the arithmetic is checked
        // even on machines whose cross-entropy never takes the AVX-512 row-group path.
        // Log-spaced over the whole positive range, subnormals included, plus the neighbourhood of 1 and of √2.
        var xs = new List<float>();
        for (double e = -149; e < 128; e += 0.00731) xs.Add((float)Math.Pow(2, e));
        for (int k = -3000; k <= 3000; k++) { xs.Add(1f + k * 1e-7f); xs.Add(1.41421356f + k * 1e-7f); }
        xs.RemoveAll(v => !(v > 0 && float.IsFinite(v)));
        while (xs.Count % 16 != 0) xs.Add(2f);
        double worst = 0;
        var all = xs.ToArray();
        for (int i = 0; i < all.Length; i += 16)
        {
            var r = VectorMath.Log(Vector512.Create(all, i));
            for (int k = 0; k < 16; k++)
            {
                double exact = Math.Log(all[i + k]);
                double ulp = exact == 0 ? float.Epsilon : Math.Pow(2, Math.Floor(Math.Log2(Math.Abs(exact))) - 23);
                worst = Math.Max(worst, Math.Abs(r[k] - exact) / ulp);
            }
        }
        Assert.True(worst <= 2, $"worst error {worst} ulp");

        float[] x = [0f, -0f, float.PositiveInfinity, float.NaN, -1f, float.NegativeInfinity, 1f, float.Epsilon];
        float[] expected = [float.NegativeInfinity, float.NegativeInfinity, float.PositiveInfinity, float.NaN, float.NaN, float.NaN, 0f,
            (float)Math.Log(float.Epsilon)];
        for (int i = 0; i < x.Length; i++) Assert.Equal(expected[i], VectorMath.Log(Vector512.Create(x[i]))[5]);
    }
}
