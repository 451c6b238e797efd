using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Kernels;

// Products that read their operands where they are stored instead of packing them, for the fused linear + cross-entropy,
// whose products are small (a block of ~96 rows against a 512-class chunk of W): there, packing a 1 MiB chunk of W twice per
// block cost more than the products lose by reading it in place. The AVX-512 micro-kernels already load B 32 floats per
// step, so B is read in place whenever its width is whole 32-column panels; A is read either as columns (one k per row of a stored
// k×m matrix, Kernel512's broadcast order) or as rows (Kernel512RowsOfA). Every sum is Kernel512's (one fused multiply-add
// per element and step, in k order, in Sgemm's KC slices), so each element gets the bits Sgemm's packed path gives it.
internal static unsafe partial class Gemm
{
    /// <summary>
    /// Whether rows <paramref name="stride"/> floats apart are a multiple of 4 KiB apart, so that all of them map to one set of
    /// the 8-way L1 and a kernel that keeps more than 8 of them in use evicts its own operand. The products here pack such an
    /// operand instead of reading it in place (the packing reads each cache line once, whole).
    /// </summary>
    private static bool RowsShareL1Set(long stride) => stride % 1024 == 0;

    /// <summary>Whether the products here take an op(B) with <paramref name="n"/> columns read in place on this path.</summary>
    internal static bool CanReadInPlace(int n, GemmPath path) => path == GemmPath.Avx512 && n % NR512 == 0;

    /// <summary>
    /// Whether reading a k×n B in place beats packing it for a product with <paramref name="m"/> rows of A. The products here
    /// sweep all of B once per 14-row tile of A, 32 floats of each row at a time. While B fits the 1 MiB L2 the sweeps after
    /// the first read it from there; a larger B comes again from L3 or memory for every tile, in 128-byte pieces a row apart
    /// that the prefetchers do not follow, where Sgemm's packed copy streams. Packing pays only over many tiles: at N=4096,
    /// D=2048, V=128256 the fused linear + CE's dW and dH (m = 512 and 320) ran at 82–88 GFLOP/s per thread in place and
    /// 96–101 packed; with m = 80 or 96 (N=1024, D = 1024 or 2048) in place was as fast or faster.
    /// </summary>
    internal static bool BInPlacePays(int m, int k, int n) => m <= InPlaceBMaxRowsOfA || (long)k * n * sizeof(float) <= L2Bytes;

    /// <summary>One core's L2 on the machines measured (Zen 4: 1 MiB; the Xeon's is 2 MiB).</summary>
    private const int L2Bytes = 1 << 20;

    /// <summary>Rows of A (up to 10 tiles of 14) below which reading even a large B in place was as fast as packing it.</summary>
    private const int InPlaceBMaxRowsOfA = 128;

    /// <summary>Rows of a stored matrix (op(A) = A, row stride <c>lda</c>) as a panel source: Sgemm's own A packing.</summary>
    internal readonly struct MatrixRows(float* a, int lda, GemmPath path) : IRowPanelSource
    {
        private readonly float* _a = a;
        private readonly int _lda = lda;
        private readonly GemmPath _path = path;

        /// <inheritdoc/>
        public void PackPanel(int row0, int rows, int k0, int kc, int mr, float* dst)
        {
            var p = new Problem { A = _a, Lda = _lda, Path = _path };
            PackA(in p, row0, rows, k0, kc, mr, dst);
        }
    }

