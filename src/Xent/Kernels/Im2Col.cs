using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xent.Kernels;

/// <summary>
/// im2col (<see cref="Unfold"/>) and its adjoint col2im (<see cref="Fold"/>) for one NCHW image, as
/// PyTorch's <c>F.unfold</c>/<c>F.fold</c>: the column matrix has <c>C·kh·kw</c> rows, ordered (c, ky, kx),
/// and <c>Ho·Wo</c> columns, ordered (oy, ox). Positions that fall in the zero padding read as 0.
/// </summary>
internal static unsafe class Im2Col
{
    /// <summary>Output extent of a window sweep: <c>(size + 2·pad − kernel) / stride + 1</c>.</summary>
    /// <exception cref="ArgumentException">The kernel does not fit the padded input or stride is not positive.</exception>
    public static int OutputSize(int size, int kernel, int stride, int pad)
    {
        if (kernel <= 0 || stride <= 0 || pad < 0 || size <= 0)
            throw new ArgumentException($"Invalid window: size {size}, kernel {kernel}, stride {stride}, padding {pad}.");
        long padded = size + 2L * pad, extent = (padded - kernel) / stride + 1;
        if (padded < kernel)
            throw new ArgumentException($"Kernel size ({kernel}) is larger than the padded input size ({padded}).");
        if (extent > Array.MaxLength)
            throw new ArgumentException($"A window sweep of size {size}, padding {pad}, kernel {kernel} and stride {stride} has {extent} " +
                $"outputs, more than the {Array.MaxLength} elements an array holds.");
        return (int)extent;
    }

