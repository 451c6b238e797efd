using Xent.Tests.Support;
using Xunit;
using Xent.Kernels;
using static Xent.Tests.Kernels.KernelTestUtil;

namespace Xent.Tests.Kernels;

public class GemmTests
{
    /// <summary>
    /// float64 reference of alpha*op(A)*op(B) + beta*C, plus the bound sum|alpha*a*b| + |beta*c| that
    /// scales the float32 rounding error allowed.
    /// </summary>
    private static (double[] Value, double[] Scale) Reference(bool ta, bool tb, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        var value = new double[m * n];
        var scale = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double prod = (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                    s += prod;
                    abs += Math.Abs(prod);
                }
                double cv = beta == 0 ? 0 : (double)beta * c[i * ldc + j];
                value[i * n + j] = alpha * s + cv;
                scale[i * n + j] = Math.Abs(alpha) * abs + Math.Abs(cv);
            }
        return (value, scale);
    }

    private static void Check(bool ta, bool tb, int m, int n, int k, float alpha, float beta, int padA, int padB, int padC,
        Random rnd, Gemm.GemmPath path, bool parallel = true)
    {
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + padA, ldb = bCols + padB, ldc = n + padC;
        float[] a = RandomArray(rnd, Math.Max(0, aRows * lda));
        float[] b = RandomArray(rnd, Math.Max(0, bRows * ldb));
        float[] c = RandomArray(rnd, m * ldc);
        if (beta == 0) Array.Fill(c, float.NaN); // beta == 0 must not read C
        float[] c0 = (float[])c.Clone();
        var (want, scale) = Reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c0, ldc);

        Gemm.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, parallel, path);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double w = want[i * n + j];
                double tol = (k + 4) * 1.2e-7 * scale[i * n + j] + 1e-30;
                float got = c[i * ldc + j];
                if (!(Math.Abs(got - w) <= tol))
                    Assert.Fail($"{path} ta={ta} tb={tb} m={m} n={n} k={k} alpha={alpha} beta={beta} lds+({padA},{padB},{padC}): " +
                        $"C[{i},{j}] = {got}, expected {w} ± {tol}");
            }
            // Padding columns of C are never written.
            for (int j = n; j < ldc; j++)
                Assert.Equal(c0[i * ldc + j], c[i * ldc + j]);
        }
    }

    public static IEnumerable<object[]> Paths() => SupportedGemmPaths().Select(p => new object[] { p });

    [Theory]
    [MemberData(nameof(Paths))]
    internal void RandomOddShapes_AllTransposes(Gemm.GemmPath path)
    {
        var rnd = new Random(1234 + (int)path);
        int[] dims = [1, 2, 3, 5, 7, 8, 9, 13, 14, 15, 16, 17, 29, 31, 32, 33, 47, 64, 70];
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                for (int t = 0; t < 60; t++)
                {
                    int m = dims[rnd.Next(dims.Length)], n = dims[rnd.Next(dims.Length)], k = dims[rnd.Next(dims.Length)];
                    Check(ta, tb, m, n, k, 1f, 0f, 0, 0, 0, rnd, path);
                }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    internal void EveryDimension1To70(Gemm.GemmPath path)
    {
        var rnd = new Random(99);
        // Sweep each dimension over 1..70 with the other two fixed at sizes that leave edge tiles.
        for (int d = 1; d <= 70; d++)
        {
            Check(false, false, d, 37, 19, 1f, 0f, 0, 0, 0, rnd, path);
            Check(true, false, 23, d, 19, 1f, 0f, 0, 0, 0, rnd, path);
            Check(false, true, 23, 37, d, 1f, 0f, 0, 0, 0, rnd, path);
            Check(true, true, d, d, d, 1f, 0f, 0, 0, 0, rnd, path);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    internal void AlphaBetaAndStrides(Gemm.GemmPath path)
    {
        var rnd = new Random(7);
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                foreach (var (alpha, beta) in new[] { (1f, 0f), (1f, 1f), (0.5f, -2f), (-1.5f, 0.25f), (2f, 1f) })
                {
                    Check(ta, tb, 45, 67, 33, alpha, beta, 3, 5, 7, rnd, path);
                    Check(ta, tb, 17, 40, 300, alpha, beta, 1, 0, 2, rnd, path); // k spans several KC slices
                }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    internal void NetworkShapes(Gemm.GemmPath path)
    {
        var rnd = new Random(5);
        Check(false, true, 64, 128, 9216, 1f, 0f, 0, 0, 0, rnd, path);  // fc1 forward X·Wᵀ
        Check(false, false, 64, 9216 / 16, 128, 1f, 0f, 0, 0, 0, rnd, path); // fc1 dX = dY·W (narrowed)
        Check(true, false, 128, 576, 64, 1f, 1f, 0, 0, 0, rnd, path);    // dW += dYᵀ·X
        Check(false, true, 64, 10, 128, 1f, 0f, 0, 0, 0, rnd, path);     // fc2
        Check(false, false, 10, 784, 100, 1f, 0f, 0, 0, 0, rnd, path);
        Check(false, false, 32, 676, 9, 1f, 0f, 0, 0, 0, rnd, path);     // conv1 as im2col GEMM
        Check(false, false, 50, 40, 1, 1f, 0f, 0, 0, 0, rnd, path);      // k = 1
        Check(false, false, 50, 1, 77, 1f, 0f, 0, 0, 0, rnd, path);      // n = 1
        Check(true, true, 1, 1, 1, 2f, 0.5f, 0, 0, 0, rnd, path);
    }

    /// <summary>Narrow or tiny shapes of the small (unpacked) path, and their neighbours just outside it.</summary>
    public static IEnumerable<object[]> SmallPathShapes()
    {
        // Linear 784→10 on a batch of 100: forward X·Wᵀ, dW = dYᵀ·X, dX = dY·W (packed: neither side narrow).
        yield return [false, true, 100, 10, 784];
        yield return [true, false, 10, 784, 100];
        yield return [false, false, 100, 784, 10];
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                // Width at, below and above SmallMaxDim (16) on either side; depth around the Bᵀ limits (64, 128)
                // and the 16-lane vector length; the long side across the tile widths (16·4 columns, 8 rows).
                foreach (int narrow in new[] { 1, 2, 5, 10, 15, 16, 17 })
                    foreach (var (wide, k) in new[] { (33, 63), (65, 64), (100, 127), (130, 128), (7, 129), (64, 17), (50, 300) })
                    {
                        yield return [ta, tb, narrow, wide, k];
                        yield return [ta, tb, wide, narrow, k];
                    }
                // Tiny squares around SmallMaxFlops (2·80³).
                yield return [ta, tb, 24, 24, 24];
                yield return [ta, tb, 79, 81, 80];
                yield return [ta, tb, 81, 81, 81];
            }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    internal void SmallPath_MatchesFloat64Reference(Gemm.GemmPath path)
    {
        foreach (var shape in SmallPathShapes())
        {
            var (ta, tb, m, n, k) = ((bool)shape[0], (bool)shape[1], (int)shape[2], (int)shape[3], (int)shape[4]);
            var rnd = new Random(m * 1_000_003 + n * 1009 + k);
            Check(ta, tb, m, n, k, 1f, 0f, 0, 0, 0, rnd, path);
            Check(ta, tb, m, n, k, 1f, 1f, 3, 1, 5, rnd, path);          // strides wider than the rows
            Check(ta, tb, m, n, k, -0.75f, 0.5f, 17, 2, 16, rnd, path);
            Check(ta, tb, m, n, k, 2f, 0f, 1, 31, 1, rnd, path);         // beta = 0: NaN in C is not read
        }
    }

    [Fact]
    internal void SmallPath_ServesTheNarrowShapes()
    {
        // The shapes above exercise the small path: the Linear step's GEMMs and narrow products take it, whatever
        // the orientation; wide products and short Bᵀ products do not.
        Assert.True(Gemm.UsesSmallPath(false, true, 100, 10, 784));
        Assert.True(Gemm.UsesSmallPath(true, false, 10, 784, 100));
        Assert.True(Gemm.UsesSmallPath(true, true, 100, 10, 784));
        Assert.True(Gemm.UsesSmallPath(false, false, 80, 80, 80));
        Assert.True(Gemm.UsesSmallPath(true, false, 17, 4000, 3));
        Assert.False(Gemm.UsesSmallPath(false, false, 81, 81, 81));
        Assert.False(Gemm.UsesSmallPath(false, true, 16, 256, 127));
        Assert.False(Gemm.UsesSmallPath(true, true, 10, 10, 63));
        Assert.False(Gemm.UsesSmallPath(false, true, 17, 17, 4096));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    internal void SmallPath_ZeroDepthOrZeroAlpha_ScalesC(Gemm.GemmPath path)
    {
        var rnd = new Random(8);
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                foreach (var (alpha, beta, k) in new[] { (1f, 0f, 0), (1f, 2f, 0), (0f, 0f, 100), (0f, -0.5f, 100), (0f, 1f, 7) })
                {
                    Check(ta, tb, 10, 13, k, alpha, beta, 1, 2, 3, rnd, path);
                    Check(ta, tb, 100, 10, k, alpha, beta, 1, 1, 0, rnd, path); // k = 0 needs lda, ldb ≥ 1
                }
    }

    [Fact]
    internal void LargeShape_ParallelTiles()
    {
        var rnd = new Random(11);
        foreach (var path in SupportedGemmPaths().Where(p => p != Gemm.GemmPath.Scalar))
        {
            Check(false, false, 300, 257, 513, 1f, 0f, 0, 0, 0, rnd, path);
            Check(true, true, 257, 300, 513, 0.5f, 1f, 1, 2, 3, rnd, path);
        }
    }

    [Fact]
    public void PublicEntryPoint_MatchesScalarReference()
    {
        var rnd = new Random(3);
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                int m = 37, n = 53, k = 71;
                float[] a = RandomArray(rnd, m * k), b = RandomArray(rnd, k * n), c = RandomArray(rnd, m * n);
                float[] c2 = (float[])c.Clone();
                int lda = ta ? m : k, ldb = tb ? k : n;
                Gemm.Sgemm(ta, tb, m, n, k, 0.75f, a, lda, b, ldb, -0.5f, c, n);
                Gemm.SgemmScalar(ta, tb, m, n, k, 0.75f, a, lda, b, ldb, -0.5f, c2, n);
                for (int i = 0; i < c.Length; i++) Assert.True(Math.Abs(c[i] - c2[i]) <= 2e-5f, $"{ta}{tb} at {i}: {c[i]} vs {c2[i]}");
            }
    }

    [Fact]
    public void SgemmScalar_MatchesFloat64Reference()
    {
        var rnd = new Random(4);
        int m = 9, n = 11, k = 13;
        float[] a = RandomArray(rnd, k * m), b = RandomArray(rnd, n * k), c = RandomArray(rnd, m * n);
        var (want, _) = Reference(true, true, m, n, k, 1.5f, a, m, b, k, 2f, c, n);
        Gemm.SgemmScalar(true, true, m, n, k, 1.5f, a, m, b, k, 2f, c, n);
        for (int i = 0; i < c.Length; i++) Assert.Equal((float)want[i], c[i]);
    }

    [Fact]
    public void ZeroK_OrZeroAlpha_ScalesC_WithoutReadingAB()
    {
        float[] c = [1f, 2f, float.NaN, 4f];
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, [], 1, [], 2, 0f, c, 2);
        Assert.Equal(new float[] { 0, 0, 0, 0 }, c);
        c = [1f, 2f, 3f, 4f];
        float[] nan = [float.NaN, float.NaN, float.NaN, float.NaN];
        Gemm.Sgemm(false, false, 2, 2, 2, 0f, nan, 2, nan, 2, 2f, c, 2);
        Assert.Equal(new float[] { 2, 4, 6, 8 }, c);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        var x = new float[6];
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, -1, 2, 2, 1f, x, 2, x, 2, 0f, x, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, x, 2, x, 2, 0f, x, 2));
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 3, 3, 3, 1f, x, 3, x, 3, 0f, x, 3));
    }
}

