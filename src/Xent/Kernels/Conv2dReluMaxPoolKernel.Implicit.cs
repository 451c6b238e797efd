using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xent.Kernels;

// The batched forward as an implicit GEMM: each image's convolution is computed channels-last, Cᵀ = im2col(x)ᵀ · Wᵀ
// (positions × Cout), with the im2col operand gathered straight from the image into GEMM panels (Im2ColRows) and the
// weights packed once for the whole batch. No im2col matrix is written or re-read, the weights are not re-packed per
// image, and Cout fills whole 32-column register tiles where the channel-major product had a partial row panel.
// Every conv output gets the bits of Conv2dKernel's Sgemm (Gemm.SgemmPackedA), and ReLU and pooling apply the unfused
// kernels' comparisons, so pooled values and indices are bit for bit those of the other forward. One exception: where an
// input and a weight are both NaN, the product's NaN payload is the other operand's (the two factors swap places in the
// fused multiply-add); it is a NaN either way, with the same index.
internal static unsafe partial class Conv2dReluMaxPoolKernel
{
    /// <summary>
    /// Whether the forward runs as an implicit GEMM: with AVX-512 (without it the panels are gathered and pooled element
    /// by element, slower than the explicit im2col), for more than one image (a single image parallelises its GEMM
    /// instead), when Conv2dKernel's product runs on Sgemm's packed path, whose bits the implicit product reproduces, and
    /// when one image's scratch fits an array.
    /// </summary>
    internal static bool UsesImplicitGemm(in Conv2dShape s) =>
        Gemm.BestPath == Gemm.GemmPath.Avx512 && Vector512.IsHardwareAccelerated && s.Batch > 1
        && !Gemm.UsesSmallPath(false, false, s.OutChannels, s.OutHeight * s.OutWidth, s.PatchSize)
        && ImageScratchLength(in s) <= Array.MaxLength;

    /// <summary>Floats of one image's scratch: the padded image, then the channels-last convolution (64-byte aligned).</summary>
    private static long ImageScratchLength(in Conv2dShape s) =>
        Im2ColRows.PaddedLength(in s) + (long)s.OutHeight * s.OutWidth * s.OutChannels + AlignSlack;