    /// <summary>
    /// <c>C = op(A)·B + beta·C</c> (beta 0 or 1) on the calling thread, op(A) packed panel by panel by <paramref name="a"/> and
    /// B (k×n) read in place, rows <paramref name="ldb"/> apart. AVX-512 only, n a multiple of 32 (<see cref="CanReadInPlace"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SgemmBInPlace<TSource>(ref TSource a, int m, int n, int k, float* b, int ldb, float beta, float* c, int ldc)
        where TSource : struct, IRowPanelSource
    {
        var p = new Problem { M = m, N = n, K = k, Path = GemmPath.Avx512 };
        var bl = new Blocking(in p, n);
        var ws = Workspace.Get(bl.MC * bl.KC, 0, MR512 * NR512);
        int firstMode = beta == 0f ? 0 : 1;
        for (int pc = 0; pc < k; pc += bl.KC)
        {
            int kc = Math.Min(bl.KC, k - pc), mode = pc == 0 ? firstMode : 1;
            for (int ic = 0; ic < m; ic += bl.MC)
            {
                int mc = Math.Min(bl.MC, m - ic);
                for (int ir = 0; ir < mc; ir += MR512)
                    a.PackPanel(ic + ir, Math.Min(MR512, mc - ir), pc, kc, MR512, ws.A + (long)ir * kc);
                for (int ir = 0; ir < mc; ir += MR512)
                {
                    int rows = Math.Min(MR512, mc - ir);
                    for (int jr = 0; jr < n; jr += NR512)
                        Tile512(rows, NR512, kc, ws.A + (long)ir * kc, MR512, b + (long)pc * ldb + jr, ldb,
                            c + (long)(ic + ir) * ldc + jr, ldc, 1f, 1f, mode, ws.Tile);
                }
            }
        }
    }

    /// <summary>
    /// <c>C = Aᵀ·B + beta·C</c> (beta 0 or 1) on the calling thread with both operands read in place: A stored k×m (rows
    /// <paramref name="lda"/> apart) and B k×n (rows <paramref name="ldb"/> apart). AVX-512 only, n a multiple of 32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SgemmAtBInPlace(float* a, int lda, int m, int n, int k, float* b, int ldb, float beta, float* c, int ldc)
    {
        var p = new Problem { A = a, Lda = lda, TransA = true, M = m, N = n, K = k, Path = GemmPath.Avx512 };
        var bl = new Blocking(in p, n);
        var ws = Workspace.Get(MR512 * bl.KC, 0, MR512 * NR512);
        int firstMode = beta == 0f ? 0 : 1;
        for (int pc = 0; pc < k; pc += bl.KC)
        {
            int kc = Math.Min(bl.KC, k - pc), mode = pc == 0 ? firstMode : 1;
            for (int i0 = 0; i0 < m; i0 += MR512)
            {
                int rows = Math.Min(MR512, m - i0);
                // A whole tile broadcasts straight from A's rows; an edge tile is packed (zero rows past the edge), and so is
                // every tile whose k rows share an L1 set (V = 32768, …): read in place, the tile, reused for every 32 columns,
                // would not stay in L1 (93–99 against 107–111 GFLOP/s for a dW product with k = 96).
                float* ap = a + (long)pc * lda + i0;
                int step = lda;
                if (rows < MR512 || RowsShareL1Set(lda))
                {
                    PackA(in p, i0, rows, pc, kc, MR512, ws.A);
                    ap = ws.A;
                    step = MR512;
                }
                for (int jr = 0; jr < n; jr += NR512)
                    Tile512(rows, NR512, kc, ap, step, b + (long)pc * ldb + jr, ldb, c + (long)i0 * ldc + jr, ldc, 1f, 1f, mode,
                        ws.Tile);
            }
        }
    }

