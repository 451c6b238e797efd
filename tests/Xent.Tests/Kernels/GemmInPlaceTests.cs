using Xent.Kernels;
using Xunit;
using static Xent.Tests.Kernels.KernelTestUtil;

namespace Xent.Tests.Kernels;

/// <summary>
/// The products that read their operands in place (Gemm.InPlace.cs) against Sgemm's packed path: every element must have the
/// same bits, edge tiles included, and nothing outside C's m×n may be written. On a machine without AVX-512 the gate must
/// say no, so that callers keep to Sgemm.
/// </summary>
public unsafe class GemmInPlaceTests
{
    private const float Canary = 12345f;
    private static readonly bool Avx512 = SupportedGemmPaths().Contains(Gemm.GemmPath.Avx512);

    // m, n, k: whole and edge tiles of 14 rows (88 = 6·14 + 4, 100 = 7·14 + 2, 23 = 14 + 9, 30 = 2·14 + 2), one and two KC
    // slices (k = 700).
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 88, 512, 512 }, { 100, 64, 88 }, { 23, 96, 700 }, { 30, 64, 300 }, { 512, 128, 88 },
    };

    [Fact]
    public void TheGateFollowsTheMicroKernels()
    {
        Assert.Equal(Avx512, Gemm.CanReadInPlace(64, Gemm.BestPath)); // what the fused kernel asks
        Assert.False(Gemm.CanReadInPlace(48, Gemm.GemmPath.Avx512)); // B's width must be whole 32-column panels
        Assert.False(Gemm.CanReadInPlace(64, Gemm.GemmPath.Avx2));
        Assert.False(Gemm.CanReadInPlace(64, Gemm.GemmPath.Scalar));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BInPlace_HasSgemmsBits(int m, int n, int k)
    {
        if (!Avx512) return; // TheGateFollowsTheMicroKernels covers this machine
        Assert.False(Gemm.UsesSmallPath(false, false, m, n, k));
        var rnd = new Random(m * 7 + n + k);
        int lda = k + 3, ldb = n + 32, ldc = n + 5;
        var a = RandomArray(rnd, m * lda);
        var b = RandomArray(rnd, k * ldb);
        foreach (float beta in new[] { 0f, 1f })
        {
            var expected = RandomArray(rnd, m * ldc);
            var actual = (float[])expected.Clone();
            Gemm.Sgemm(false, false, m, n, k, 1f, a, lda, b, ldb, beta, expected, ldc, parallel: false, Gemm.GemmPath.Avx512);
            fixed (float* pa = a, pb = b, pc = actual)
            {
                var rows = new Gemm.MatrixRows(pa, lda, Gemm.GemmPath.Avx512);
                Gemm.SgemmBInPlace(ref rows, m, n, k, pb, ldb, beta, pc, ldc);
            }
            Assert.Equal(expected, actual); // padding columns of C included: untouched by both
        }
    }

    // Shapes with A's row stride m + 9 (0), and two strides that are multiples of 1024 floats, which pack every tile of A.
    public static TheoryData<int, int, int, int> AtBShapes
    {
        get
        {
            var data = new TheoryData<int, int, int, int>();
            foreach (var row in Shapes) data.Add((int)row[0], (int)row[1], (int)row[2], 0);
            data.Add(100, 64, 88, 1024);
            data.Add(30, 96, 700, 2048);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(AtBShapes))]
    public void AtBInPlace_HasSgemmsBits(int m, int n, int k, int stride)
    {
        if (!Avx512) return;
        Assert.False(Gemm.UsesSmallPath(true, false, m, n, k));
        var rnd = new Random(m * 11 + n + k);
        int lda = stride > 0 ? stride : m + 9, ldb = n, ldc = n + 2;
        var a = RandomArray(rnd, k * lda); // stored k×m: op(A) = Aᵀ
        var b = RandomArray(rnd, k * ldb);
        foreach (float beta in new[] { 0f, 1f })
        {
            var expected = RandomArray(rnd, m * ldc);
            var actual = (float[])expected.Clone();
            Gemm.Sgemm(true, false, m, n, k, 1f, a, lda, b, ldb, beta, expected, ldc, parallel: false, Gemm.GemmPath.Avx512);
            fixed (float* pa = a, pb = b, pc = actual) Gemm.SgemmAtBInPlace(pa, lda, m, n, k, pb, ldb, beta, pc, ldc);
            Assert.Equal(expected, actual);
        }
    }

    // m (rows of A, written as columns of C), n (rows of B, any width), k, and A's row stride (0: k + 7). Strides that are
    // multiples of 1024 floats pack every tile of A (whole k, and a 700-deep k in two slices).
    public static TheoryData<int, int, int, int> TransposedShapes => new()
    {
        { 512, 88, 512, 0 }, { 100, 40, 64, 0 }, { 30, 96, 700, 0 }, { 18, 33, 128, 0 }, { 257, 17, 200, 0 },
        { 100, 40, 1024, 1024 }, { 33, 96, 700, 2048 },
    };

    [Theory]
    [MemberData(nameof(TransposedShapes))]
    public void TransposedOut_HasTheBitsOfTheTransposedProduct(int m, int n, int k, int stride)
    {
        if (!Avx512) return;
        // The product written transposed is Sgemm's C = H·Wᵀ (n×m), whose packed path the fused kernel used before.
        Assert.False(Gemm.UsesSmallPath(false, true, n, m, k));
        var rnd = new Random(m + n * 3 + k);
        int ldw = stride > 0 ? stride : k + 7, ldh = k + 1, ldc = m + 20;
        var w = RandomArray(rnd, m * ldw);
        var h = RandomArray(rnd, n * ldh);
        var expected = new float[n * ldc];
        Array.Fill(expected, Canary);
        Gemm.Sgemm(false, true, n, m, k, 1f, h, ldh, w, ldw, 0f, expected, ldc, parallel: false, Gemm.GemmPath.Avx512);
        var actual = new float[n * ldc];
        Array.Fill(actual, Canary);
        var packed = new float[Gemm.PackedBLength(n, k, Gemm.GemmPath.Avx512) + 16];
        fixed (float* pw = w, ph = h, pp = packed, pc = actual)
        {
            Gemm.PackAllB(true, n, k, h, ldh, pp, Gemm.GemmPath.Avx512);
            Gemm.SgemmTransposedOut(pw, ldw, m, n, k, pp, pc, ldc);
        }
        Assert.Equal(expected, actual); // the canaries past each row's m columns too
    }

    [Fact]
    public void LinearCrossEntropyForwardBackward_GivesTheSameBitsEitherWay()
    {
        // Shapes where the in-place products run (D a multiple of 32) with edge tiles in every product, a bias and a cap; and
        // one where they cannot (D = 20), which must simply take Sgemm.
        foreach (var (n, d, v, cap) in new[] { (200, 64, 1500, 0f), (130, 96, 701, 15f), (40, 32, 300, 0f), (90, 20, 700, 0f) })
        {
            var p = LinearCeProblem.Random(n + d, n, d, v, bias: true, classWeight: false, ignored: 3, eps: 0.1f, cap: cap);
            // Several blocks and two partitions, so that two threads leave none spare (a spare thread would send every product
            // to a threaded Sgemm instead); chunks of 200 classes leave edge tiles of 4 rows (200 = 14·14 + 4).
            var chunking = new LinearCrossEntropyChunking(VocabChunk: 200, Partitions: 2, GradientScratchBytes: 64L * v * 4);
            AssertSameBitsEitherWay(p, chunking, threads: 2, $"n {n}, d {d}, v {v}");
        }
    }

    [Fact]
    public void LinearCrossEntropyForwardBackward_LargeBlocksAtLargeD_PackDwAndDhAndGiveTheSameBits()
    {
        // Blocks of over 128 rows at D = 2048: dW's B (a block of H) and dH's B (a chunk of W) are both over 1 MiB, so those two
        // products go through Sgemm while the next block's logits are still made in place; the mix must give the all-Sgemm bits.
        const int n = 300, d = 2048, v = 700;
        var p = LinearCeProblem.Random(77, n, d, v, bias: true, classWeight: false, ignored: 2, eps: 0.1f, cap: 0f);
        var chunking = new LinearCrossEntropyChunking(VocabChunk: 320, Partitions: 2,
            GradientScratchBytes: 152L * (v + d) * sizeof(float) + n * sizeof(float)); // 152 rows: one partial dH of D
        int rows = chunking.GradientRows(n, v, d);
        Assert.InRange(rows, 129, n - 1); // two blocks, each over 128 rows
        Assert.False(Gemm.BInPlacePays(320, rows, d), "dW would read its B in place");
        Assert.False(Gemm.BInPlacePays(rows, 320, d), "dH would read its B in place");
        AssertSameBitsEitherWay(p, chunking, threads: 2, $"n {n}, d {d}, v {v}");
    }

    [Fact]
    public void LinearCrossEntropyForwardBackward_RandomShapes_SameBitsEitherWay()
    {
        // Tiny and odd shapes: one-row blocks, chunks narrower than a tile, one class, a last block of a single row, 1–3
        // threads; each product either runs in place or falls back to Sgemm, and every result must be the same.
        var rnd = new Random(2026);
        for (int i = 0; i < 40; i++)
        {
            int n = rnd.Next(1, 120), d = new[] { 32, 64, 96, 20 }[rnd.Next(4)], v = rnd.Next(1, 600);
            var p = LinearCeProblem.Random(i, n, d, v, bias: rnd.Next(2) == 0, classWeight: false, ignored: rnd.Next(3), eps: 0.05f,
                cap: rnd.Next(3) == 0 ? 10f : 0f);
            var chunking = new LinearCrossEntropyChunking(VocabChunk: new[] { 0, 13, 40, 200 }[rnd.Next(4)], Partitions: rnd.Next(0, 4),
                GradientScratchBytes: rnd.Next(2) == 0 ? 0 : rnd.Next(1, 50) * v * 4L);
            int threads = rnd.Next(1, 4);
            AssertSameBitsEitherWay(p, chunking, threads, $"n {n}, d {d}, v {v}, {chunking}, {threads} threads");
        }
    }

    /// <summary>The fused kernel (mean) with the products in place and through Sgemm: loss and gradients bit for bit.</summary>
    private static void AssertSameBitsEitherWay(LinearCeProblem p, LinearCrossEntropyChunking chunking, int threads, string shape)
    {
        var inPlace = Run(p, chunking, true, threads);
        var packed = Run(p, chunking, false, threads);
        Assert.True(packed.Totals.LossSum.Equals(inPlace.Totals.LossSum), $"{shape}: loss");
        Assert.True(packed.GradHidden.AsSpan().SequenceEqual(inPlace.GradHidden), $"{shape}: grad hidden");
        Assert.True(packed.GradWeight.AsSpan().SequenceEqual(inPlace.GradWeight), $"{shape}: grad weight");
        Assert.True(packed.GradBias.AsSpan().SequenceEqual(inPlace.GradBias), $"{shape}: grad bias");
    }

    private static (CrossEntropyTotals Totals, float[] GradHidden, float[] GradWeight, float[] GradBias) Run(LinearCeProblem p,
        LinearCrossEntropyChunking chunking, bool inPlace, int threads)
    {
        bool before = LinearCrossEntropyKernel.ReadOperandsInPlace;
        LinearCrossEntropyKernel.ReadOperandsInPlace = inPlace;
        try
        {
            return WithThreads(threads, () => LinearCrossEntropyKernelTests.RunForwardBackward(p, mean: true, chunking));
        }
        finally
        {
            LinearCrossEntropyKernel.ReadOperandsInPlace = before;
        }
    }
}
