using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Xent.Kernels;

/// <summary>
/// Single-precision general matrix multiply on row-major spans:
/// <c>C = alpha * op(A) * op(B) + beta * C</c>, where <c>op(X)</c> is <c>X</c> or <c>Xᵀ</c>.
/// </summary>
/// <remarks>
/// The fast path follows the BLIS/GotoBLAS scheme: op(B) is packed into KC×NC blocks of NR-column
/// panels (up to 512×2048 floats, streamed from L2 and L3) and op(A) into MR-row panels (per-thread
/// 64-byte-aligned buffers reused across calls; row-major A and transposed B are packed with in-register
/// 16×16 transposes), and a register-tiled micro-kernel (14×32 with AVX-512 plus 8/4-row and 16-column
/// edge variants, 6×16 with AVX2+FMA, scalar otherwise) sums each KC-long slice of the dot products with
/// fused multiply-adds before adding it into C. Threads share one packed B block and take row blocks of C (tall problems),
/// or take column tiles that each run the whole k loop (few rows). Neither split changes the order in
/// which products are summed along k, so results are bit-identical for any
/// <see cref="KernelParallel.MaxThreads"/>. Problems whose C is at most 16 rows or columns, or that are tiny,
/// skip packing and run unpacked register tiles instead (Gemm.Small.cs), with the same guarantee.
/// </remarks>
internal static unsafe partial class Gemm
{
    /// <summary>
    /// Depth of one packed slice (products summed in registers before C is updated). An A micro-panel of 14×512 floats
    /// (28 KiB) still sits in a 32 KiB L1; deeper slices update C and pack half as often as 256-deep ones, and cut the
    /// barriers of a parallel product in half: SGEMM 2048³ 4–6% faster on Zen 4, on one thread and on two.
    /// </summary>
    private const int KC = 512;
    /// <summary>Target row count of a packed A block.</summary>
    private const int MCTarget = 224;
    /// <summary>
    /// Maximum columns of a packed B panel (KC×NC floats; its micro-panels stream from L2 and L3, each used by a whole A block).
    /// Wider panels mean fewer packing and barrier rounds: on Zen 4, whose L3 is quick, 2048 (4 MiB) measured 3% faster than
    /// 1024 at 2048³. On Intel Xeon (Emerald Rapids), where L3 is far slower than L2, 1024 (2 MiB, its L2 per core) made SGEMM
    /// 2048³ 1.17× faster on two threads (bench/HISTORY.md, 2026-12-07). The cap only regroups columns, never a sum, so
    /// results are the same bits either way (tested); settable for that test and for <c>xent bench gemm --panel-columns</c>.
    /// </summary>
    internal static int NC = CpuVendor.IsIntel ? 1024 : 2048;
    /// <summary>Below this many flops a call runs on the calling thread only.</summary>
    private const long ParallelMinFlops = 4_000_000;
    /// <summary>Flops per column tile when few rows are split by columns (2..8 tiles).</summary>
    private const long FlopsPerTile = 256_000_000;

    /// <summary>Micro-kernel families, chosen once from the hardware (tests pass each one explicitly).</summary>
    internal enum GemmPath { Avx512, Avx2, Vector128, Scalar }

    /// <summary>The fastest micro-kernel family this machine supports.</summary>
    internal static readonly GemmPath BestPath = DetectPath();