    /// <summary>
    /// Writes the column matrix of <paramref name="image"/> (C×H×W) into <paramref name="col"/>
    /// ((C·kh·kw)×(Ho·Wo), row-major, fully overwritten).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Unfold(ReadOnlySpan<float> image, int channels, int height, int width,
        int kh, int kw, int sh, int sw, int ph, int pw, Span<float> col)
    {
        int ho = OutputSize(height, kh, sh, ph), wo = OutputSize(width, kw, sw, pw);
        CheckLengths(image.Length, col.Length, channels, height, width, kh, kw, ho, wo);
        int plane = height * width, cols = ho * wo;
        fixed (float* pImage = image, pCol = col)
        {
            for (int c = 0; c < channels; c++)
            {
                float* src = pImage + (long)c * plane;
                for (int ky = 0; ky < kh; ky++)
                {
                    for (int kx = 0; kx < kw; kx++)
                    {
                        float* row = pCol + (long)((c * kh + ky) * kw + kx) * cols;
                        // Valid ox: 0 <= ox*sw - pw + kx < width.
                        int ox0 = Math.Min(wo, FirstValid(pw - kx, sw)), ox1 = Math.Min(wo, LastValidExclusive(width + pw - kx, sw));
                        if (ox1 < ox0) ox1 = ox0;
                        int ix0 = ox0 * sw - pw + kx;
                        for (int oy = 0; oy < ho; oy++)
                        {
                            float* dst = row + oy * wo;
                            int iy = oy * sh - ph + ky;
                            if ((uint)iy >= (uint)height)
                            {
                                Zero(dst, wo);
                                continue;
                            }
                            Zero(dst, ox0);
                            Zero(dst + ox1, wo - ox1);
                            float* srow = src + iy * width + ix0;
                            if (sw == 1) Copy(srow, dst + ox0, ox1 - ox0);
                            else for (int ox = ox0; ox < ox1; ox++, srow += sw) dst[ox] = *srow;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Adjoint of <see cref="Unfold"/>: adds every entry of <paramref name="col"/> into the image pixel it was
    /// read from (<paramref name="image"/> is accumulated into, not cleared). Contributions to one pixel are
    /// added in (c, ky, kx, oy, ox) order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fold(ReadOnlySpan<float> col, int channels, int height, int width,
        int kh, int kw, int sh, int sw, int ph, int pw, Span<float> image)
    {
        int ho = OutputSize(height, kh, sh, ph), wo = OutputSize(width, kw, sw, pw);
        CheckLengths(image.Length, col.Length, channels, height, width, kh, kw, ho, wo);
        int plane = height * width, cols = ho * wo;
        fixed (float* pImage = image, pCol = col)
        {
            for (int c = 0; c < channels; c++)
            {
                float* dstPlane = pImage + (long)c * plane;
                for (int ky = 0; ky < kh; ky++)
                {
                    for (int kx = 0; kx < kw; kx++)
                    {
                        float* row = pCol + (long)((c * kh + ky) * kw + kx) * cols;
                        int ox0 = FirstValid(pw - kx, sw), ox1 = Math.Min(wo, LastValidExclusive(width + pw - kx, sw));
                        if (ox0 >= ox1) continue;
                        int ix0 = ox0 * sw - pw + kx;
                        for (int oy = 0; oy < ho; oy++)
                        {
                            int iy = oy * sh - ph + ky;
                            if ((uint)iy >= (uint)height) continue;
                            float* src = row + oy * wo;
                            float* drow = dstPlane + iy * width + ix0;
                            if (sw == 1) Add(src + ox0, drow, ox1 - ox0);
                            else for (int ox = ox0; ox < ox1; ox++, drow += sw) *drow += src[ox];
                        }
                    }
                }
            }
        }
    }

    /// <summary>Reference twin of <see cref="Unfold"/>: one bounds check per element.</summary>
    internal static void UnfoldScalar(ReadOnlySpan<float> image, int channels, int height, int width,
        int kh, int kw, int sh, int sw, int ph, int pw, Span<float> col)
    {
        int ho = OutputSize(height, kh, sh, ph), wo = OutputSize(width, kw, sw, pw);
        CheckLengths(image.Length, col.Length, channels, height, width, kh, kw, ho, wo);
        int r = 0;
        for (int c = 0; c < channels; c++)
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++, r++)
                    for (int oy = 0; oy < ho; oy++)
                        for (int ox = 0; ox < wo; ox++)
                        {
                            int iy = oy * sh - ph + ky, ix = ox * sw - pw + kx;
                            bool inside = iy >= 0 && iy < height && ix >= 0 && ix < width;
                            col[(r * ho + oy) * wo + ox] = inside ? image[(c * height + iy) * width + ix] : 0f;
                        }
    }

    /// <summary>Reference twin of <see cref="Fold"/>.</summary>
    internal static void FoldScalar(ReadOnlySpan<float> col, int channels, int height, int width,
        int kh, int kw, int sh, int sw, int ph, int pw, Span<float> image)
    {
        int ho = OutputSize(height, kh, sh, ph), wo = OutputSize(width, kw, sw, pw);
        CheckLengths(image.Length, col.Length, channels, height, width, kh, kw, ho, wo);
        int r = 0;
        for (int c = 0; c < channels; c++)
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++, r++)
                    for (int oy = 0; oy < ho; oy++)
                        for (int ox = 0; ox < wo; ox++)
                        {
                            int iy = oy * sh - ph + ky, ix = ox * sw - pw + kx;
                            if (iy >= 0 && iy < height && ix >= 0 && ix < width)
                                image[(c * height + iy) * width + ix] += col[(r * ho + oy) * wo + ox];
                        }
    }

    // Inline short-row helpers: rows are ~20-30 floats, where a Span.CopyTo call costs more than the copy.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* s, float* d, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(s + i), d + i);
        for (; i < n; i++) d[i] = s[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* s, float* d, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(d + i) + Vector256.Load(s + i), d + i);
        for (; i < n; i++) d[i] += s[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Zero(float* d, int n)
    {
        for (int i = 0; i < n; i++) d[i] = 0f;
    }

    /// <summary>Smallest o ≥ 0 with o·stride ≥ offset.</summary>
    private static int FirstValid(int offset, int stride) => offset <= 0 ? 0 : (int)(((long)offset + stride - 1) / stride);

    /// <summary>Smallest o with o·stride ≥ limit (so o·stride − … stays below the width for smaller o).</summary>
    private static int LastValidExclusive(int limit, int stride) => limit <= 0 ? 0 : (int)(((long)limit + stride - 1) / stride);

    private static void CheckLengths(int imageLength, int colLength, int channels, int height, int width, int kh, int kw, int ho, int wo)
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be positive.");
        long needImage = (long)channels * height * width, needCol = (long)channels * kh * kw * ho * wo;
        if (imageLength < needImage)
            throw new ArgumentException($"Image span has {imageLength} elements; {channels}x{height}x{width} needs {needImage}.");
        if (colLength < needCol)
            throw new ArgumentException($"Column span has {colLength} elements; ({channels}*{kh}*{kw})x({ho}*{wo}) needs {needCol}.");
    }
}
