using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xent.Kernels;

/// <summary>
/// One image's im2col matrix, transposed, as a GEMM left operand that is gathered straight into packed panels and never
/// stored: row <c>oy·Wo + ox</c> is an output position, column <c>(ci·kh + ky)·kw + kx</c> a filter tap in the weight's
/// (Cout, Cin, kh, kw) order, so <c>Cᵀ = A · Wᵀ</c> is the convolution in channels-last layout (positions × Cout).
/// </summary>
/// <remarks>
/// The source is a zero-padded copy of the image (<see cref="CopyPadded"/>), so the gather needs no bounds checks. With
/// AVX-512, a horizontal stride of 1, panels of at most 16 rows and a panel that lies within two output rows, its positions
/// are at most two runs of consecutive input floats per tap, read as two 16-float loads and one blend; any other panel is
/// gathered element by element.
/// </remarks>
internal readonly unsafe struct Im2ColRows : IRowPanelSource
{
    /// <summary>Floats kept before and after the padded planes, so a 16-float load may start or end outside them.</summary>
    private const int Slack = 16;

    private readonly float* _planes;
    private readonly int _paddedWidth, _plane, _kernelH, _kernelW, _strideH, _strideW, _outWidth;

    /// <summary>A source over <paramref name="padded"/>, a buffer that <see cref="CopyPadded"/> filled for <paramref name="s"/>.</summary>
    public Im2ColRows(in Conv2dShape s, float* padded)
    {
        _planes = padded + Slack;
        _paddedWidth = s.Width + 2 * s.PadW;
        _plane = (s.Height + 2 * s.PadH) * _paddedWidth;
        _kernelH = s.KernelH;
        _kernelW = s.KernelW;
        _strideH = s.StrideH;
        _strideW = s.StrideW;
        _outWidth = s.OutWidth;
    }

    /// <summary>Floats of the buffer <see cref="CopyPadded"/> fills: the padded planes and the slack around them.</summary>
    public static long PaddedLength(in Conv2dShape s) =>
        (long)s.InChannels * (s.Height + 2 * s.PadH) * (s.Width + 2 * s.PadW) + 2 * Slack;

    /// <summary>Copies one (Cin, H, W) image into <paramref name="dst"/> with its zero border and zero slack.</summary>
    public static void CopyPadded(in Conv2dShape s, ReadOnlySpan<float> image, float* dst)
    {
        int h = s.Height, w = s.Width, pw = s.PadW, ph = s.PadH, wp = w + 2 * pw, hp = h + 2 * ph;
        var all = new Span<float>(dst, checked((int)PaddedLength(in s)));
        if (ph == 0 && pw == 0)
        {
            all[..Slack].Clear();
            image[..s.InputImageSize].CopyTo(all.Slice(Slack));
            all[(Slack + s.InputImageSize)..].Clear();
            return;
        }
        all.Clear();
        for (int c = 0; c < s.InChannels; c++)
            for (int y = 0; y < h; y++)
                image.Slice((c * h + y) * w, w).CopyTo(all.Slice(Slack + (c * hp + y + ph) * wp + pw, w));
    }

    /// <inheritdoc/>
    public void PackPanel(int row0, int rows, int k0, int kc, int mr, float* dst)
    {
        int oy = row0 / _outWidth, ox = row0 - oy * _outWidth;
        int first = Math.Min(rows, _outWidth - ox); // positions in the first output row
        if (Vector512.IsHardwareAccelerated && _strideW == 1 && mr <= 16 && rows - first <= _outWidth)
            PackTwoRuns(oy, ox, rows, first, k0, kc, mr, dst);
        else
            PackGather(row0, rows, k0, kc, mr, dst);
    }

    /// <summary>
    /// Stride-1 panels: lane r reads the tap's value at position r of the first output row's run, or of the next row's,
    /// from two unaligned loads; lanes past <paramref name="rows"/> are zero and lanes past <paramref name="mr"/> are
    /// overwritten by the next tap's store.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private void PackTwoRuns(int oy, int ox, int rows, int first, int k0, int kc, int mr, float* dst)
    {
        long run1 = (long)oy * _strideH * _paddedWidth + ox;
        // Lane r ≥ first reads position (oy + 1, r − first): its address is run2 + r.
        long run2 = (long)(oy + 1) * _strideH * _paddedWidth - first;
        var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var fromFirst = Vector512.LessThan(lanes, Vector512.Create(first)).AsSingle();
        var valid = Vector512.LessThan(lanes, Vector512.Create(rows)).AsSingle();
        bool twoRuns = first < rows;
        var (ci, ky, kx) = Tap(k0);
        float* s = _planes + (long)ci * _plane + ky * _paddedWidth + kx;
        for (int kk = 0; kk < kc; kk++, dst += mr)
        {
            var v = Vector512.Load(s + run1);
            if (twoRuns) v = Vector512.ConditionalSelect(fromFirst, v, Vector512.Load(s + run2));
            Vector512.Store(v & valid, dst);
            s = NextTap(s, ref ky, ref kx);
        }
    }

    /// <summary>Any geometry: each of the panel's positions read through its own offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private void PackGather(int row0, int rows, int k0, int kc, int mr, float* dst)
    {
        long* at = stackalloc long[mr];
        for (int r = 0; r < rows; r++)
        {
            int oy = (row0 + r) / _outWidth, ox = row0 + r - oy * _outWidth;
            at[r] = (long)oy * _strideH * _paddedWidth + (long)ox * _strideW;
        }
        var (ci, ky, kx) = Tap(k0);
        float* s = _planes + (long)ci * _plane + ky * _paddedWidth + kx;
        for (int kk = 0; kk < kc; kk++, dst += mr)
        {
            int r = 0;
            for (; r < rows; r++) dst[r] = s[at[r]];
            for (; r < mr; r++) dst[r] = 0f;
            s = NextTap(s, ref ky, ref kx);
        }
    }

    /// <summary>Channel, row and column of filter tap <paramref name="k"/>.</summary>
    private (int Ci, int Ky, int Kx) Tap(int k)
    {
        int taps = _kernelH * _kernelW, ci = k / taps, t = k - ci * taps, ky = t / _kernelW;
        return (ci, ky, t - ky * _kernelW);
    }

    /// <summary>Moves <paramref name="s"/> from one tap's top-left input to the next tap's (kx, then ky, then ci).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float* NextTap(float* s, ref int ky, ref int kx)
    {
        if (++kx < _kernelW) return s + 1;
        kx = 0;
        if (++ky < _kernelH) return s + _paddedWidth - (_kernelW - 1);
        ky = 0;
        return s + _plane - (long)(_kernelH - 1) * _paddedWidth - (_kernelW - 1);
    }
}