    /// <summary>
    /// Cᵀ = (A·op(B))ᵀ into C on the calling thread: element (i, j) of the m×n product goes to c[j·ldc + i]. A (m×k) is read in
    /// place from rows <paramref name="lda"/> apart (packed, tile by tile, when they share an L1 set); op(B) (k×n) is packed by
    /// <see cref="PackAllB"/>. Every element gets the bits Sgemm's packed path gives element
    /// (j, i) of op(B)ᵀ·Aᵀ. AVX-512 only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SgemmTransposedOut(float* a, int lda, int m, int n, int k, float* packedB, float* c, int ldc)
    {
        var p = new Problem { A = a, Lda = lda, N = n, K = k, Path = GemmPath.Avx512 };
        var bl = new Blocking(in p, n);
        // With rows sharing an L1 set (D = 1024, 2048, …) the row-broadcast kernel's 14 row streams would keep evicting each
        // other (81 against 104 GFLOP/s at D = 2048), so every tile is packed, as an edge tile is.
        bool packAll = RowsShareL1Set(lda);
        var ws = Workspace.Get(MR512 * bl.KC, 0, 16 * NR512);
        for (int jc = 0; jc < n; jc += bl.NC)
        {
            int nc = Math.Min(bl.NC, n - jc);
            for (int pc = 0; pc < k; pc += bl.KC)
            {
                int kc = Math.Min(bl.KC, k - pc), mode = pc == 0 ? 0 : 1;
                float* bp = packedB + PackedBOffset(jc, pc, nc, k, NR512);
                for (int i0 = 0; i0 < m; i0 += MR512)
                {
                    int rows = Math.Min(MR512, m - i0);
                    bool inPlace = rows == MR512 && !packAll;
                    if (!inPlace) PackA(in p, i0, rows, pc, kc, MR512, ws.A);
                    for (int jr = 0; jr < nc; jr += NR512)
                    {
                        int cols = Math.Min(NR512, nc - jr);
                        // A whole tile broadcasts from A's rows in place, any other from its packed panel; both land in the
                        // scratch tile, which is written out transposed.
                        if (inPlace) Kernel512RowsOfA(kc, a + (long)i0 * lda + pc, lda, bp + (long)jr * kc, NR512, ws.Tile);
                        else Kernel512(kc, ws.A, bp + (long)jr * kc, NR512, ws.Tile, NR512, 1f, 0f, 0);
                        StoreTransposed(ws.Tile, rows, c + (long)(jc + jr) * ldc + i0, ldc, cols, mode);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Tile (i, j) = Σ_k A[i, k]·B[k, j] over 14 rows of A read in place (<paramref name="lda"/> floats apart) and 32 columns
    /// of B (rows <paramref name="ldb"/> apart, packed or not), written to <paramref name="tile"/> (14 rows of 32 floats).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel512RowsOfA(int kc, float* a, long lda, float* b, int ldb, float* tile)
    {
        // Five group pointers and two strides reach the 14 rows through x86 addressing ([p], [p + l·4], [p + l·8]).
        long l = lda, l2 = 2 * lda;
        float* a0 = a, a3 = a + 3 * lda, a6 = a + 6 * lda, a9 = a + 9 * lda, a12 = a + 12 * lda;
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
            { Vector512<float> av = Vector512.Create(a0[0]); c0_0 = Vector512.FusedMultiplyAdd(av, b0, c0_0);
              c0_1 = Vector512.FusedMultiplyAdd(av, b1, c0_1); }
            { Vector512<float> av = Vector512.Create(a0[l]); c1_0 = Vector512.FusedMultiplyAdd(av, b0, c1_0);
              c1_1 = Vector512.FusedMultiplyAdd(av, b1, c1_1); }
            { Vector512<float> av = Vector512.Create(a0[l2]); c2_0 = Vector512.FusedMultiplyAdd(av, b0, c2_0);
              c2_1 = Vector512.FusedMultiplyAdd(av, b1, c2_1); }
            { Vector512<float> av = Vector512.Create(a3[0]); c3_0 = Vector512.FusedMultiplyAdd(av, b0, c3_0);
              c3_1 = Vector512.FusedMultiplyAdd(av, b1, c3_1); }
            { Vector512<float> av = Vector512.Create(a3[l]); c4_0 = Vector512.FusedMultiplyAdd(av, b0, c4_0);
              c4_1 = Vector512.FusedMultiplyAdd(av, b1, c4_1); }
            { Vector512<float> av = Vector512.Create(a3[l2]); c5_0 = Vector512.FusedMultiplyAdd(av, b0, c5_0);
              c5_1 = Vector512.FusedMultiplyAdd(av, b1, c5_1); }
            { Vector512<float> av = Vector512.Create(a6[0]); c6_0 = Vector512.FusedMultiplyAdd(av, b0, c6_0);
              c6_1 = Vector512.FusedMultiplyAdd(av, b1, c6_1); }
            { Vector512<float> av = Vector512.Create(a6[l]); c7_0 = Vector512.FusedMultiplyAdd(av, b0, c7_0);
              c7_1 = Vector512.FusedMultiplyAdd(av, b1, c7_1); }
            { Vector512<float> av = Vector512.Create(a6[l2]); c8_0 = Vector512.FusedMultiplyAdd(av, b0, c8_0);
              c8_1 = Vector512.FusedMultiplyAdd(av, b1, c8_1); }
            { Vector512<float> av = Vector512.Create(a9[0]); c9_0 = Vector512.FusedMultiplyAdd(av, b0, c9_0);
              c9_1 = Vector512.FusedMultiplyAdd(av, b1, c9_1); }
            { Vector512<float> av = Vector512.Create(a9[l]); c10_0 = Vector512.FusedMultiplyAdd(av, b0, c10_0);
              c10_1 = Vector512.FusedMultiplyAdd(av, b1, c10_1); }
            { Vector512<float> av = Vector512.Create(a9[l2]); c11_0 = Vector512.FusedMultiplyAdd(av, b0, c11_0);
              c11_1 = Vector512.FusedMultiplyAdd(av, b1, c11_1); }
            { Vector512<float> av = Vector512.Create(a12[0]); c12_0 = Vector512.FusedMultiplyAdd(av, b0, c12_0);
              c12_1 = Vector512.FusedMultiplyAdd(av, b1, c12_1); }
            { Vector512<float> av = Vector512.Create(a12[l]); c13_0 = Vector512.FusedMultiplyAdd(av, b0, c13_0);
              c13_1 = Vector512.FusedMultiplyAdd(av, b1, c13_1); }
            a0++; a3++; a6++; a9++; a12++; b += ldb;
        }
        Vector512.Store(c0_0, tile + 0 * 32); Vector512.Store(c0_1, tile + 0 * 32 + 16);
        Vector512.Store(c1_0, tile + 1 * 32); Vector512.Store(c1_1, tile + 1 * 32 + 16);
        Vector512.Store(c2_0, tile + 2 * 32); Vector512.Store(c2_1, tile + 2 * 32 + 16);
        Vector512.Store(c3_0, tile + 3 * 32); Vector512.Store(c3_1, tile + 3 * 32 + 16);
        Vector512.Store(c4_0, tile + 4 * 32); Vector512.Store(c4_1, tile + 4 * 32 + 16);
        Vector512.Store(c5_0, tile + 5 * 32); Vector512.Store(c5_1, tile + 5 * 32 + 16);
        Vector512.Store(c6_0, tile + 6 * 32); Vector512.Store(c6_1, tile + 6 * 32 + 16);
        Vector512.Store(c7_0, tile + 7 * 32); Vector512.Store(c7_1, tile + 7 * 32 + 16);
        Vector512.Store(c8_0, tile + 8 * 32); Vector512.Store(c8_1, tile + 8 * 32 + 16);
        Vector512.Store(c9_0, tile + 9 * 32); Vector512.Store(c9_1, tile + 9 * 32 + 16);
        Vector512.Store(c10_0, tile + 10 * 32); Vector512.Store(c10_1, tile + 10 * 32 + 16);
        Vector512.Store(c11_0, tile + 11 * 32); Vector512.Store(c11_1, tile + 11 * 32 + 16);
        Vector512.Store(c12_0, tile + 12 * 32); Vector512.Store(c12_1, tile + 12 * 32 + 16);
        Vector512.Store(c13_0, tile + 13 * 32); Vector512.Store(c13_1, tile + 13 * 32 + 16);
    }

    /// <summary>
    /// Writes (mode 0) or adds (mode 1) the transpose of a rows×cols tile (row stride 32, rows ≤ 16, 16 floats of slack
    /// readable after each row) to C: element (i, j) goes to c[j·ldc + i]. Rows rows..15 of the tile are read as zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void StoreTransposed(float* tile, int rows, float* c, int ldc, int cols, int mode)
    {
        var mask = Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(rows))
            .AsSingle();
        for (int half = 0; half < cols; half += 16)
        {
            float* t = tile + half;
            Vector512<float> r0 = 0 < rows ? Vector512.Load(t + 0 * 32) : default;
            Vector512<float> r1 = 1 < rows ? Vector512.Load(t + 1 * 32) : default;
            Vector512<float> r2 = 2 < rows ? Vector512.Load(t + 2 * 32) : default;
            Vector512<float> r3 = 3 < rows ? Vector512.Load(t + 3 * 32) : default;
            Vector512<float> r4 = 4 < rows ? Vector512.Load(t + 4 * 32) : default;
            Vector512<float> r5 = 5 < rows ? Vector512.Load(t + 5 * 32) : default;
            Vector512<float> r6 = 6 < rows ? Vector512.Load(t + 6 * 32) : default;
            Vector512<float> r7 = 7 < rows ? Vector512.Load(t + 7 * 32) : default;
            Vector512<float> r8 = 8 < rows ? Vector512.Load(t + 8 * 32) : default;
            Vector512<float> r9 = 9 < rows ? Vector512.Load(t + 9 * 32) : default;
            Vector512<float> r10 = 10 < rows ? Vector512.Load(t + 10 * 32) : default;
            Vector512<float> r11 = 11 < rows ? Vector512.Load(t + 11 * 32) : default;
            Vector512<float> r12 = 12 < rows ? Vector512.Load(t + 12 * 32) : default;
            Vector512<float> r13 = 13 < rows ? Vector512.Load(t + 13 * 32) : default;
            Vector512<float> r14 = 14 < rows ? Vector512.Load(t + 14 * 32) : default;
            Vector512<float> r15 = 15 < rows ? Vector512.Load(t + 15 * 32) : default;
            Transpose16x16(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, ref r8, ref r9, ref r10, ref r11, ref r12,
                ref r13, ref r14, ref r15);
            int n = Math.Min(16, cols - half);
            float* d = c + (long)half * ldc;
            if (0 < n) StoreMasked(d + 0L * ldc, r0, mask, mode);
            if (1 < n) StoreMasked(d + 1L * ldc, r1, mask, mode);
            if (2 < n) StoreMasked(d + 2L * ldc, r2, mask, mode);
            if (3 < n) StoreMasked(d + 3L * ldc, r3, mask, mode);
            if (4 < n) StoreMasked(d + 4L * ldc, r4, mask, mode);
            if (5 < n) StoreMasked(d + 5L * ldc, r5, mask, mode);
            if (6 < n) StoreMasked(d + 6L * ldc, r6, mask, mode);
            if (7 < n) StoreMasked(d + 7L * ldc, r7, mask, mode);
            if (8 < n) StoreMasked(d + 8L * ldc, r8, mask, mode);
            if (9 < n) StoreMasked(d + 9L * ldc, r9, mask, mode);
            if (10 < n) StoreMasked(d + 10L * ldc, r10, mask, mode);
            if (11 < n) StoreMasked(d + 11L * ldc, r11, mask, mode);
            if (12 < n) StoreMasked(d + 12L * ldc, r12, mask, mode);
            if (13 < n) StoreMasked(d + 13L * ldc, r13, mask, mode);
            if (14 < n) StoreMasked(d + 14L * ldc, r14, mask, mode);
            if (15 < n) StoreMasked(d + 15L * ldc, r15, mask, mode);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMasked(float* d, Vector512<float> v, Vector512<float> mask, int mode)
    {
        if (mode != 0) v += Avx512F.MaskLoad(d, mask, Vector512<float>.Zero);
        Avx512F.MaskStore(d, mask, v);
    }
}