[Collection(KernelThreadingCollection.Name)]
public class GemmThreadingTests
{
    [Fact]
    public void ResultsAreBitIdentical_AcrossThreadCounts()
    {
        var rnd = new Random(21);
        foreach (var (ta, tb, m, n, k) in new[]
        {
            (false, false, 301, 190, 700), (true, false, 64, 700, 333), (false, true, 64, 128, 9216), (true, true, 129, 515, 260),
            // Narrow problems on the small path, large enough to be split across threads.
            (false, true, 16, 2000, 784), (false, true, 3000, 10, 200), (true, false, 10, 5000, 100), (true, false, 3000, 10, 200),
            (false, false, 4000, 8, 128), (false, false, 7, 3000, 300), (true, true, 3000, 12, 200), (true, true, 9, 3000, 200),
        })
        {
            int lda = ta ? m : k, ldb = tb ? k : n;
            float[] a = RandomArray(rnd, m * k), b = RandomArray(rnd, k * n), c0 = RandomArray(rnd, m * n);
            float[] Run(int threads) => WithThreads(threads, () =>
            {
                var c = (float[])c0.Clone();
                Gemm.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0.5f, c, n);
                return c;
            });
            float[] one = Run(1), two = Run(2), three = Run(3);
            Assert.Equal(one, two);
            Assert.Equal(one, three);
        }
    }

    [Fact]
    public void ResultsAreBitIdentical_AcrossPanelWidths()
    {
        // The B panel's column cap is chosen per CPU type (Gemm.NC); it must change no bit. Shapes with several panels at the
        // narrowest cap, several 512-deep slices, a row count that is no multiple of the blocks, and each transpose.
        var rnd = new Random(22);
        int saved = Gemm.NC;
        try
        {
            foreach (var (ta, tb, m, n, k) in new[] { (false, false, 301, 2600, 1100), (true, true, 250, 1500, 700) })
            {
                int lda = ta ? m : k, ldb = tb ? k : n;
                float[] a = RandomArray(rnd, m * k), b = RandomArray(rnd, k * n), c0 = RandomArray(rnd, m * n);
                float[] Run(int panel, int threads) => WithThreads(threads, () =>
                {
                    Gemm.NC = panel;
                    var c = (float[])c0.Clone();
                    Gemm.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0.5f, c, n);
                    return c;
                });
                float[] wide = Run(2048, 2);
                Assert.Equal(wide, Run(1024, 2));
                Assert.Equal(wide, Run(256, 2));
                Assert.Equal(wide, Run(1024, 1));
            }
        }
        finally
        {
            Gemm.NC = saved;
        }
    }

    [Fact]
    public void CpuVendorIsReadFromCpuid()
    {
        // /proc/cpuinfo's vendor_id is the same CPUID string, read by the kernel.
        if (ProcCpuInfo.Vendor() is { } vendor) Assert.Equal(vendor, CpuVendor.Name);
    }
}
