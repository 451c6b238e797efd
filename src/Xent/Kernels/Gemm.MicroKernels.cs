using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Kernels;

// Register-tiled micro-kernels of Gemm. The bodies are unrolled by hand (no generator; Gemm.SmallKernels.cs is
// the generated file), because the JIT keeps each named accumulator in its own register: 14x32 uses 28 of the 32 zmm registers for C,
// two for B and one for the broadcast A value; 6x16 uses 12+3 of the 16 ymm. Each accumulator sums
// its products in k order with one fused multiply-add per step, so an element of C gets the same
// value from the full tile and from any edge variant.
internal static unsafe partial class Gemm
{
    private const int MR512 = 14, NR512 = 32;
    private const int MR256 = 6, NR256 = 16;
    private const int MR128 = 6, NR128 = 8;
    private const int MRScalar = 4, NRScalar = 4;

    /// <summary>
    /// Runs the smallest AVX-512 tile covering <paramref name="rows"/>×<paramref name="cols"/> of a
    /// 14x32 panel pair. Returns false when no variant fits exactly (the caller then uses scratch).
    /// </summary>
    private static void Kernel512Edge(int rows, int cols, int kc, float* a, float* b, int ldb, float* c, int ldc, float alpha, float beta,
        int mode)
    {
        bool narrow = cols <= 16;
        if (rows <= 4)
        {
            if (narrow) Kernel512_4x16(kc, a, b, ldb, c, ldc, alpha, beta, mode);
            else Kernel512_4x32(kc, a, b, ldb, c, ldc, alpha, beta, mode);
        }
        else if (rows <= 8)
        {
            if (narrow) Kernel512_8x16(kc, a, b, ldb, c, ldc, alpha, beta, mode);
            else Kernel512_8x32(kc, a, b, ldb, c, ldc, alpha, beta, mode);
        }
        else
        {
            if (narrow) Kernel512_14x16(kc, a, b, ldb, c, ldc, alpha, beta, mode);
            else Kernel512(kc, a, b, ldb, c, ldc, alpha, beta, mode);
        }
    }