    /// <summary>The batched forward: weights packed once, then one image per parallel chunk.</summary>
    private static void ForwardImplicit(in Conv2dShape g, int poolH, int poolW, PinnedSpan<float> x, PinnedSpan<float> w,
        PinnedSpan<float> b, PinnedSpan<float> y, PinnedSpan<int> idx)
    {
        var path = Gemm.BestPath;
        int packedLength = checked((int)Gemm.PackedBLength(g.OutChannels, g.PatchSize, path));
        float[] packed = ArrayPool<float>.Shared.Rent(packedLength + 2 * AlignSlack);
        try
        {
            fixed (float* pp = packed)
            {
                var weights = new PinnedSpan<float>(Align(pp), packedLength);
                Gemm.PackAllB(transB: true, g.OutChannels, g.PatchSize, w, g.PatchSize, weights.Pointer, path);
                Conv2dShape s = g;
                var (hp, wp) = PooledSize(in s, poolH, poolW);
                int pooledImage = s.OutChannels * hp * wp;
                KernelParallel.ForChunks(s.Batch, 1, (_, n, _) => ForwardImageImplicit(in s, poolH, poolW,
                    x.Slice(n * s.InputImageSize, s.InputImageSize), weights, b, y.Slice(n * pooledImage, pooledImage),
                    idx.Slice(n * pooledImage, pooledImage)));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
        }
    }

    /// <summary>
    /// One image: the channels-last convolution (starting from the bias, as Conv2dKernel's) into a scratch, then ReLU and
    /// pooling from there into the (Cout, Hp, Wp) outputs.
    /// </summary>
    private static void ForwardImageImplicit(in Conv2dShape g, int poolH, int poolW, ReadOnlySpan<float> image,
        PinnedSpan<float> packedWeights, ReadOnlySpan<float> bias, Span<float> pooled, Span<int> indices)
    {
        int cout = g.OutChannels, positions = g.OutHeight * g.OutWidth;
        var (hp, wp) = PooledSize(in g, poolH, poolW);
        // UsesImplicitGemm checked that the whole scratch fits an array, so these are exact.
        int paddedLength = (int)Im2ColRows.PaddedLength(in g);
        float[] scratch = ArrayPool<float>.Shared.Rent((int)ImageScratchLength(in g));
        try
        {
            fixed (float* ps = scratch, py = pooled)
            fixed (int* pi = indices)
            {
                float* padded = ps;
                float* conv = Align(padded + paddedLength);
                Im2ColRows.CopyPadded(in g, image, padded);
                float beta = 0f;
                if (!bias.IsEmpty)
                {
                    for (int p = 0; p < positions; p++) bias[..cout].CopyTo(new Span<float>(conv + (long)p * cout, cout));
                    beta = 1f;
                }
                var rows = new Im2ColRows(in g, padded);
                Gemm.SgemmPackedA(ref rows, positions, cout, g.PatchSize, packedWeights.Pointer, beta, conv, cout, Gemm.BestPath);
                ReluPoolChannelsLast(conv, cout, g.OutWidth, poolH, poolW, hp, wp, py, pi);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// ReLU, then max pooling with non-overlapping <paramref name="poolH"/>×<paramref name="poolW"/> windows, from a
    /// channels-last image (positions × <paramref name="cout"/>) into channel-major (Cout, Hp, Wp) maxima and flat indices
    /// <c>oy·Wo + ox</c>. Sixteen channels per vector (<see cref="Window"/>); when whole 16×16 tiles of channels × pooled
    /// positions cover the planes, each tile is transposed in registers and stored as sixteen contiguous rows, otherwise
    /// the lanes are stored one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void ReluPoolChannelsLast(float* conv, int cout, int wo, int poolH, int poolW, int hp, int wp, float* maxima,
        int* argmax)
    {
        int vectorEnd = Vector512.IsHardwareAccelerated ? cout / 16 * 16 : 0;
        int plane = hp * wp;
        // 16 rows of 16 lanes, 64-byte aligned: one tile of maxima, then one of indices.
        float* tiles = stackalloc float[2 * 256 + AlignSlack];
        float* tile = Align(tiles), indexTile = tile + 256;
        if (vectorEnd == cout && plane % 16 == 0)
        {
            for (int c = 0; c < cout; c += 16)
            {
                for (int q0 = 0; q0 < plane; q0 += 16)
                {
                    for (int t = 0; t < 16; t++)
                    {
                        var (best, bestIndex) = Window(conv, cout, c, wo, q0 + t, wp, poolH, poolW);
                        best.Store(tile + 16 * t);
                        bestIndex.AsSingle().Store(indexTile + 16 * t);
                    }
                    // Pure permutations: the indices travel as float bit patterns, unchanged.
                    Block16(tile, 16, maxima + (long)c * plane + q0, plane);
                    Block16(indexTile, 16, (float*)(argmax + (long)c * plane + q0), plane);
                }
            }
            return;
        }
        int* indexLanes = (int*)indexTile;
        for (int q = 0; q < plane; q++)
        {
            for (int c = 0; c < vectorEnd; c += 16)
            {
                var (best, bestIndex) = Window(conv, cout, c, wo, q, wp, poolH, poolW);
                best.Store(tile);
                bestIndex.Store(indexLanes);
                for (int l = 0; l < 16; l++)
                {
                    maxima[(long)(c + l) * plane + q] = tile[l];
                    argmax[(long)(c + l) * plane + q] = indexLanes[l];
                }
            }
            int oy = q / wp, ox = q - oy * wp;
            for (int c = vectorEnd; c < cout; c++)
                PoolChannel(conv, cout, c, wo, oy * poolH, ox * poolW, poolH, poolW, maxima + (long)c * plane + q,
                    argmax + (long)c * plane + q);
        }
    }

    /// <summary>
    /// Pooled position <paramref name="q"/> of channels <paramref name="c"/>..<paramref name="c"/>+15: MaxPool2dKernel's rule
    /// (start at −∞ and the window's first index, take <c>v &gt; best</c> or NaN, in window order) on values passed through
    /// Elementwise.Relu's (<c>v &lt; 0 ? 0 : v</c>, so NaN and −0 pass), lane by lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Best, Vector512<int> Index) Window(float* conv, int cout, int c, int wo, int q, int wp, int poolH,
        int poolW)
    {
        int oy = q / wp, ox = q - oy * wp, y0 = oy * poolH, x0 = ox * poolW;
        var best = Vector512.Create(float.NegativeInfinity);
        var bestIndex = Vector512.Create(y0 * wo + x0);
        for (int iy = y0; iy < y0 + poolH; iy++)
        {
            for (int ix = x0; ix < x0 + poolW; ix++)
            {
                int at = iy * wo + ix;
                var v = Vector512.Load(conv + (long)at * cout + c);
                v = Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), Vector512<float>.Zero, v);
                var take = Vector512.GreaterThan(v, best) | Vector512.IsNaN(v);
                best = Vector512.ConditionalSelect(take, v, best);
                bestIndex = Vector512.ConditionalSelect(take.AsInt32(), Vector512.Create(at), bestIndex);
            }
        }
        return (best, bestIndex);
    }

    /// <summary>Scalar twin of <see cref="Window"/>'s lanes: the channels past the last 16, or all of them without AVX-512.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PoolChannel(float* conv, int cout, int c, int wo, int y0, int x0, int poolH, int poolW, float* maximum,
        int* index)
    {
        float best = float.NegativeInfinity;
        int bestIndex = y0 * wo + x0;
        for (int iy = y0; iy < y0 + poolH; iy++)
        {
            for (int ix = x0; ix < x0 + poolW; ix++)
            {
                int at = iy * wo + ix;
                float v = conv[(long)at * cout + c];
                if (v < 0f) v = 0f;
                if (v > best || float.IsNaN(v))
                {
                    best = v;
                    bestIndex = at;
                }
            }
        }
        *maximum = best;
        *index = bestIndex;
    }
}
