using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Kernels;

// The small-matrix path of Gemm: when one side of C is narrow (at most SmallMaxDim rows or columns) or the
// whole product is tiny, packing costs more than the multiply it prepares (a Linear 784→10 step spends most
// of its forward GEMM copying X into 14-row panels). These problems run unpacked register tiles that read
// A and B where they lie:
//  - C = A·Bᵀ (A and B both contiguous along k): dot-product tiles, one k-long vector accumulator per
//    element of C, reduced across lanes once at the end (Gemm.SmallKernels.cs, Dot512/Dot256).
//  - every other orientation: broadcast tiles, op(A) values broadcast against contiguous rows of op(B)
//    (Bcast512/Bcast256). Aᵀ·Bᵀ, and Aᵀ·B with a narrow C, are computed as their transpose op(B)ᵀ·A into a
//    scratch tile that is written back transposed.
// Each element of C is computed by exactly one tile with the same sequence of operations whatever the tile's
// shape, and the tiling depends only on the problem's shape, so threads (used only above ParallelMinFlops)
// change nothing in the result.
internal static unsafe partial class Gemm
{
    /// <summary>A problem whose C has at most this many rows or columns runs unpacked.</summary>
    private const int SmallMaxDim = 16;
    /// <summary>Any A·B or Aᵀ·B of at most this many flops (2·m·n·k) runs unpacked.</summary>
    private const long SmallMaxFlops = 2L * 80 * 80 * 80;

    /// <summary>Compile-time tile extent of a small-path register tile (see Gemm.SmallKernels.cs).</summary>
    private interface ISmallCount
    {
        /// <summary>The extent.</summary>
        static abstract int N { get; }
    }

    /// <summary>One register tile's operands: pointers at its first element, strides, and how to update C.</summary>
    private struct SmallTile
    {
        /// <summary>First element of the tile's A (broadcast tiles: A(r, p) at A + r·Sa + p·Sp; dot tiles: row r at A + r·Sa).</summary>
        public float* A;
        /// <summary>First element of the tile's B (row stride Ldb).</summary>
        public float* B;
        /// <summary>First element of the tile's C (row stride Ldc).</summary>
        public float* C;
        public nint Sa, Sp, Ldb, Ldc;
        public int K, Mode;
        public float Alpha, Beta;
        /// <summary>Lanes of the last vector column of a broadcast tile that lie inside C (all bits set), the rest zero.</summary>
        public Vector512<float> Mask512;
        /// <inheritdoc cref="Mask512"/>
        public Vector256<float> Mask256;
    }

    /// <summary>
    /// Whether a problem of this shape takes the small path (shape only: never the thread count): C at most
    /// <see cref="SmallMaxDim"/> wide or tall, or a tiny product. With op(B) = Bᵀ, only when k is long enough
    /// (<see cref="DeepEnough"/>) to pay for the lane sums of the dot-product tiles (A·Bᵀ) or for the
    /// transposed write-back (Aᵀ·Bᵀ).
    /// </summary>
    internal static bool UsesSmallPath(bool transA, bool transB, int m, int n, int k)
    {
        bool narrow = Math.Min(m, n) <= SmallMaxDim;
        if (transB) return narrow && DeepEnough(m, n, k);
        return narrow || 2L * m * n * k <= SmallMaxFlops;
    }

    /// <summary>
    /// Depth from which a narrow problem's per-element overhead (lane sums, transposed write-back) is repaid:
    /// 64, or 128 at the width limit, where the packed path wastes the least of its 32-column panels.
    /// </summary>
    private static bool DeepEnough(int m, int n, int k) => k >= 128 || (k >= 64 && Math.Min(m, n) < SmallMaxDim);

    /// <summary>Runs a problem on the small path; threads split the tiles only above <see cref="ParallelMinFlops"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void RunSmall(in Problem p, bool parallel)
    {
        bool threads = parallel && KernelParallel.MaxThreads > 1 && 2L * p.M * p.N * p.K >= ParallelMinFlops;
        // The small path's tiles are 256- and 512-bit; 128-bit machines take its scalar tiles (fused multiply-adds in hardware).
        if (p.Path is GemmPath.Scalar or GemmPath.Vector128) SmallScalar(in p, threads);
        else if (!p.TransA && p.TransB) SmallDot(in p, threads);
        else SmallBcast(in p, threads);
    }

    /// <summary>Start of block <paramref name="i"/> when <paramref name="length"/> items are split into <paramref name="blocks"/>
    /// near-equal blocks.</summary>
    private static int SplitStart(int length, int blocks, int i) => (int)((long)length * i / blocks);

    private static int CeilDiv(int x, int y) => (x + y - 1) / y;

    private static int ModeOf(float beta) => beta == 0f ? 0 : beta == 1f ? 1 : 2;