    /// <summary>
    /// One rows×cols tile (at most 14×32) on the AVX-512 path: the full kernel, else the smallest edge variant, straight into C
    /// when it covers the tile exactly and through <paramref name="tile"/> (14×32 scratch) and <see cref="MergeEdge"/>
    /// otherwise. A is read <paramref name="lda"/> floats per step (packed: 14; the edge variants need it packed), B
    /// <paramref name="ldb"/> per step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile512(int rows, int cols, int kc, float* a, int lda, float* b, int ldb, float* c, int ldc, float alpha,
        float beta, int mode, float* tile)
    {
        if (rows == MR512 && cols == NR512)
        {
            Kernel512(kc, a, b, ldb, c, ldc, alpha, beta, mode, lda);
            return;
        }
        Debug.Assert(lda == MR512, "The edge variants read a packed A.");
        var (er, ec) = Kernel512EdgeExtent(rows, cols);
        if (er == rows && ec == cols)
        {
            Kernel512Edge(rows, cols, kc, a, b, ldb, c, ldc, alpha, beta, mode);
            return;
        }
        Kernel512Edge(rows, cols, kc, a, b, ldb, tile, NR512, 1f, 0f, 0);
        MergeEdge(tile, NR512, c, ldc, rows, cols, alpha, beta, mode);
    }

    /// <summary>Rows and columns that <see cref="Kernel512Edge"/> computes for an edge of rows×cols.</summary>
    private static (int Rows, int Cols) Kernel512EdgeExtent(int rows, int cols) =>
        (rows <= 4 ? 4 : rows <= 8 ? 8 : MR512, cols <= 16 ? 16 : 32);

    /// <summary>
    /// 14x32 register tile: C[14,32] (op) alpha·Σ_k Ap[k,·]ᵀBp[k,·]. Step k reads 14 values of A from a + k·lda and 32 of B
    /// from b + k·ldb: packed panels (lda = 14, ldb = 32), or A's columns and B's rows in place (Gemm.InPlace.cs). The AVX-512
    /// edge variants take the same B stride over a packed A.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(int kc, float* a, float* b, int ldb, float* c, int ldc, float alpha, float beta, int mode,
        int lda = MR512)
    {
        // Start fetching the C tile now; it is only needed after the k loop.
        Sse.Prefetch0(c + 0 * ldc); Sse.Prefetch0(c + 0 * ldc + 16);
        Sse.Prefetch0(c + 1 * ldc); Sse.Prefetch0(c + 1 * ldc + 16);
        Sse.Prefetch0(c + 2 * ldc); Sse.Prefetch0(c + 2 * ldc + 16);
        Sse.Prefetch0(c + 3 * ldc); Sse.Prefetch0(c + 3 * ldc + 16);
        Sse.Prefetch0(c + 4 * ldc); Sse.Prefetch0(c + 4 * ldc + 16);
        Sse.Prefetch0(c + 5 * ldc); Sse.Prefetch0(c + 5 * ldc + 16);
        Sse.Prefetch0(c + 6 * ldc); Sse.Prefetch0(c + 6 * ldc + 16);
        Sse.Prefetch0(c + 7 * ldc); Sse.Prefetch0(c + 7 * ldc + 16);
        Sse.Prefetch0(c + 8 * ldc); Sse.Prefetch0(c + 8 * ldc + 16);
        Sse.Prefetch0(c + 9 * ldc); Sse.Prefetch0(c + 9 * ldc + 16);
        Sse.Prefetch0(c + 10 * ldc); Sse.Prefetch0(c + 10 * ldc + 16);
        Sse.Prefetch0(c + 11 * ldc); Sse.Prefetch0(c + 11 * ldc + 16);
        Sse.Prefetch0(c + 12 * ldc); Sse.Prefetch0(c + 12 * ldc + 16);
        Sse.Prefetch0(c + 13 * ldc); Sse.Prefetch0(c + 13 * ldc + 16);
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        Vector512<float> c6_0 = default; Vector512<float> c6_1 = default;
        Vector512<float> c7_0 = default; Vector512<float> c7_1 = default;
        Vector512<float> c8_0 = default; Vector512<float> c8_1 = default;
        Vector512<float> c9_0 = default; Vector512<float> c9_1 = default;
        Vector512<float> c10_0 = default; Vector512<float> c10_1 = default;
        Vector512<float> c11_0 = default; Vector512<float> c11_1 = default;
        Vector512<float> c12_0 = default; Vector512<float> c12_1 = default;
        Vector512<float> c13_0 = default; Vector512<float> c13_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            Vector512<float> b1 = Vector512.Load(b + 16);
            { Vector512<float> av = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0);
              c0_1 = Vector512.FusedMultiplyAdd(av, b1, c0_1); }
            { Vector512<float> av = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0);
              c1_1 = Vector512.FusedMultiplyAdd(av, b1, c1_1); }
            { Vector512<float> av = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0);
              c2_1 = Vector512.FusedMultiplyAdd(av, b1, c2_1); }
            { Vector512<float> av = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0);
              c3_1 = Vector512.FusedMultiplyAdd(av, b1, c3_1); }
            { Vector512<float> av = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(av, b0, c4_0);
              c4_1 = Vector512.FusedMultiplyAdd(av, b1, c4_1); }
            { Vector512<float> av = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(av, b0, c5_0);
              c5_1 = Vector512.FusedMultiplyAdd(av, b1, c5_1); }
            { Vector512<float> av = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(av, b0, c6_0);
              c6_1 = Vector512.FusedMultiplyAdd(av, b1, c6_1); }
            { Vector512<float> av = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(av, b0, c7_0);
              c7_1 = Vector512.FusedMultiplyAdd(av, b1, c7_1); }
            { Vector512<float> av = Vector512.Create(a[8]); c8_0 = Vector512.FusedMultiplyAdd(av, b0, c8_0);
              c8_1 = Vector512.FusedMultiplyAdd(av, b1, c8_1); }
            { Vector512<float> av = Vector512.Create(a[9]); c9_0 = Vector512.FusedMultiplyAdd(av, b0, c9_0);
              c9_1 = Vector512.FusedMultiplyAdd(av, b1, c9_1); }
            { Vector512<float> av = Vector512.Create(a[10]); c10_0 = Vector512.FusedMultiplyAdd(av, b0, c10_0);
              c10_1 = Vector512.FusedMultiplyAdd(av, b1, c10_1); }
            { Vector512<float> av = Vector512.Create(a[11]); c11_0 = Vector512.FusedMultiplyAdd(av, b0, c11_0);
              c11_1 = Vector512.FusedMultiplyAdd(av, b1, c11_1); }
            { Vector512<float> av = Vector512.Create(a[12]); c12_0 = Vector512.FusedMultiplyAdd(av, b0, c12_0);
              c12_1 = Vector512.FusedMultiplyAdd(av, b1, c12_1); }
            { Vector512<float> av = Vector512.Create(a[13]); c13_0 = Vector512.FusedMultiplyAdd(av, b0, c13_0);
              c13_1 = Vector512.FusedMultiplyAdd(av, b1, c13_1); }
            a += lda; b += ldb;
        }
        Vector512<float> al = Vector512.Create(alpha), be = Vector512.Create(beta);
        Store(c + 0 * ldc + 0, c0_0, al, be, mode); Store(c + 0 * ldc + 16, c0_1, al, be, mode);
        Store(c + 1 * ldc + 0, c1_0, al, be, mode); Store(c + 1 * ldc + 16, c1_1, al, be, mode);
        Store(c + 2 * ldc + 0, c2_0, al, be, mode); Store(c + 2 * ldc + 16, c2_1, al, be, mode);
        Store(c + 3 * ldc + 0, c3_0, al, be, mode); Store(c + 3 * ldc + 16, c3_1, al, be, mode);
        Store(c + 4 * ldc + 0, c4_0, al, be, mode); Store(c + 4 * ldc + 16, c4_1, al, be, mode);
        Store(c + 5 * ldc + 0, c5_0, al, be, mode); Store(c + 5 * ldc + 16, c5_1, al, be, mode);
        Store(c + 6 * ldc + 0, c6_0, al, be, mode); Store(c + 6 * ldc + 16, c6_1, al, be, mode);
        Store(c + 7 * ldc + 0, c7_0, al, be, mode); Store(c + 7 * ldc + 16, c7_1, al, be, mode);
        Store(c + 8 * ldc + 0, c8_0, al, be, mode); Store(c + 8 * ldc + 16, c8_1, al, be, mode);
        Store(c + 9 * ldc + 0, c9_0, al, be, mode); Store(c + 9 * ldc + 16, c9_1, al, be, mode);
        Store(c + 10 * ldc + 0, c10_0, al, be, mode); Store(c + 10 * ldc + 16, c10_1, al, be, mode);
        Store(c + 11 * ldc + 0, c11_0, al, be, mode); Store(c + 11 * ldc + 16, c11_1, al, be, mode);
        Store(c + 12 * ldc + 0, c12_0, al, be, mode); Store(c + 12 * ldc + 16, c12_1, al, be, mode);
        Store(c + 13 * ldc + 0, c13_0, al, be, mode); Store(c + 13 * ldc + 16, c13_1, al, be, mode);
    }

    /// <summary>Edge variant: the first 14 rows and 16 columns of the 14x32 tile (same panels, same per-element operations).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512_14x16(int kc, float* a, float* b, int ldb, float* c, int ldc, float alpha, float beta, int mode)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        Vector512<float> c6_0 = default;
        Vector512<float> c7_0 = default;
        Vector512<float> c8_0 = default;
        Vector512<float> c9_0 = default;
        Vector512<float> c10_0 = default;
        Vector512<float> c11_0 = default;
        Vector512<float> c12_0 = default;
        Vector512<float> c13_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            { Vector512<float> av = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0); }
            { Vector512<float> av = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0); }
            { Vector512<float> av = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0); }
            { Vector512<float> av = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0); }
            { Vector512<float> av = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(av, b0, c4_0); }
            { Vector512<float> av = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(av, b0, c5_0); }
            { Vector512<float> av = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(av, b0, c6_0); }
            { Vector512<float> av = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(av, b0, c7_0); }
            { Vector512<float> av = Vector512.Create(a[8]); c8_0 = Vector512.FusedMultiplyAdd(av, b0, c8_0); }
            { Vector512<float> av = Vector512.Create(a[9]); c9_0 = Vector512.FusedMultiplyAdd(av, b0, c9_0); }
            { Vector512<float> av = Vector512.Create(a[10]); c10_0 = Vector512.FusedMultiplyAdd(av, b0, c10_0); }
            { Vector512<float> av = Vector512.Create(a[11]); c11_0 = Vector512.FusedMultiplyAdd(av, b0, c11_0); }
            { Vector512<float> av = Vector512.Create(a[12]); c12_0 = Vector512.FusedMultiplyAdd(av, b0, c12_0); }
            { Vector512<float> av = Vector512.Create(a[13]); c13_0 = Vector512.FusedMultiplyAdd(av, b0, c13_0); }
            a += MR512; b += ldb;
        }
        Vector512<float> al = Vector512.Create(alpha), be = Vector512.Create(beta);
        Store(c + 0 * ldc + 0, c0_0, al, be, mode);
        Store(c + 1 * ldc + 0, c1_0, al, be, mode);
        Store(c + 2 * ldc + 0, c2_0, al, be, mode);
        Store(c + 3 * ldc + 0, c3_0, al, be, mode);
        Store(c + 4 * ldc + 0, c4_0, al, be, mode);
        Store(c + 5 * ldc + 0, c5_0, al, be, mode);
        Store(c + 6 * ldc + 0, c6_0, al, be, mode);
        Store(c + 7 * ldc + 0, c7_0, al, be, mode);
        Store(c + 8 * ldc + 0, c8_0, al, be, mode);
        Store(c + 9 * ldc + 0, c9_0, al, be, mode);
        Store(c + 10 * ldc + 0, c10_0, al, be, mode);
        Store(c + 11 * ldc + 0, c11_0, al, be, mode);
        Store(c + 12 * ldc + 0, c12_0, al, be, mode);
        Store(c + 13 * ldc + 0, c13_0, al, be, mode);
    }

    /// <summary>Edge variant: the first 8 rows and 32 columns of the 14x32 tile (same panels, same per-element operations).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512_8x32(int kc, float* a, float* b, int ldb, float* c, int ldc, float alpha, float beta, int mode)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        Vector512<float> c6_0 = default; Vector512<float> c6_1 = default;
        Vector512<float> c7_0 = default; Vector512<float> c7_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            Vector512<float> b1 = Vector512.Load(b + 16);
            { Vector512<float> av = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0);
              c0_1 = Vector512.FusedMultiplyAdd(av, b1, c0_1); }
            { Vector512<float> av = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0);
              c1_1 = Vector512.FusedMultiplyAdd(av, b1, c1_1); }
            { Vector512<float> av = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0);
              c2_1 = Vector512.FusedMultiplyAdd(av, b1, c2_1); }
            { Vector512<float> av = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0);
              c3_1 = Vector512.FusedMultiplyAdd(av, b1, c3_1); }
            { Vector512<float> av = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(av, b0, c4_0);
              c4_1 = Vector512.FusedMultiplyAdd(av, b1, c4_1); }
            { Vector512<float> av = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(av, b0, c5_0);
              c5_1 = Vector512.FusedMultiplyAdd(av, b1, c5_1); }
            { Vector512<float> av = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(av, b0, c6_0);
              c6_1 = Vector512.FusedMultiplyAdd(av, b1, c6_1); }
            { Vector512<float> av = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(av, b0, c7_0);
              c7_1 = Vector512.FusedMultiplyAdd(av, b1, c7_1); }
            a += MR512; b += ldb;
        }
        Vector512<float> al = Vector512.Create(alpha), be = Vector512.Create(beta);
        Store(c + 0 * ldc + 0, c0_0, al, be, mode); Store(c + 0 * ldc + 16, c0_1, al, be, mode);
        Store(c + 1 * ldc + 0, c1_0, al, be, mode); Store(c + 1 * ldc + 16, c1_1, al, be, mode);
        Store(c + 2 * ldc + 0, c2_0, al, be, mode); Store(c + 2 * ldc + 16, c2_1, al, be, mode);
        Store(c + 3 * ldc + 0, c3_0, al, be, mode); Store(c + 3 * ldc + 16, c3_1, al, be, mode);
        Store(c + 4 * ldc + 0, c4_0, al, be, mode); Store(c + 4 * ldc + 16, c4_1, al, be, mode);
        Store(c + 5 * ldc + 0, c5_0, al, be, mode); Store(c + 5 * ldc + 16, c5_1, al, be, mode);
        Store(c + 6 * ldc + 0, c6_0, al, be, mode); Store(c + 6 * ldc + 16, c6_1, al, be, mode);
        Store(c + 7 * ldc + 0, c7_0, al, be, mode); Store(c + 7 * ldc + 16, c7_1, al, be, mode);
    }

    /// <summary>Edge variant: the first 8 rows and 16 columns of the 14x32 tile (same panels, same per-element operations).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512_8x16(int kc, float* a, float* b, int ldb, float* c, int ldc, float alpha, float beta, int mode)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        Vector512<float> c6_0 = default;
        Vector512<float> c7_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            { Vector512<float> av = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0); }
            { Vector512<float> av = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0); }
            { Vector512<float> av = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0); }
            { Vector512<float> av = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0); }
            { Vector512<float> av = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(av, b0, c4_0); }
            { Vector512<float> av = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(av, b0, c5_0); }
            { Vector512<float> av = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(av, b0, c6_0); }
            { Vector512<float> av = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(av, b0, c7_0); }
            a += MR512; b += ldb;
        }
        Vector512<float> al = Vector512.Create(alpha), be = Vector512.Create(beta);
        Store(c + 0 * ldc + 0, c0_0, al, be, mode);
        Store(c + 1 * ldc + 0, c1_0, al, be, mode);
        Store(c + 2 * ldc + 0, c2_0, al, be, mode);
        Store(c + 3 * ldc + 0, c3_0, al, be, mode);
        Store(c + 4 * ldc + 0, c4_0, al, be, mode);
        Store(c + 5 * ldc + 0, c5_0, al, be, mode);
        Store(c + 6 * ldc + 0, c6_0, al, be, mode);
        Store(c + 7 * ldc + 0, c7_0, al, be, mode);
    }

    /// <summary>Edge variant: the first 4 rows and 32 columns of the 14x32 tile (same panels, same per-element operations).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512_4x32(int kc, float* a, float* b, int ldb, float* c, int ldc, float alpha, float beta, int mode)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            Vector512<float> b1 = Vector512.Load(b + 16);
            { Vector512<float> av = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0);
              c0_1 = Vector512.FusedMultiplyAdd(av, b1, c0_1); }
            { Vector512<float> av = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0);
              c1_1 = Vector512.FusedMultiplyAdd(av, b1, c1_1); }
            { Vector512<float> av = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0);
              c2_1 = Vector512.FusedMultiplyAdd(av, b1, c2_1); }
            { Vector512<float> av = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0);
              c3_1 = Vector512.FusedMultiplyAdd(av, b1, c3_1); }
            a += MR512; b += ldb;
        }
        Vector512<float> al = Vector512.Create(alpha), be = Vector512.Create(beta);
        Store(c + 0 * ldc + 0, c0_0, al, be, mode); Store(c + 0 * ldc + 16, c0_1, al, be, mode);
        Store(c + 1 * ldc + 0, c1_0, al, be, mode); Store(c + 1 * ldc + 16, c1_1, al, be, mode);
        Store(c + 2 * ldc + 0, c2_0, al, be, mode); Store(c + 2 * ldc + 16, c2_1, al, be, mode);
        Store(c + 3 * ldc + 0, c3_0, al, be, mode); Store(c + 3 * ldc + 16, c3_1, al, be, mode);
    }

    /// <summary>Edge variant: the first 4 rows and 16 columns of the 14x32 tile (same panels, same per-element operations).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512_4x16(int kc, float* a, float* b, int ldb, float* c, int ldc, float alpha, float beta, int mode)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            { Vector512<float> av = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0); }
            { Vector512<float> av = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0); }
            { Vector512<float> av = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0); }
            { Vector512<float> av = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0); }
            a += MR512; b += ldb;
        }
        Vector512<float> al = Vector512.Create(alpha), be = Vector512.Create(beta);
        Store(c + 0 * ldc + 0, c0_0, al, be, mode);
        Store(c + 1 * ldc + 0, c1_0, al, be, mode);
        Store(c + 2 * ldc + 0, c2_0, al, be, mode);
        Store(c + 3 * ldc + 0, c3_0, al, be, mode);
    }

    /// <summary>6x16 register tile for AVX2+FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, int mode)
    {
        Vector256<float> c0_0 = default; Vector256<float> c0_1 = default;
        Vector256<float> c1_0 = default; Vector256<float> c1_1 = default;
        Vector256<float> c2_0 = default; Vector256<float> c2_1 = default;
        Vector256<float> c3_0 = default; Vector256<float> c3_1 = default;
        Vector256<float> c4_0 = default; Vector256<float> c4_1 = default;
        Vector256<float> c5_0 = default; Vector256<float> c5_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b + 0);
            Vector256<float> b1 = Vector256.Load(b + 8);
            { Vector256<float> av = Vector256.Create(a[0]); c0_0 = Vector256.FusedMultiplyAdd(av, b0, c0_0);
              c0_1 = Vector256.FusedMultiplyAdd(av, b1, c0_1); }
            { Vector256<float> av = Vector256.Create(a[1]); c1_0 = Vector256.FusedMultiplyAdd(av, b0, c1_0);
              c1_1 = Vector256.FusedMultiplyAdd(av, b1, c1_1); }
            { Vector256<float> av = Vector256.Create(a[2]); c2_0 = Vector256.FusedMultiplyAdd(av, b0, c2_0);
              c2_1 = Vector256.FusedMultiplyAdd(av, b1, c2_1); }
            { Vector256<float> av = Vector256.Create(a[3]); c3_0 = Vector256.FusedMultiplyAdd(av, b0, c3_0);
              c3_1 = Vector256.FusedMultiplyAdd(av, b1, c3_1); }
            { Vector256<float> av = Vector256.Create(a[4]); c4_0 = Vector256.FusedMultiplyAdd(av, b0, c4_0);
              c4_1 = Vector256.FusedMultiplyAdd(av, b1, c4_1); }
            { Vector256<float> av = Vector256.Create(a[5]); c5_0 = Vector256.FusedMultiplyAdd(av, b0, c5_0);
              c5_1 = Vector256.FusedMultiplyAdd(av, b1, c5_1); }
            a += MR256; b += NR256;
        }
        Vector256<float> al = Vector256.Create(alpha), be = Vector256.Create(beta);
        Store(c + 0 * ldc + 0, c0_0, al, be, mode); Store(c + 0 * ldc + 8, c0_1, al, be, mode);
        Store(c + 1 * ldc + 0, c1_0, al, be, mode); Store(c + 1 * ldc + 8, c1_1, al, be, mode);
        Store(c + 2 * ldc + 0, c2_0, al, be, mode); Store(c + 2 * ldc + 8, c2_1, al, be, mode);
        Store(c + 3 * ldc + 0, c3_0, al, be, mode); Store(c + 3 * ldc + 8, c3_1, al, be, mode);
        Store(c + 4 * ldc + 0, c4_0, al, be, mode); Store(c + 4 * ldc + 8, c4_1, al, be, mode);
        Store(c + 5 * ldc + 0, c5_0, al, be, mode); Store(c + 5 * ldc + 8, c5_1, al, be, mode);
    }

    /// <summary>
    /// 6x8 tile of 128-bit vectors, for machines whose widest fast vectors are 128 bits (ARM64's AdvSimd; x64 with FMA but
    /// not AVX2): 12 accumulators, two B vectors and the broadcast A value fit x64's 16 xmm registers and ARM64's 32.
    /// Without it those machines took the 4x4 scalar tile, 20–90× slower.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void Kernel128(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, int mode)
    {
        Vector128<float> c0_0 = default; Vector128<float> c0_1 = default;
        Vector128<float> c1_0 = default; Vector128<float> c1_1 = default;
        Vector128<float> c2_0 = default; Vector128<float> c2_1 = default;
        Vector128<float> c3_0 = default; Vector128<float> c3_1 = default;
        Vector128<float> c4_0 = default; Vector128<float> c4_1 = default;
        Vector128<float> c5_0 = default; Vector128<float> c5_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector128<float> b0 = Vector128.Load(b + 0);
            Vector128<float> b1 = Vector128.Load(b + 4);
            { Vector128<float> av = Vector128.Create(a[0]); c0_0 = Vector128.FusedMultiplyAdd(av, b0, c0_0);
              c0_1 = Vector128.FusedMultiplyAdd(av, b1, c0_1); }
            { Vector128<float> av = Vector128.Create(a[1]); c1_0 = Vector128.FusedMultiplyAdd(av, b0, c1_0);
              c1_1 = Vector128.FusedMultiplyAdd(av, b1, c1_1); }
            { Vector128<float> av = Vector128.Create(a[2]); c2_0 = Vector128.FusedMultiplyAdd(av, b0, c2_0);
              c2_1 = Vector128.FusedMultiplyAdd(av, b1, c2_1); }
            { Vector128<float> av = Vector128.Create(a[3]); c3_0 = Vector128.FusedMultiplyAdd(av, b0, c3_0);
              c3_1 = Vector128.FusedMultiplyAdd(av, b1, c3_1); }
            { Vector128<float> av = Vector128.Create(a[4]); c4_0 = Vector128.FusedMultiplyAdd(av, b0, c4_0);
              c4_1 = Vector128.FusedMultiplyAdd(av, b1, c4_1); }
            { Vector128<float> av = Vector128.Create(a[5]); c5_0 = Vector128.FusedMultiplyAdd(av, b0, c5_0);
              c5_1 = Vector128.FusedMultiplyAdd(av, b1, c5_1); }
            a += MR128; b += NR128;
        }
        Vector128<float> al = Vector128.Create(alpha), be = Vector128.Create(beta);
        Store(c + 0 * ldc + 0, c0_0, al, be, mode); Store(c + 0 * ldc + 4, c0_1, al, be, mode);
        Store(c + 1 * ldc + 0, c1_0, al, be, mode); Store(c + 1 * ldc + 4, c1_1, al, be, mode);
        Store(c + 2 * ldc + 0, c2_0, al, be, mode); Store(c + 2 * ldc + 4, c2_1, al, be, mode);
        Store(c + 3 * ldc + 0, c3_0, al, be, mode); Store(c + 3 * ldc + 4, c3_1, al, be, mode);
        Store(c + 4 * ldc + 0, c4_0, al, be, mode); Store(c + 4 * ldc + 4, c4_1, al, be, mode);
        Store(c + 5 * ldc + 0, c5_0, al, be, mode); Store(c + 5 * ldc + 4, c5_1, al, be, mode);
    }

    /// <inheritdoc cref="Store(float*, Vector512{float}, Vector512{float}, Vector512{float}, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector128<float> acc, Vector128<float> alpha, Vector128<float> beta, int mode)
    {
        if (mode == 0) Vector128.Store(acc * alpha, c);
        else if (mode == 1) Vector128.Store(Vector128.FusedMultiplyAdd(acc, alpha, Vector128.Load(c)), c);
        else Vector128.Store(Vector128.FusedMultiplyAdd(acc, alpha, Vector128.Load(c) * beta), c);
    }

    /// <summary>Writes one accumulator vector to C: mode 0 = alpha*acc, 1 = C + alpha*acc, 2 = beta*C + alpha*acc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> acc, Vector512<float> alpha, Vector512<float> beta, int mode)
    {
        if (mode == 0) Vector512.Store(acc * alpha, c);
        else if (mode == 1) Vector512.Store(Vector512.FusedMultiplyAdd(acc, alpha, Vector512.Load(c)), c);
        else Vector512.Store(Vector512.FusedMultiplyAdd(acc, alpha, Vector512.Load(c) * beta), c);
    }

    /// <inheritdoc cref="Store(float*, Vector512{float}, Vector512{float}, Vector512{float}, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> acc, Vector256<float> alpha, Vector256<float> beta, int mode)
    {
        if (mode == 0) Vector256.Store(acc * alpha, c);
        else if (mode == 1) Vector256.Store(Vector256.FusedMultiplyAdd(acc, alpha, Vector256.Load(c)), c);
        else Vector256.Store(Vector256.FusedMultiplyAdd(acc, alpha, Vector256.Load(c) * beta), c);
    }

    /// <summary>Portable 4x4 tile for machines without SIMD (and for DOTNET_EnableHWIntrinsic=0 runs).</summary>
    private static void KernelScalar(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, int mode)
    {
        float* acc = stackalloc float[MRScalar * NRScalar];
        for (int i = 0; i < MRScalar * NRScalar; i++) acc[i] = 0f;
        for (int p = 0; p < kc; p++, a += MRScalar, b += NRScalar)
            for (int i = 0; i < MRScalar; i++)
                for (int j = 0; j < NRScalar; j++)
                    acc[i * NRScalar + j] = MathF.FusedMultiplyAdd(a[i], b[j], acc[i * NRScalar + j]);
        MergeEdge(acc, NRScalar, c, ldc, MRScalar, NRScalar, alpha, beta, mode);
    }
}
