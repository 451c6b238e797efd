using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xent.Kernels;

/// <summary>
/// 2-D max pooling over NCHW planes with PyTorch's CPU semantics (<c>F.max_pool2d(..., return_indices=True)</c>):
/// padding never wins (it acts as −∞), the first maximum in row-major window order wins ties, and a NaN wins
/// over any number (the last NaN in the window when there are several). Indices are flat positions
/// <c>iy·W + ix</c> within the input plane.
/// </summary>
internal static unsafe class MaxPool2dKernel
{
    /// <summary>
    /// Forward over <paramref name="planes"/> (= N·C) planes of H×W. Writes (planes, Ho, Wo) maxima to
    /// <paramref name="output"/> and their argmax to <paramref name="indices"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Padding exceeds half the kernel (PyTorch's rule), or a span is too short.</exception>
    public static void Forward(ReadOnlySpan<float> input, int planes, int height, int width,
        int kh, int kw, int sh, int sw, int ph, int pw, Span<float> output, Span<int> indices)
    {
        var (ho, wo) = Check(input.Length, planes, height, width, kh, kw, sh, sw, ph, pw, output.Length, indices.Length);
        fixed (float* px = input, py = output)
        fixed (int* pi = indices)
        {
            PinnedSpan<float> x = new(px, input.Length), y = new(py, output.Length);
            PinnedSpan<int> idx = new(pi, indices.Length);
            KernelParallel.ForChunks(planes, PlanesPerChunk(ho * wo), (_, p0, p1) =>
                ForwardPlanes(p0, p1, x, height, width, kh, kw, sh, sw, ph, pw, ho, wo, y, idx));
        }
    }

    /// <summary>Planes <paramref name="p0"/>..<paramref name="p1"/>−1 of <see cref="Forward"/>.</summary>
    private static void ForwardPlanes(int p0, int p1, ReadOnlySpan<float> x, int height, int width, int kh, int kw, int sh, int sw,
        int ph, int pw, int ho, int wo, Span<float> y, Span<int> idx)
    {
        int inPlane = height * width, outPlane = ho * wo;
        bool fast2x2 = kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0;
        for (int pl = p0; pl < p1; pl++)
        {
            var xp = x.Slice(pl * inPlane, inPlane);
            var yp = y.Slice(pl * outPlane, outPlane);
            var ip = idx.Slice(pl * outPlane, outPlane);
            if (fast2x2) Plane2x2(xp, width, ho, wo, yp, ip);
            else Plane(xp, height, width, kh, kw, sh, sw, ph, pw, ho, wo, yp, ip);
        }
    }

