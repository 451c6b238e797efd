namespace Xent.Kernels;

/// <summary>
/// im2col (<see cref="Unfold"/>) and its adjoint col2im (<see cref="Fold"/>) for one NCHW image, as
/// PyTorch's <c>F.unfold</c>/<c>F.fold</c>: the column matrix has <c>C·kh·kw</c> rows, ordered (c, ky, kx),
/// and <c>Ho·Wo</c> columns, ordered (oy, ox). Positions that fall in the zero padding read as 0.
/// </summary>
public static class Im2Col
{
    /// <summary>Output extent of a window sweep: <c>(size + 2·pad − kernel) / stride + 1</c>.</summary>
    /// <exception cref="ArgumentException">The kernel does not fit the padded input or stride is not positive.</exception>
    public static int OutputSize(int size, int kernel, int stride, int pad)
    {
        if (kernel <= 0 || stride <= 0 || pad < 0 || size <= 0)
            throw new ArgumentException($"Invalid window: size {size}, kernel {kernel}, stride {stride}, padding {pad}.");
        int padded = size + 2 * pad;
        if (padded < kernel)
            throw new ArgumentException($"Kernel size ({kernel}) is larger than the padded input size ({padded}).");
        return (padded - kernel) / stride + 1;
    }

    /// <summary>
    /// Writes the column matrix of <paramref name="image"/> (C×H×W) into <paramref name="col"/>
    /// ((C·kh·kw)×(Ho·Wo), row-major, fully overwritten).
    /// </summary>
    public static void Unfold(ReadOnlySpan<float> image, int channels, int height, int width,
        int kh, int kw, int sh, int sw, int ph, int pw, Span<float> col)
    {
        int ho = OutputSize(height, kh, sh, ph), wo = OutputSize(width, kw, sw, pw);
        CheckLengths(image.Length, col.Length, channels, height, width, kh, kw, ho, wo);
        int plane = height * width, cols = ho * wo;
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<float> src = image.Slice(c * plane, plane);
            for (int ky = 0; ky < kh; ky++)
            {
                for (int kx = 0; kx < kw; kx++)
                {
                    Span<float> row = col.Slice(((c * kh + ky) * kw + kx) * cols, cols);
                    // Valid ox: 0 <= ox*sw - pw + kx < width.
                    int ox0 = FirstValid(pw - kx, sw), ox1 = Math.Min(wo, LastValidExclusive(width + pw - kx, sw));
                    for (int oy = 0; oy < ho; oy++)
                    {
                        Span<float> dst = row.Slice(oy * wo, wo);
                        int iy = oy * sh - ph + ky;
                        if ((uint)iy >= (uint)height || ox0 >= ox1)
                        {
                            dst.Clear();
                            continue;
                        }
                        dst[..ox0].Clear();
                        dst[ox1..].Clear();
                        int ix0 = ox0 * sw - pw + kx;
                        ReadOnlySpan<float> srow = src.Slice(iy * width, width);
                        if (sw == 1) srow.Slice(ix0, ox1 - ox0).CopyTo(dst[ox0..ox1]);
                        else for (int ox = ox0, ix = ix0; ox < ox1; ox++, ix += sw) dst[ox] = srow[ix];
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
    public static void Fold(ReadOnlySpan<float> col, int channels, int height, int width,
        int kh, int kw, int sh, int sw, int ph, int pw, Span<float> image)
    {
        int ho = OutputSize(height, kh, sh, ph), wo = OutputSize(width, kw, sw, pw);
        CheckLengths(image.Length, col.Length, channels, height, width, kh, kw, ho, wo);
        int plane = height * width, cols = ho * wo;
        for (int c = 0; c < channels; c++)
        {
            Span<float> dstPlane = image.Slice(c * plane, plane);
            for (int ky = 0; ky < kh; ky++)
            {
                for (int kx = 0; kx < kw; kx++)
                {
                    ReadOnlySpan<float> row = col.Slice(((c * kh + ky) * kw + kx) * cols, cols);
                    int ox0 = FirstValid(pw - kx, sw), ox1 = Math.Min(wo, LastValidExclusive(width + pw - kx, sw));
                    if (ox0 >= ox1) continue;
                    for (int oy = 0; oy < ho; oy++)
                    {
                        int iy = oy * sh - ph + ky;
                        if ((uint)iy >= (uint)height) continue;
                        ReadOnlySpan<float> src = row.Slice(oy * wo, wo);
                        Span<float> drow = dstPlane.Slice(iy * width, width);
                        int ix0 = ox0 * sw - pw + kx;
                        if (sw == 1) Elementwise.AddInPlace(src[ox0..ox1], drow.Slice(ix0, ox1 - ox0));
                        else for (int ox = ox0, ix = ix0; ox < ox1; ox++, ix += sw) drow[ix] += src[ox];
                    }
                }
            }
        }
    }

    /// <summary>Reference twin of <see cref="Unfold"/>: one bounds check per element.</summary>
    public static void UnfoldScalar(ReadOnlySpan<float> image, int channels, int height, int width,
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
    public static void FoldScalar(ReadOnlySpan<float> col, int channels, int height, int width,
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

    /// <summary>Smallest o ≥ 0 with o·stride ≥ offset.</summary>
    private static int FirstValid(int offset, int stride) => offset <= 0 ? 0 : (offset + stride - 1) / stride;

    /// <summary>Smallest o with o·stride ≥ limit (so o·stride − … stays below the width for smaller o).</summary>
    private static int LastValidExclusive(int limit, int stride) => limit <= 0 ? 0 : (limit + stride - 1) / stride;

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