    /// <summary>
    /// Runs tile(outer, inner) for every pair, on this thread or split over the outer index (the inner one
    /// when there is a single outer block); every tile writes its own part of C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void ForTiles(int outer, int inner, bool threads, Action<int, int> tile)
    {
        if (threads && outer > 1)
            KernelParallel.ForChunks(outer, 1, (_, s, e) => { for (int o = s; o < e; o++) for (int i = 0; i < inner; i++) tile(o, i); });
        else if (threads && inner > 1)
            KernelParallel.ForChunks(inner, 1, (_, s, e) => { for (int o = 0; o < outer; o++) for (int i = s; i < e; i++) tile(o, i); });
        else
            for (int o = 0; o < outer; o++) for (int i = 0; i < inner; i++) tile(o, i);
    }

    // ---- C = A·Bᵀ: dot-product tiles ----

    /// <summary>
    /// Most rows of a dot tile with <paramref name="cols"/> columns: rows×cols accumulators, one A vector per row
    /// and one B vector fit the 32 zmm (16 ymm, with room to spare) registers.
    /// </summary>
    private static int RMaxDot(GemmPath path, int cols) => path == GemmPath.Avx512
        ? Math.Min(8, 31 / (cols + 1))
        : Math.Min(4, 10 / cols);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void SmallDot(in Problem p, bool threads)
    {
        int sMax = p.Path == GemmPath.Avx512 ? 6 : 5;
        int colBlocks = CeilDiv(p.N, sMax);
        int rMax = RMaxDot(p.Path, CeilDiv(p.N, colBlocks));
        int rowBlocks = CeilDiv(p.M, rMax);
        // The larger operand is streamed once in the outer loop; the blocks of the smaller one are re-read from cache.
        bool rowsOuter = p.M >= p.N;
        if (!threads)
        {
            if (rowsOuter)
            {
                for (int ib = 0; ib < rowBlocks; ib++)
                    for (int jb = 0; jb < colBlocks; jb++)
                        DotTile(in p, rowBlocks, colBlocks, ib, jb);
            }
            else
            {
                for (int jb = 0; jb < colBlocks; jb++)
                    for (int ib = 0; ib < rowBlocks; ib++)
                        DotTile(in p, rowBlocks, colBlocks, ib, jb);
            }
            return;
        }
        Problem q = p;
        if (rowsOuter) ForTiles(rowBlocks, colBlocks, threads, (ib, jb) => DotTile(in q, rowBlocks, colBlocks, ib, jb));
        else ForTiles(colBlocks, rowBlocks, threads, (jb, ib) => DotTile(in q, rowBlocks, colBlocks, ib, jb));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotTile(in Problem p, int rowBlocks, int colBlocks, int ib, int jb)
    {
        int r0 = SplitStart(p.M, rowBlocks, ib), r1 = SplitStart(p.M, rowBlocks, ib + 1);
        int s0 = SplitStart(p.N, colBlocks, jb), s1 = SplitStart(p.N, colBlocks, jb + 1);
        var t = new SmallTile
        {
            A = p.A + (long)r0 * p.Lda, Sa = p.Lda,
            B = p.B + (long)s0 * p.Ldb, Ldb = p.Ldb,
            C = p.C + (long)r0 * p.Ldc + s0, Ldc = p.Ldc,
            K = p.K, Alpha = p.Alpha, Beta = p.Beta, Mode = ModeOf(p.Beta),
        };
        if (p.Path == GemmPath.Avx512) Dot512(r1 - r0, s1 - s0, in t);
        else Dot256(r1 - r0, s1 - s0, in t);
    }

    // ---- every other orientation: broadcast tiles ----

    /// <summary>Most rows of a broadcast tile <paramref name="vectors"/> vectors wide.</summary>
    private static int RMaxBcast(GemmPath path, int vectors) => path == GemmPath.Avx512
        ? Math.Min(8, 24 / vectors)
        : Math.Min(8, 12 / vectors);

    /// <summary>
    /// The broadcast tiles' view of a problem: D (rows × cols) = A'·B' with A'(r, p) at A + r·Sa + p·Sp and B' rows
    /// contiguous. For Aᵀ·Bᵀ, D = Cᵀ = B·A and the tiles are written back transposed.
    /// </summary>
    private readonly struct BcastView
    {
        public readonly float* A, B;
        public readonly nint Sa, Sp, Ldb;
        public readonly int Rows, Cols, Lanes, VecBlocks, Vectors;
        public readonly bool Transposed;

        public BcastView(in Problem p)
        {
            // Aᵀ·Bᵀ has no contiguous rows of op(B); Aᵀ·B with a narrow C is better run along its long side.
            Transposed = p.TransA && (p.TransB || (p.N <= SmallMaxDim && p.M > p.N && DeepEnough(p.M, p.N, p.K)));
            if (Transposed)
            {
                // D = Cᵀ = op(B)ᵀ·A: broadcast op(B)ᵀ(j, p), which lies at B + j·ldb + p (Bᵀ stored) or B + p·ldb + j (B stored).
                A = p.B; Sa = p.TransB ? p.Ldb : 1; Sp = p.TransB ? 1 : p.Ldb; B = p.A; Ldb = p.Lda; Rows = p.N; Cols = p.M;
            }
            else
            {
                A = p.A; Sa = p.TransA ? 1 : p.Lda; Sp = p.TransA ? p.Lda : 1; B = p.B; Ldb = p.Ldb; Rows = p.M; Cols = p.N;
            }
            Lanes = p.Path == GemmPath.Avx512 ? 16 : 8;
            Vectors = CeilDiv(Cols, Lanes);
            VecBlocks = CeilDiv(Vectors, p.Path == GemmPath.Avx512 ? 4 : 2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void SmallBcast(in Problem p, bool threads)
    {
        var v = new BcastView(in p);
        // Column blocks outside, so a block of B' (k × up to 64 columns) stays in L1 across the row blocks.
        if (!threads)
        {
            for (int jb = 0; jb < v.VecBlocks; jb++) BcastColumnBlock(in p, in v, jb, -1);
            return;
        }
        Problem q = p;
        BcastView w = v;
        // Row blocks of a column block depend on its width; the largest width bounds their count.
        int maxRowBlocks = CeilDiv(v.Rows, RMaxBcast(p.Path, CeilDiv(v.Vectors, v.VecBlocks)));
        ForTiles(v.VecBlocks, maxRowBlocks, threads, (jb, ib) => BcastColumnBlock(in q, in w, jb, ib));
    }

    /// <summary>Runs row block <paramref name="onlyRowBlock"/> (all of them when negative) of column block <paramref name="jb"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void BcastColumnBlock(in Problem p, in BcastView v, int jb, int onlyRowBlock)
    {
        int v0 = SplitStart(v.Vectors, v.VecBlocks, jb), v1 = SplitStart(v.Vectors, v.VecBlocks, jb + 1);
        int vectors = v1 - v0, c0 = v0 * v.Lanes, c1 = Math.Min(v1 * v.Lanes, v.Cols);
        int lastLanes = c1 - c0 - (vectors - 1) * v.Lanes;
        int rowBlocks = CeilDiv(v.Rows, RMaxBcast(p.Path, vectors));
        var t = new SmallTile
        {
            Sa = v.Sa, Sp = v.Sp, Ldb = v.Ldb, K = p.K,
            Mask512 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lastLanes)).AsSingle(),
            Mask256 = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(lastLanes)).AsSingle(),
        };
        int ibStart = onlyRowBlock < 0 ? 0 : onlyRowBlock, ibEnd = onlyRowBlock < 0 ? rowBlocks : Math.Min(onlyRowBlock + 1, rowBlocks);
        for (int ib = ibStart; ib < ibEnd; ib++)
        {
            int r0 = SplitStart(v.Rows, rowBlocks, ib), r1 = SplitStart(v.Rows, rowBlocks, ib + 1);
            t.A = v.A + r0 * v.Sa;
            t.B = v.B + c0;
            if (!v.Transposed)
            {
                t.C = p.C + (long)r0 * p.Ldc + c0; t.Ldc = p.Ldc;
                t.Alpha = p.Alpha; t.Beta = p.Beta; t.Mode = ModeOf(p.Beta);
                RunBcast(p.Path, r1 - r0, vectors, in t);
            }
            else
            {
                BcastTransposed(in p, ref t, r1 - r0, vectors, r0, c0, c1 - c0);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBcast(GemmPath path, int rows, int vectors, in SmallTile t)
    {
        if (path == GemmPath.Avx512) Bcast512(rows, vectors, in t);
        else Bcast256(rows, vectors, in t);
    }

    /// <summary>
    /// Computes the D = Cᵀ tile (rows r0.. of D are columns of C, its columns c0.. are rows of C) into scratch, then
    /// updates C with the same per-element operations as the direct stores.
    /// </summary>
    [SkipLocalsInit] // the scratch tile is written before it is read
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BcastTransposed(in Problem p, ref SmallTile t, int rows, int vectors, int r0, int c0, int cols)
    {
        const int Ld = 64; // widest tile: 4 vectors of 16
        float* tile = stackalloc float[8 * Ld];
        t.C = tile; t.Ldc = Ld; t.Alpha = 1f; t.Beta = 0f; t.Mode = 0;
        RunBcast(p.Path, rows, vectors, in t);
        float alpha = p.Alpha, beta = p.Beta;
        int mode = ModeOf(beta);
        for (int l = 0; l < cols; l++)
        {
            float* cr = p.C + (long)(c0 + l) * p.Ldc + r0;
            for (int r = 0; r < rows; r++) Put(cr + r, tile[r * Ld + l], alpha, beta, mode);
        }
    }

    // ---- portable family ----

    /// <summary>Scalar family: one float32 fused multiply-add chain along k per element, any orientation.</summary>
    private static void SmallScalar(in Problem p, bool threads)
    {
        if (!threads)
        {
            SmallScalarRows(in p, 0, p.M);
            return;
        }
        Problem q = p;
        KernelParallel.ForChunks(p.M, 4, (_, s, e) => SmallScalarRows(in q, s, e));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void SmallScalarRows(in Problem p, int i0, int i1)
    {
        long aRow = p.TransA ? 1 : p.Lda, aK = p.TransA ? p.Lda : 1;
        long bK = p.TransB ? 1 : p.Ldb, bCol = p.TransB ? p.Ldb : 1;
        int mode = ModeOf(p.Beta);
        for (int i = i0; i < i1; i++)
        {
            float* ai = p.A + i * aRow;
            float* ci = p.C + (long)i * p.Ldc;
            for (int j = 0; j < p.N; j++)
            {
                float* bj = p.B + j * bCol;
                float s = 0f;
                for (int q = 0; q < p.K; q++) s = MathF.FusedMultiplyAdd(ai[q * aK], bj[q * bK], s);
                Put(ci + j, s, p.Alpha, p.Beta, mode);
            }
        }
    }

    // ---- updates of C, shared by all tiles (same formulas as MergeEdge and Store) ----

    /// <summary>
    /// Lane sums of four accumulators, side by side: the 512-bit halves are added, then pairs of neighbouring
    /// lanes three times (horizontal adds) and the two 128-bit halves. Lane i of the result depends only on
    /// input i, so an element's sum is the same whichever accumulators share its call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> HSum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d) =>
        HSum4(a.GetLower() + a.GetUpper(), b.GetLower() + b.GetUpper(), c.GetLower() + c.GetUpper(), d.GetLower() + d.GetUpper());

    /// <inheritdoc cref="HSum4(Vector512{float}, Vector512{float}, Vector512{float}, Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> HSum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        // [a0+a1, a2+a3, b0+b1, b2+b3 | a4+a5, a6+a7, b4+b5, b6+b7], likewise for c, d; then [a0..3, b0..3, c0..3, d0..3 | a4..7, ...].
        Vector256<float> z = Avx.HorizontalAdd(Avx.HorizontalAdd(a, b), Avx.HorizontalAdd(c, d));
        return z.GetLower() + z.GetUpper();
    }

    /// <summary><see cref="Put"/> for four consecutive elements of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put4(float* c, Vector128<float> s, float alpha, float beta, int mode)
    {
        Vector128<float> al = Vector128.Create(alpha);
        if (mode == 0) Vector128.Store(s * al, c);
        else if (mode == 1) Vector128.Store(Vector128.FusedMultiplyAdd(s, al, Vector128.Load(c)), c);
        else Vector128.Store(Vector128.FusedMultiplyAdd(s, al, Vector128.Load(c) * Vector128.Create(beta)), c);
    }

    /// <summary>Updates one element of C with a finished sum: alpha·s, alpha·s + C, or alpha·s + beta·C (mode 0/1/2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* c, float s, float alpha, float beta, int mode) =>
        *c = mode == 0 ? s * alpha : mode == 1 ? MathF.FusedMultiplyAdd(s, alpha, *c) : MathF.FusedMultiplyAdd(s, alpha, *c * beta);

    /// <summary><see cref="Store(float*, Vector512{float}, Vector512{float}, Vector512{float}, int)"/> for the lanes set in
    /// <paramref name="mask"/> only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMasked(float* c, Vector512<float> acc, Vector512<float> mask, Vector512<float> alpha, Vector512<float> beta,
        int mode)
    {
        if (mode == 0)
        {
            Avx512F.MaskStore(c, mask, acc * alpha);
            return;
        }
        Vector512<float> old = Avx512F.MaskLoad(c, mask, Vector512<float>.Zero);
        Avx512F.MaskStore(c, mask, Vector512.FusedMultiplyAdd(acc, alpha, mode == 1 ? old : old * beta));
    }

    /// <inheritdoc cref="StoreMasked(float*, Vector512{float}, Vector512{float}, Vector512{float}, Vector512{float}, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMasked(float* c, Vector256<float> acc, Vector256<float> mask, Vector256<float> alpha, Vector256<float> beta,
        int mode)
    {
        if (mode == 0)
        {
            Avx.MaskStore(c, mask, acc * alpha);
            return;
        }
        Vector256<float> old = Avx.MaskLoad(c, mask);
        Avx.MaskStore(c, mask, Vector256.FusedMultiplyAdd(acc, alpha, mode == 1 ? old : old * beta));
    }
}