    /// <summary>
    /// Backward: <paramref name="gradInput"/> (planes, H, W) is overwritten with the scatter-add of
    /// <paramref name="gradOutput"/> to the recorded argmax positions (in output order).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> indices, int planes,
        int height, int width, int outHeight, int outWidth, Span<float> gradInput)
    {
        int inPlane = height * width, outPlane = outHeight * outWidth;
        if (gradOutput.Length < (long)planes * outPlane || indices.Length < (long)planes * outPlane)
            throw new ArgumentException($"Output gradient ({gradOutput.Length}) or indices ({indices.Length}) shorter than " +
                $"{planes}x{outHeight}x{outWidth}.");
        if (gradInput.Length < (long)planes * inPlane)
            throw new ArgumentException($"Input gradient has {gradInput.Length} elements; {planes}x{height}x{width} needs " +
                $"{(long)planes * inPlane}.", nameof(gradInput));
        // Planes in parallel (each is written by one chunk): the pass is bound by memory bandwidth, not arithmetic.
        // A bad index is reported after the loop, as the ArgumentException a caller expects, not an AggregateException.
        long badAt = -1;
        fixed (float* pdy = gradOutput, pdx = gradInput)
        fixed (int* pi = indices)
        {
            PinnedSpan<float> dy = new(pdy, gradOutput.Length), dx = new(pdx, gradInput.Length);
            PinnedSpan<int> idx = new(pi, indices.Length);
            KernelParallel.ForChunks(planes, PlanesPerChunk(outPlane), (long)inPlane + outPlane, (_, p0, p1) =>
            {
                long bad = BackwardPlanes(p0, p1, dy, idx, inPlane, outPlane, dx);
                if (bad >= 0) Interlocked.CompareExchange(ref badAt, bad, -1);
            });
        }
        if (badAt >= 0)
        {
            int pl = (int)(badAt / outPlane), o = (int)(badAt % outPlane);
            throw new ArgumentException($"Index {indices[(int)badAt]} at output {o} of plane {pl} is outside the {height}x{width} input.",
                nameof(indices));
        }
    }

    /// <summary>
    /// Planes <paramref name="p0"/>..<paramref name="p1"/>−1 of <see cref="Backward"/>: dX cleared, then dY scatter-added to the
    /// argmax positions. Returns the flat position of the first out-of-plane index (the chunk stops there), or −1.
    /// </summary>
    private static long BackwardPlanes(int p0, int p1, ReadOnlySpan<float> dy, ReadOnlySpan<int> indices, int inPlane, int outPlane,
        Span<float> dx)
    {
        for (int pl = p0; pl < p1; pl++)
        {
            var gi = dx.Slice(pl * inPlane, inPlane);
            var go = dy.Slice(pl * outPlane, outPlane);
            var idx = indices.Slice(pl * outPlane, outPlane);
            gi.Clear();
            for (int o = 0; o < outPlane; o++)
            {
                int i = idx[o];
                if ((uint)i >= (uint)inPlane) return (long)pl * outPlane + o;
                gi[i] += go[o];
            }
        }
        return -1;
    }

    /// <summary>Reference twin of <see cref="Forward"/>: the plain window loop for every plane.</summary>
    internal static void ForwardScalar(ReadOnlySpan<float> input, int planes, int height, int width,
        int kh, int kw, int sh, int sw, int ph, int pw, Span<float> output, Span<int> indices)
    {
        var (ho, wo) = Check(input.Length, planes, height, width, kh, kw, sh, sw, ph, pw, output.Length, indices.Length);
        int inPlane = height * width, outPlane = ho * wo;
        for (int pl = 0; pl < planes; pl++)
            Plane(input.Slice(pl * inPlane, inPlane), height, width, kh, kw, sh, sw, ph, pw, ho, wo,
                output.Slice(pl * outPlane, outPlane), indices.Slice(pl * outPlane, outPlane));
    }

    /// <summary>
    /// <see cref="Forward"/> over a few planes on the calling thread, for a fused kernel that pools one image's
    /// output while it is in cache: the same comparisons, so the same maxima and indices.
    /// </summary>
    internal static void ForwardSerial(ReadOnlySpan<float> input, int planes, int height, int width, int kh, int kw, int sh, int sw,
        Span<float> output, Span<int> indices)
    {
        var (ho, wo) = Check(input.Length, planes, height, width, kh, kw, sh, sw, 0, 0, output.Length, indices.Length);
        ForwardPlanes(0, planes, input, height, width, kh, kw, sh, sw, 0, 0, ho, wo, output, indices);
    }

    /// <summary>Planes are independent; chunks of about 16 Ki outputs keep the per-chunk overhead small.</summary>
    private static int PlanesPerChunk(int outPlane) => Math.Max(1, 16384 / Math.Max(1, outPlane));

    /// <summary>Output height or width of a pooling window sweep (floor mode).</summary>
    public static int OutputSize(int size, int kernel, int stride, int pad) => Im2Col.OutputSize(size, kernel, stride, pad);

    private static void Plane(ReadOnlySpan<float> x, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
        int ho, int wo, Span<float> y, Span<int> idx)
    {
        for (int oy = 0; oy < ho; oy++)
        {
            int y0 = oy * sh - ph, y1 = Math.Min(y0 + kh, height);
            y0 = Math.Max(y0, 0);
            for (int ox = 0; ox < wo; ox++)
            {
                int x0 = ox * sw - pw, x1 = Math.Min(x0 + kw, width);
                x0 = Math.Max(x0, 0);
                // As ATen: start from −∞ at the first in-bounds position; '>' keeps the first of equal maxima.
                float best = float.NegativeInfinity;
                int bestIndex = y0 * width + x0;
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++)
                    {
                        float v = x[iy * width + ix];
                        if (v > best || float.IsNaN(v))
                        {
                            best = v;
                            bestIndex = iy * width + ix;
                        }
                    }
                y[oy * wo + ox] = best;
                idx[oy * wo + ox] = bestIndex;
            }
        }
    }

    /// <summary>
    /// The MNIST-CNN case (2×2 window, stride 2, no padding): eight outputs per step with Vector256, the same
    /// comparisons in the same window order as the scalar loop, as lane-wise selects instead of branches
    /// (a data-dependent branch per element mispredicts half the time on real activations).
    /// </summary>
    private static void Plane2x2(ReadOnlySpan<float> x, int width, int ho, int wo, Span<float> y, Span<int> idx)
    {
        if (!Vector256.IsHardwareAccelerated || wo < 8)
        {
            Plane2x2Scalar(x, width, ho, wo, y, idx);
            return;
        }
        var evenOdd = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var twoStep = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        fixed (float* px = x, py = y)
        fixed (int* pi = idx)
        {
            for (int oy = 0; oy < ho; oy++)
            {
                int r0 = 2 * oy * width, r1 = r0 + width;
                for (int ox = 0; ; ox += 8)
                {
                    // The last step overlaps the previous one instead of falling back to scalar code: outputs are
                    // pure functions of the input, so writing some twice is harmless.
                    if (ox > wo - 8) ox = wo - 8;
                    var (e0, o0) = Deinterleave(px + r0 + 2 * ox, evenOdd);
                    var (e1, o1) = Deinterleave(px + r1 + 2 * ox, evenOdd);
                    var i00 = Vector256.Create(r0 + 2 * ox) + twoStep;
                    var best = e0;
                    var bi = i00;
                    Take(o0, i00 + Vector256<int>.One, ref best, ref bi);
                    Take(e1, i00 + Vector256.Create(width), ref best, ref bi);
                    Take(o1, i00 + Vector256.Create(width + 1), ref best, ref bi);
                    best.Store(py + oy * wo + ox);
                    bi.Store(pi + oy * wo + ox);
                    if (ox == wo - 8) break;
                }
            }
        }
    }

    /// <summary>Splits 16 consecutive floats into their even- and odd-position elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Even, Vector256<float> Odd) Deinterleave(float* p, Vector256<int> evenOdd)
    {
        var a = Vector256.Shuffle(Vector256.Load(p), evenOdd);
        var b = Vector256.Shuffle(Vector256.Load(p + 8), evenOdd);
        return (Vector256.Create(a.GetLower(), b.GetLower()), Vector256.Create(a.GetUpper(), b.GetUpper()));
    }

    /// <summary>The scalar rule <c>if (v &gt; best || IsNaN(v)) take v</c>, lane-wise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(Vector256<float> v, Vector256<int> index, ref Vector256<float> best, ref Vector256<int> bestIndex)
    {
        var take = Vector256.GreaterThan(v, best) | Vector256.IsNaN(v);
        best = Vector256.ConditionalSelect(take, v, best);
        bestIndex = Vector256.ConditionalSelect(take.AsInt32(), index, bestIndex);
    }

    /// <summary>Reference twin of <see cref="Plane2x2"/>, with the window loop unrolled.</summary>
    private static void Plane2x2Scalar(ReadOnlySpan<float> x, int width, int ho, int wo, Span<float> y, Span<int> idx)
    {
        for (int oy = 0; oy < ho; oy++)
        {
            int r0 = 2 * oy * width, r1 = r0 + width;
            for (int ox = 0; ox < wo; ox++)
            {
                int i = r0 + 2 * ox;
                float best = x[i];
                int bi = i;
                // The first element always wins over −∞ (or is NaN); then the same rule as the general loop.
                float v = x[i + 1];
                if (v > best || float.IsNaN(v)) { best = v; bi = i + 1; }
                v = x[r1 + 2 * ox];
                if (v > best || float.IsNaN(v)) { best = v; bi = r1 + 2 * ox; }
                v = x[r1 + 2 * ox + 1];
                if (v > best || float.IsNaN(v)) { best = v; bi = r1 + 2 * ox + 1; }
                y[oy * wo + ox] = best;
                idx[oy * wo + ox] = bi;
            }
        }
    }

    private static (int Ho, int Wo) Check(int inputLength, int planes, int height, int width,
        int kh, int kw, int sh, int sw, int ph, int pw, int outputLength, int indicesLength)
    {
        if (planes < 0) throw new ArgumentOutOfRangeException(nameof(planes), planes, "planes must be non-negative.");
        if (ph > kh / 2 || pw > kw / 2)
            throw new ArgumentException($"pad should be at most half of effective kernel size, but got pad=({ph}, {pw}), " +
                $"kernel_size=({kh}, {kw}).");
        int ho = OutputSize(height, kh, sh, ph), wo = OutputSize(width, kw, sw, pw);
        long needIn = (long)planes * height * width, needOut = (long)planes * ho * wo;
        if (inputLength < needIn)
            throw new ArgumentException($"Input span has {inputLength} elements; {planes}x{height}x{width} needs {needIn}.");
        if (outputLength < needOut || indicesLength < needOut)
            throw new ArgumentException($"Output ({outputLength}) or indices ({indicesLength}) span shorter than {planes}x{ho}x{wo} = " +
                $"{needOut}.");
        return (ho, wo);
    }
}
