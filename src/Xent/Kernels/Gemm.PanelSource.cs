using System.Runtime.CompilerServices;

namespace Xent.Kernels;

/// <summary>
/// Writes the left operand of a product straight into <see cref="Gemm"/>'s packed panels, for an operand that is never
/// stored as a matrix (an implicit im2col: <see cref="Im2ColRows"/>).
/// </summary>
internal unsafe interface IRowPanelSource
{
    /// <summary>
    /// Writes rows [<paramref name="row0"/>, <paramref name="row0"/> + <paramref name="rows"/>) × columns
    /// [<paramref name="k0"/>, <paramref name="k0"/> + <paramref name="kc"/>) of op(A) k-major, <paramref name="mr"/> values per
    /// column with the rows past <paramref name="rows"/> zero. It may write up to 16 floats past the panel's end.
    /// </summary>
    void PackPanel(int row0, int rows, int k0, int kc, int mr, float* dst);
}

internal static unsafe partial class Gemm
{
    /// <summary>Floats <see cref="PackAllB"/> writes for an op(B) of <paramref name="k"/>×<paramref name="n"/>.</summary>
    internal static long PackedBLength(int n, int k, GemmPath path) => (long)k * RoundUp(n, MicroCols(path));

    /// <summary>
    /// Packs all of op(B) (<paramref name="k"/>×<paramref name="n"/>) once, in the KC×NC blocks and NR-column panels that
    /// <see cref="SgemmPackedA{TSource}"/> reads, for a right operand shared by many products (a convolution's weights
    /// across a batch). <paramref name="dst"/> holds <see cref="PackedBLength"/> floats plus 16 of slack.
    /// </summary>
    internal static void PackAllB(bool transB, int n, int k, ReadOnlySpan<float> b, int ldb, float* dst, GemmPath path)
    {
        fixed (float* pb = b)
        {
            var p = new Problem { B = pb, Ldb = ldb, TransB = transB, N = n, K = k, Path = path };
            var bl = new Blocking(in p, n);
            for (int jc = 0; jc < n; jc += bl.NC)
            {
                int nc = Math.Min(bl.NC, n - jc);
                for (int pc = 0; pc < k; pc += bl.KC)
                    PackB(in p, pc, Math.Min(bl.KC, k - pc), jc, nc, bl.NR, dst + PackedBOffset(jc, pc, nc, k, bl.NR));
            }
        }
    }

    /// <summary>
    /// <see cref="PackAllB"/> into this thread's held buffer and returns it: for a right operand that one thread uses across
    /// many products, some of which may go through Sgemm (whose own packing buffers it would otherwise share). Valid until the
    /// next call on this thread.
    /// </summary>
    internal static float* PackAllBHeld(bool transB, int n, int k, ReadOnlySpan<float> b, int ldb, GemmPath path)
    {
        float* dst = Workspace.GetHeld(checked((int)PackedBLength(n, k, path)));
        PackAllB(transB, n, k, b, ldb, dst, path);
        return dst;
    }

    /// <summary>Where the block of columns from <paramref name="jc"/> and depths from <paramref name="pc"/> starts: full column
    /// blocks are multiples of NR, so each earlier block took exactly its width × k floats.</summary>
    private static long PackedBOffset(int jc, int pc, int nc, int k, int nr) => (long)jc * k + (long)pc * RoundUp(nc, nr);

    /// <summary>
    /// <c>C = op(A)·op(B) + beta·C</c> on the calling thread, with op(A) (<paramref name="m"/>×<paramref name="k"/>) packed
    /// panel by panel by <paramref name="a"/> and op(B) (<paramref name="k"/>×<paramref name="n"/>) packed by
    /// <see cref="PackAllB"/>.
    /// </summary>
    /// <remarks>
    /// The blocking, micro-kernels and stores are Sgemm's packed path, so every element of C gets the bits Sgemm gives it on
    /// that path for the same k, also for the transposed product: element (i, j) of Cᵀ = op(B)ᵀ·op(A)ᵀ sums the same pairs of
    /// factors, one fused multiply-add each, in the same KC slices (only a NaN's payload can differ, where both factors are
    /// NaN). Callers that must match Sgemm check <see cref="UsesSmallPath"/> first.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    internal static void SgemmPackedA<TSource>(ref TSource a, int m, int n, int k, float* packedB, float beta, float* c, int ldc,
        GemmPath path) where TSource : struct, IRowPanelSource
    {
        if (m <= 0 || n <= 0 || k <= 0)
            throw new ArgumentOutOfRangeException($"{nameof(m)}, {nameof(n)}, {nameof(k)}",
                $"Every dimension must be positive ({m}, {n}, {k}).");
        var p = new Problem { C = c, Ldc = ldc, M = m, N = n, K = k, Alpha = 1f, Beta = beta, Path = path };
        var bl = new Blocking(in p, n);
        var ws = Workspace.Get(bl.MC * bl.KC, 0, bl.MR * bl.NR);
        int firstMode = beta == 0f ? 0 : beta == 1f ? 1 : 2;
        for (int jc = 0; jc < n; jc += bl.NC)
        {
            int nc = Math.Min(bl.NC, n - jc);
            for (int pc = 0; pc < k; pc += bl.KC)
            {
                int kc = Math.Min(bl.KC, k - pc);
                int mode = pc == 0 ? firstMode : 1;
                float* bp = packedB + PackedBOffset(jc, pc, nc, k, bl.NR);
                for (int ic = 0; ic < m; ic += bl.MC)
                {
                    int mc = Math.Min(bl.MC, m - ic);
                    for (int ir = 0; ir < mc; ir += bl.MR)
                        a.PackPanel(ic + ir, Math.Min(bl.MR, mc - ir), pc, kc, bl.MR, ws.A + (long)ir * kc);
                    MacroKernel(in p, in bl, ic, mc, jc, nc, kc, mode, ws.A, bp, ws.Tile);
                }
            }
        }
    }
}