    private static GemmPath DetectPath()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Fma.IsSupported) return GemmPath.Avx512;
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported) return GemmPath.Avx2;
        // 128-bit vectors with a hardware fused multiply-add: ARM64, or x64 without AVX2 (Vector128.FusedMultiplyAdd is
        // emulated, one element at a time, without one).
        if (Vector128.IsHardwareAccelerated && (Fma.IsSupported || AdvSimd.Arm64.IsSupported)) return GemmPath.Vector128;
        return GemmPath.Scalar;
    }

    /// <summary>
    /// Computes <c>C = alpha * op(A) * op(B) + beta * C</c> with float32 row-major storage.
    /// op(A) is m×k, op(B) is k×n and C is m×n.
    /// </summary>
    /// <param name="transA">When true, <paramref name="a"/> holds a k×m matrix and op(A) = Aᵀ.</param>
    /// <param name="transB">When true, <paramref name="b"/> holds an n×k matrix and op(B) = Bᵀ.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">Matrix A as stored (row stride <paramref name="lda"/>).</param>
    /// <param name="lda">Row stride of A as stored (at least its column count).</param>
    /// <param name="b">Matrix B as stored (row stride <paramref name="ldb"/>).</param>
    /// <param name="ldb">Row stride of B as stored (at least its column count).</param>
    /// <param name="beta">Scale of the existing C; when 0, C is not read (NaN in C is ignored).</param>
    /// <param name="c">Output C, m×n with row stride <paramref name="ldc"/>.</param>
    /// <param name="ldc">Row stride of C (at least n).</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative or a stride is too small.</exception>
    /// <exception cref="ArgumentException">A span is shorter than its matrix needs.</exception>
    /// <remarks>
    /// Products are summed in float32 with fused multiply-adds in an order fixed by the shape (KC-long slices,
    /// each added into C; or, for narrow and tiny problems, the whole of k before C is updated once),
    /// independent of the thread count. When alpha is 0 or k is 0, A and B are not read and C becomes beta*C.
    /// </remarks>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, parallel: true, BestPath);

    /// <summary>
    /// <see cref="Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>
    /// with control over threading (kernels that already parallelise an outer loop pass <paramref name="parallel"/> = false)
    /// and over the micro-kernel family (tests run every family the machine supports).
    /// </summary>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, bool parallel, GemmPath path)
    {
        Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (m == 0 || n == 0) return;
        fixed (float* pc = c)
        {
            if (k == 0 || alpha == 0f)
            {
                ScaleC(pc, m, n, ldc, beta);
                return;
            }
            fixed (float* pa = a)
            fixed (float* pb = b)
            {
                var p = new Problem
                {
                    A = pa, B = pb, C = pc, Lda = lda, Ldb = ldb, Ldc = ldc,
                    TransA = transA, TransB = transB, M = m, N = n, K = k,
                    Alpha = alpha, Beta = beta, Path = path,
                };
                if (UsesSmallPath(transA, transB, m, n, k)) RunSmall(in p, parallel);
                else Run(in p, parallel);
            }
        }
    }

    /// <summary>
    /// Reference twin of
    /// <see cref="Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>:
    /// a plain triple loop that sums each dot product in float64 and rounds once.
    /// </summary>
    public static void SgemmScalar(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                if (alpha != 0f)
                {
                    for (int p = 0; p < k; p++)
                    {
                        float av = transA ? a[p * lda + i] : a[i * lda + p];
                        float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                        sum += (double)av * bv;
                    }
                }
                double r = alpha * sum;
                if (beta != 0f) r += (double)beta * c[i * ldc + j];
                c[i * ldc + j] = (float)r;
            }
        }
    }

    private static void Validate(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "m must be non-negative.");
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be non-negative.");
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be non-negative.");
        CheckMatrix(nameof(a), nameof(lda), a.Length, transA ? k : m, transA ? m : k, lda);
        CheckMatrix(nameof(b), nameof(ldb), b.Length, transB ? n : k, transB ? k : n, ldb);
        CheckMatrix(nameof(c), nameof(ldc), c.Length, m, n, ldc);
    }

    private static void CheckMatrix(string name, string ldName, int length, int rows, int cols, int ld)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentOutOfRangeException(ldName, ld,
                $"{ldName} must be at least max(1, {cols}) for a {rows}x{cols} matrix {name}.");
        long need = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < need)
            throw new ArgumentException($"Span {name} has {length} elements but a {rows}x{cols} matrix with row stride {ld} needs {need}.",
                name);
    }

    private static void ScaleC(float* c, int m, int n, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (long)i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }

    /// <summary>Pointers and shape of one call, captured by the per-tile workers.</summary>
    private struct Problem
    {
        public float* A, B, C;
        public int Lda, Ldb, Ldc, M, N, K;
        public bool TransA, TransB;
        public float Alpha, Beta;
        public GemmPath Path;
    }

    /// <summary>Blocking of one call: depends on the shape and path only, never on the thread count.</summary>
    private readonly struct Blocking
    {
        public readonly int MR, NR, KC, MC, NC;

        public Blocking(in Problem p, int columns)
        {
            MR = MicroRows(p.Path);
            NR = MicroCols(p.Path);
            // Even slices: a k of 600 runs as 300+300 rather than 512+88.
            int kBlocks = (p.K + Gemm.KC - 1) / Gemm.KC;
            KC = RoundUp((p.K + kBlocks - 1) / kBlocks, 4);
            MC = Math.Max(MR, MCTarget / MR * MR);
            NC = Math.Min(Gemm.NC, RoundUp(columns, NR));
        }
    }

    private static void Run(in Problem p, bool parallel)
    {
        long flops = 2L * p.M * p.N * p.K;
        if (!parallel || flops < ParallelMinFlops || KernelParallel.MaxThreads == 1)
        {
            RunTile(in p, 0, p.M, 0, p.N);
            return;
        }
        int mr = MicroRows(p.Path), nr = MicroCols(p.Path);
        int rowPanels = (p.M + mr - 1) / mr;
        if (rowPanels >= 8)
        {
            RunSharedB(in p);
            return;
        }
        // Few rows: split the columns into tiles that each run the whole k loop (one parallel region).
        // Each tile packs all of A, which is not small when k is long (the fused linear + CE's dH = G·W packs
        // an 80 × 32000 G), so there are no more tiles than threads. The split never changes a sum's order.
        int tiles = (int)Math.Clamp(Math.Min(flops / FlopsPerTile, KernelParallel.MaxThreads), 2, 8);
        int tileCols = RoundUp((p.N + tiles - 1) / tiles, nr);
        if (tileCols >= p.N)
        {
            RunTile(in p, 0, p.M, 0, p.N);
            return;
        }
        Problem q = p;
        KernelParallel.ForChunks(p.N, tileCols, (_, start, end) => RunTile(in q, 0, q.M, start, end));
    }

    /// <summary>Computes rows [i0,i1) × columns [j0,j1) of C on this thread with its own packing buffers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void RunTile(in Problem p, int i0, int i1, int j0, int j1)
    {
        var bl = new Blocking(in p, j1 - j0);
        var ws = Workspace.Get(bl.MC * bl.KC, bl.NC * bl.KC, bl.MR * bl.NR);
        int firstMode = p.Beta == 0f ? 0 : p.Beta == 1f ? 1 : 2;
        for (int jc = j0; jc < j1; jc += bl.NC)
        {
            int nc = Math.Min(bl.NC, j1 - jc);
            for (int pc = 0; pc < p.K; pc += bl.KC)
            {
                int kc = Math.Min(bl.KC, p.K - pc);
                int mode = pc == 0 ? firstMode : 1;
                PackB(in p, pc, kc, jc, nc, bl.NR, ws.B);
                for (int ic = i0; ic < i1; ic += bl.MC)
                {
                    int mc = Math.Min(bl.MC, i1 - ic);
                    PackA(in p, ic, mc, pc, kc, bl.MR, ws.A);
                    MacroKernel(in p, in bl, ic, mc, jc, nc, kc, mode, ws.A, ws.B, ws.Tile);
                }
            }
        }
    }

    /// <summary>
    /// The GotoBLAS loop with one packed B panel shared by all threads: per KC slice, the panel is packed
    /// (in parallel), then row blocks of C are handed out, each packing its own A block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void RunSharedB(in Problem p)
    {
        var bl = new Blocking(in p, p.N);
        var ws = Workspace.Get(0, bl.NC * bl.KC, 0);
        float* sharedB = ws.B;
        int firstMode = p.Beta == 0f ? 0 : p.Beta == 1f ? 1 : 2;
        // Small row blocks (≤ 4 panels): each A panel is reused from L1 across the whole B block, so a
        // block's size matters only for balance; with many blocks the threads finish together.
        int rowPanels = (p.M + bl.MR - 1) / bl.MR;
        int panelsPerBlock = Math.Clamp((rowPanels + 15) / 16, 1, 4);
        Problem q = p;
        Blocking b = bl;
        for (int jc = 0; jc < p.N; jc += bl.NC)
        {
            int nc = Math.Min(bl.NC, p.N - jc);
            int colPanels = (nc + bl.NR - 1) / bl.NR;
            for (int pc = 0; pc < p.K; pc += bl.KC)
            {
                int kc = Math.Min(bl.KC, p.K - pc);
                int mode = pc == 0 ? firstMode : 1;
                int jcc = jc, pcc = pc;
                KernelParallel.ForChunks(colPanels, 16, (_, s, e) =>
                {
                    int j = s * b.NR;
                    PackB(in q, pcc, kc, jcc + j, Math.Min(e * b.NR, nc) - j, b.NR, sharedB + (long)j * kc);
                });
                KernelParallel.ForChunks(rowPanels, panelsPerBlock, (_, s, e) =>
                {
                    int ic = s * b.MR, mc = Math.Min(e * b.MR, q.M) - ic;
                    var w = Workspace.Get(b.MC * b.KC, 0, b.MR * b.NR);
                    PackA(in q, ic, mc, pcc, kc, b.MR, w.A);
                    MacroKernel(in q, in b, ic, mc, jcc, nc, kc, mode, w.A, sharedB, w.Tile);
                });
            }
        }
    }

    /// <summary>Multiplies a packed A block (mc×kc) by a packed B panel (kc×nc) into C[ic.., jc..].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void MacroKernel(in Problem p, in Blocking bl, int ic, int mc, int jc, int nc, int kc, int mode,
        float* bufA, float* bufB, float* tile)
    {
        GemmPath path = p.Path;
        int mr = bl.MR, nr = bl.NR;
        // A micro-panel (MR×kc, the broadcast operand) stays in L1 while the B panel streams from L2.
        for (int ir = 0; ir < mc; ir += mr)
        {
            int mrr = Math.Min(mr, mc - ir);
            float* ap = bufA + (long)ir * kc;
            for (int jr = 0; jr < nc; jr += nr)
            {
                int nrr = Math.Min(nr, nc - jr);
                float* bp = bufB + (long)jr * kc;
                float* cp = p.C + (long)(ic + ir) * p.Ldc + jc + jr;
                if (mrr == mr && nrr == nr)
                {
                    MicroKernel(path, kc, ap, bp, cp, p.Ldc, p.Alpha, p.Beta, mode);
                }
                else if (path == GemmPath.Avx512)
                {
                    Tile512(mrr, nrr, kc, ap, MR512, bp, NR512, cp, p.Ldc, p.Alpha, p.Beta, mode, tile);
                }
                else
                {
                    // Edge tile: compute the full register tile into scratch, merge the valid part.
                    MicroKernel(path, kc, ap, bp, tile, nr, 1f, 0f, 0);
                    MergeEdge(tile, nr, cp, p.Ldc, mrr, nrr, p.Alpha, p.Beta, mode);
                }
            }
        }
    }

    private static int MicroRows(GemmPath path) =>
        path switch { GemmPath.Avx512 => MR512, GemmPath.Avx2 => MR256, GemmPath.Vector128 => MR128, _ => MRScalar };
    private static int MicroCols(GemmPath path) =>
        path switch { GemmPath.Avx512 => NR512, GemmPath.Avx2 => NR256, GemmPath.Vector128 => NR128, _ => NRScalar };
    private static int RoundUp(int x, int unit) => (x + unit - 1) / unit * unit;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MicroKernel(GemmPath path, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, int mode)
    {
        if (path == GemmPath.Avx512) Kernel512(kc, a, b, NR512, c, ldc, alpha, beta, mode);
        else if (path == GemmPath.Avx2) Kernel256(kc, a, b, c, ldc, alpha, beta, mode);
        else if (path == GemmPath.Vector128) Kernel128(kc, a, b, c, ldc, alpha, beta, mode);
        else KernelScalar(kc, a, b, c, ldc, alpha, beta, mode);
    }

    /// <summary>Applies the same update as the vector stores, element by element (bit-identical).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void MergeEdge(float* t, int ldt, float* c, int ldc, int rows, int cols, float alpha, float beta, int mode)
    {
        for (int i = 0; i < rows; i++)
        {
            float* tr = t + i * ldt;
            float* cr = c + (long)i * ldc;
            for (int j = 0; j < cols; j++)
            {
                float v = tr[j];
                cr[j] = mode switch
                {
                    0 => v * alpha,
                    1 => MathF.FusedMultiplyAdd(v, alpha, cr[j]),
                    _ => MathF.FusedMultiplyAdd(v, alpha, cr[j] * beta),
                };
            }
        }
    }

    /// <summary>
    /// Packs op(A)[ic..ic+mc, pc..pc+kc] as consecutive MR-row panels, each stored k-major
    /// (MR values per k), zero-padding the last panel's missing rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void PackA(in Problem p, int ic, int mc, int pc, int kc, int mr, float* dst)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* d = dst + (long)ir * kc;
            if (p.TransA)
            {
                // Stored k×m: the MR values for one k are contiguous.
                float* s = p.A + (long)pc * p.Lda + ic + ir;
                if (rows == mr && mr > 8 && mr <= 16 && Vector256.IsHardwareAccelerated)
                {
                    // Two overlapping 8-float moves cover 9..16 values without reading past the row.
                    for (int kk = 0; kk < kc; kk++, s += p.Lda, d += mr)
                    {
                        Vector256.Store(Vector256.Load(s), d);
                        Vector256.Store(Vector256.Load(s + mr - 8), d + mr - 8);
                    }
                    continue;
                }
                for (int kk = 0; kk < kc; kk++, s += p.Lda, d += mr)
                {
                    int r = 0;
                    for (; r < rows; r++) d[r] = s[r];
                    for (; r < mr; r++) d[r] = 0f;
                }
            }
            else if (p.Path == GemmPath.Avx512 && mr <= 16)
            {
                PackRowsTransposed512(p.A + (long)(ic + ir) * p.Lda + pc, p.Lda, rows, kc, d, mr, mr);
            }
            else
            {
                float* s = p.A + (long)(ic + ir) * p.Lda + pc;
                for (int r = 0; r < rows; r++)
                {
                    float* sr = s + (long)r * p.Lda;
                    for (int kk = 0; kk < kc; kk++) d[kk * mr + r] = sr[kk];
                }
                for (int r = rows; r < mr; r++)
                    for (int kk = 0; kk < kc; kk++) d[kk * mr + r] = 0f;
            }
        }
    }

    /// <summary>
    /// Packs op(B)[pc..pc+kc, jc..jc+nc] as consecutive NR-column panels, each stored k-major
    /// (NR values per k), zero-padding the last panel's missing columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void PackB(in Problem p, int pc, int kc, int jc, int nc, int nr, float* dst)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* d = dst + (long)jr * kc;
            if (!p.TransB)
            {
                float* s = p.B + (long)pc * p.Ldb + jc + jr;
                if (cols == nr && nr == 32 && Vector512.IsHardwareAccelerated)
                {
                    // Inline vector copies: a call per 128-byte row would cost more than the copy.
                    for (int kk = 0; kk < kc; kk++, s += p.Ldb, d += nr)
                    {
                        Vector512.Store(Vector512.Load(s), d);
                        Vector512.Store(Vector512.Load(s + 16), d + 16);
                    }
                }
                else if (cols == nr && nr == 16 && Vector256.IsHardwareAccelerated)
                {
                    for (int kk = 0; kk < kc; kk++, s += p.Ldb, d += nr)
                    {
                        Vector256.Store(Vector256.Load(s), d);
                        Vector256.Store(Vector256.Load(s + 8), d + 8);
                    }
                }
                else
                {
                    for (int kk = 0; kk < kc; kk++, s += p.Ldb, d += nr)
                    {
                        int j = 0;
                        for (; j < cols; j++) d[j] = s[j];
                        for (; j < nr; j++) d[j] = 0f;
                    }
                }
            }
            else if (p.Path == GemmPath.Avx512 && nr == 32)
            {
                // Stored n×k: column j of op(B) is row j of B; two 16-row halves per panel.
                float* s = p.B + (long)(jc + jr) * p.Ldb + pc;
                PackRowsTransposed512(s, p.Ldb, Math.Min(cols, 16), kc, d, 16, nr);
                PackRowsTransposed512(s + 16L * p.Ldb, p.Ldb, Math.Max(cols - 16, 0), kc, d + 16, 16, nr);
            }
            else
            {
                // Stored n×k: column j of op(B) is row j of B.
                float* s = p.B + (long)(jc + jr) * p.Ldb + pc;
                for (int j = 0; j < cols; j++)
                {
                    float* sj = s + (long)j * p.Ldb;
                    for (int kk = 0; kk < kc; kk++) d[kk * nr + j] = sj[kk];
                }
                for (int j = cols; j < nr; j++)
                    for (int kk = 0; kk < kc; kk++) d[kk * nr + j] = 0f;
            }
        }
    }

    /// <summary>Per-thread packing buffers, 64-byte aligned, grown on demand and reused across calls.</summary>
    private sealed class Workspace
    {
        [ThreadStatic] private static Workspace? t_current;

        // 16 floats for 64-byte alignment plus 16 that packing may overrun with full-vector stores.
        private const int Slack = 32;

        private float[] _a = [], _b = [], _tile = [], _held = [];
        public float* A, B, Tile;
        private float* _heldAligned;

        public static Workspace Get(int aLen, int bLen, int tileLen)
        {
            var ws = t_current ??= new Workspace();
            Ensure(ref ws._a, ref ws.A, aLen);
            Ensure(ref ws._b, ref ws.B, bLen);
            Ensure(ref ws._tile, ref ws.Tile, tileLen);
            return ws;
        }

        /// <summary>This thread's buffer for a packed operand kept across products (<see cref="PackAllBHeld"/>), which no
        /// other Gemm method touches.</summary>
        public static float* GetHeld(int length)
        {
            var ws = t_current ??= new Workspace();
            Ensure(ref ws._held, ref ws._heldAligned, length);
            return ws._heldAligned;
        }

        private static void Ensure(ref float[] array, ref float* aligned, int length)
        {
            if (length <= 0 || (array.Length >= length + Slack && aligned != null)) return;
            // Pinned (POH) so the aligned pointer stays valid for the buffer's lifetime.
            array = GC.AllocateUninitializedArray<float>(length + Slack, pinned: true);
            nint addr = (nint)Unsafe.AsPointer(ref array[0]);
            aligned = (float*)((addr + 63) & ~(nint)63);
        }
    }
}
