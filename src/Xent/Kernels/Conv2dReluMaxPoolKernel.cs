using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xent.Kernels;

/// <summary>
/// <c>max_pool2d(relu(conv2d(x, W, b)), (poolH, poolW))</c> with non-overlapping windows (stride = window, no padding,
/// floor mode): the convolution block of the PyTorch MNIST tutorial's CNN, fused.
/// <para>Forward: one image at a time, the convolution + bias lands in a scratch rented for that image and is passed
/// through ReLU and pooled from there, so the full-resolution activation never goes to memory. With AVX-512 a batch runs
/// as an implicit GEMM in channels-last order, ReLU applied as the windows are read (Conv2dReluMaxPoolKernel.Implicit.cs);
/// otherwise, and for a single image or a product Sgemm runs on its small path, <see cref="Conv2dKernel"/>'s per-image
/// body applies the ReLU and <see cref="MaxPool2dKernel"/>'s window code pools. Either way, pooled values and argmax
/// indices are bit for bit those of the two unfused kernels (save a NaN's payload, see the implicit path).</para>
/// <para>Backward: a pooled gradient reaches exactly one convolution output (its window's argmax), and only when the
/// pooled value is not ≤ 0 (ReLU's gradient: positive or NaN). dW, dX and db are therefore sums over those positions alone — a quarter
/// of the dense products for 2×2 windows — with the input and weights in channels-last order, where one filter tap's
/// Cin values are contiguous. The dense products that this skips are zero unless their other factor is NaN or infinite
/// (0·NaN = 0·∞ = NaN), so an image whose input is not all finite (for dW), or any image when the weights are not (for
/// dX), sums over every convolution output instead, zeros included, and gets PyTorch's NaNs.</para>
/// Images are taken in chunks of 8; each chunk sums its images in order into its own partials, which are added in chunk
/// order, so no result depends on the thread count.
/// </summary>
internal static unsafe partial class Conv2dReluMaxPoolKernel
{
    /// <summary>Images per parallel chunk of the backward pass (partial sums are combined in chunk order).</summary>
    private const int ImagesPerChunk = 8;

    /// <summary>Extra floats rented so that a 64-byte-aligned start fits.</summary>
    private const int AlignSlack = 16;

    /// <summary>The first 64-byte-aligned address at or after <paramref name="p"/> (within <see cref="AlignSlack"/> floats).</summary>
    private static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    /// <summary>Pooled height and width: ⌊Ho / poolH⌋ × ⌊Wo / poolW⌋.</summary>
    public static (int Height, int Width) PooledSize(in Conv2dShape s, int poolH, int poolW) =>
        (s.OutHeight / poolH, s.OutWidth / poolW);

    /// <summary>
    /// Forward: <paramref name="pooled"/> (N, Cout, Hp, Wp) and, per pooled element, the flat index <c>oy·Wo + ox</c> of
    /// the convolution output it came from (<paramref name="indices"/>, as <c>max_pool2d(return_indices=True)</c>).
    /// </summary>
    public static void Forward(in Conv2dShape s, int poolH, int poolW, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> pooled, Span<int> indices)
    {
        var (hp, wp) = Check(in s, poolH, poolW, input.Length, weight.Length, pooled.Length, indices.Length);
        if (!bias.IsEmpty && bias.Length < s.OutChannels)
            throw new ArgumentException($"Bias has {bias.Length} elements, expected {s.OutChannels}.", nameof(bias));
        Conv2dShape g = s;
        int pooledImage = g.OutChannels * hp * wp;
        fixed (float* px = input, pw = weight, pb = bias, py = pooled)
        fixed (int* pi = indices)
        {
            PinnedSpan<float> x = new(px, input.Length), w = new(pw, weight.Length), b = new(pb, bias.Length), y = new(py, pooled.Length);
            PinnedSpan<int> idx = new(pi, indices.Length);
            if (UsesImplicitGemm(in g))
            {
                ForwardImplicit(in g, poolH, poolW, x, w, b, y, idx);
                return;
            }
            // Images and GEMM threading as Conv2dKernel.Forward, whose per-image body this one calls.
            Conv2dKernel.ForImages(g.Batch, (n, parallelGemm) => ForwardImage(in g, poolH, poolW,
                x.Slice(n * g.InputImageSize, g.InputImageSize), w, b, y.Slice(n * pooledImage, pooledImage),
                idx.Slice(n * pooledImage, pooledImage), parallelGemm));
        }
    }

    /// <summary>
    /// One image: convolution + bias + ReLU into a scratch the size of one image's activation, pooled from there into
    /// <paramref name="pooled"/> and <paramref name="indices"/> (Cout, Hp, Wp).
    /// </summary>
    private static void ForwardImage(in Conv2dShape g, int poolH, int poolW, ReadOnlySpan<float> x, ReadOnlySpan<float> w,
        ReadOnlySpan<float> bias, Span<float> pooled, Span<int> indices, bool parallelGemm)
    {
        float[] scratch = ArrayPool<float>.Shared.Rent(g.OutputImageSize);
        try
        {
            var conv = scratch.AsSpan(0, g.OutputImageSize);
            Conv2dKernel.ForwardImage(in g, x, w[..g.WeightSize], bias.IsEmpty ? default : bias[..g.OutChannels], conv, relu: true,
                parallelGemm);
            MaxPool2dKernel.ForwardSerial(conv, g.OutChannels, g.OutHeight, g.OutWidth, poolH, poolW, poolH, poolW, pooled, indices);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Backward from <paramref name="gradPooled"/> (N, Cout, Hp, Wp), the forward's <paramref name="pooled"/> values and
    /// <paramref name="indices"/>: overwrites <paramref name="gradInput"/> (N, Cin, H, W), <paramref name="gradWeight"/>
    /// (Cout, Cin, kh, kw) and <paramref name="gradBias"/> (Cout); pass an empty span to skip one.
    /// </summary>
    public static void Backward(in Conv2dShape s, int poolH, int poolW, ReadOnlySpan<float> gradPooled, ReadOnlySpan<float> pooled,
        ReadOnlySpan<int> indices, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, Span<float> gradInput, Span<float> gradWeight,
        Span<float> gradBias)
    {
        var (hp, wp) = Check(in s, poolH, poolW, input.Length, weight.Length, pooled.Length, indices.Length);
        long pooledTotal = (long)s.Batch * s.OutChannels * hp * wp;
        if (gradPooled.Length < pooledTotal)
            throw new ArgumentException($"Pooled gradient has {gradPooled.Length} elements, expected {pooledTotal}.", nameof(gradPooled));
        bool wantX = !gradInput.IsEmpty, wantW = !gradWeight.IsEmpty, wantB = !gradBias.IsEmpty;
        if (wantX && gradInput.Length < (long)s.Batch * s.InputImageSize)
            throw new ArgumentException("Input gradient span is too short.", nameof(gradInput));
        if (wantW && gradWeight.Length < s.WeightSize)
            throw new ArgumentException("Weight gradient span is too short.", nameof(gradWeight));
        if (wantB && gradBias.Length < s.OutChannels)
            throw new ArgumentException("Bias gradient span is too short.", nameof(gradBias));
        int chunks = KernelParallel.ChunkCount(s.Batch, ImagesPerChunk);
        int wsize = s.WeightSize, cout = s.OutChannels, weightParts = wantW ? chunks * wsize : 0, biasParts = wantB ? chunks * cout : 0;
        var g = new Geometry(in s, hp, wp);

        // Weights in channels-last order (Cout, kh, kw, Cin), for the input gradient's per-tap rows (only dX reads them, so
        // they are converted only when it is wanted). Scratch rows are 64-byte aligned (a row of the MNIST CNN is 384 bytes):
        // a vector straddling two cache lines costs a second access.
        float[] weightHwc = ArrayPool<float>.Shared.Rent(wsize + AlignSlack);
        float[] weightPartials = ArrayPool<float>.Shared.Rent(Math.Max(1, weightParts) + AlignSlack);
        double[] biasPartials = new double[Math.Max(1, biasParts)];
        try
        {
            fixed (float* pdy = gradPooled, ppool = pooled, px = input, pwh = weightHwc, pdx = gradInput, pdw = weightPartials)
            fixed (int* pidx = indices)
            fixed (double* pdb = biasPartials)
            {
                var op = new Operands(new(pdy, gradPooled.Length), new(ppool, pooled.Length), new(pidx, indices.Length),
                    new(px, input.Length), new(Align(pwh), wsize), new(pdx, gradInput.Length), new(Align(pdw), weightParts),
                    new(pdb, biasParts), WeightsNonFinite: wantX && !Elementwise.AllFinite(weight[..wsize]));
                if (wantX)
                    for (int co = 0; co < cout; co++)
                        ToChannelsLast(weight.Slice(co * s.PatchSize, s.PatchSize), s.InChannels, s.KernelH, s.KernelW,
                            op.WeightHwc.Slice(co * s.PatchSize, s.PatchSize));
                KernelParallel.ForChunks(s.Batch, ImagesPerChunk, (chunk, b0, b1) => BackwardChunk(in g, in op, chunk, b0, b1));
                if (wantW) SumWeightPartials(in s, op.WeightPartials, chunks, gradWeight);
            }
            if (wantB) SumBiasPartials(biasPartials, chunks, cout, gradBias);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(weightHwc);
            ArrayPool<float>.Shared.Return(weightPartials);
        }
    }

    /// <summary>dW = Σ of the chunks' channels-last partials, in chunk order, back in (Cout, Cin, kh, kw) order.</summary>
    private static void SumWeightPartials(in Conv2dShape s, Span<float> partials, int chunks, Span<float> gradWeight)
    {
        int wsize = s.WeightSize, patch = s.PatchSize;
        if (chunks == 0)
        {
            gradWeight[..wsize].Clear();
            return;
        }
        var total = partials[..wsize];
        for (int c = 1; c < chunks; c++) Elementwise.AddInPlace(partials.Slice(c * wsize, wsize), total);
        for (int co = 0; co < s.OutChannels; co++)
            FromChannelsLast(total.Slice(co * patch, patch), s.InChannels, s.KernelH, s.KernelW, gradWeight.Slice(co * patch, patch));
    }

    /// <summary>db[co] = Σ of the chunks' float64 partials, in chunk order.</summary>
    private static void SumBiasPartials(ReadOnlySpan<double> partials, int chunks, int cout, Span<float> gradBias)
    {
        for (int co = 0; co < cout; co++)
        {
            double sum = 0;
            for (int c = 0; c < chunks; c++) sum += partials[c * cout + co];
            gradBias[co] = (float)sum;
        }
    }

    /// <summary>
    /// One chunk of images, in order: each adds to the chunk's weight and bias partials (zeroed here) and writes its own
    /// input gradient.
    /// </summary>
    private static void BackwardChunk(in Geometry g, in Operands op, int chunk, int b0, int b1)
    {
        Conv2dShape s = g.S;
        Span<float> dW = op.WeightPartials.Length == 0 ? default : op.WeightPartials.Slice(chunk * s.WeightSize, s.WeightSize);
        Span<double> dB = op.BiasPartials.Length == 0 ? default : op.BiasPartials.Slice(chunk * s.OutChannels, s.OutChannels);
        dW.Clear();
        dB.Clear();
        int imageSize = s.InputImageSize, entries = s.OutChannels * g.PooledHeight * g.PooledWidth, outPlane = s.OutHeight * s.OutWidth;
        float[] xScratch = ArrayPool<float>.Shared.Rent(imageSize + AlignSlack);
        float[] dxScratch = ArrayPool<float>.Shared.Rent(imageSize + AlignSlack);
        float[] gainScratch = ArrayPool<float>.Shared.Rent(2 * entries);
        int[] intScratch = ArrayPool<int>.Shared.Rent(EntryLists.IntLength(entries, outPlane, s.OutChannels));
        try
        {
            // An empty span pins as null: the kernels below skip a gradient whose pointer is null.
            fixed (float* xRaw = xScratch, dxRaw = dxScratch, gains = gainScratch, pdW = dW)
            fixed (int* ints = intScratch)
            fixed (double* pdB = dB)
            {
                var lists = EntryLists.Over(gains, ints, entries, outPlane);
                for (int b = b0; b < b1; b++) BackwardImage(in g, in op, b, Align(xRaw), Align(dxRaw), pdW, pdB, lists);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(xScratch);
            ArrayPool<float>.Shared.Return(dxScratch);
            ArrayPool<float>.Shared.Return(gainScratch);
            ArrayPool<int>.Shared.Return(intScratch);
        }
    }

    /// <summary>
    /// Image <paramref name="b"/>: its input to channels-last (when dW is wanted), its passing pooled gradients through the
    /// sparse convolution backward into dW, db and a channels-last dX, and that dX back to (Cin, H, W).
    /// </summary>
    private static void BackwardImage(in Geometry g, in Operands op, int b, float* xHwc, float* dxHwc, float* dW, double* dB,
        EntryLists lists)
    {
        Conv2dShape s = g.S;
        int cin = s.InChannels, imageSize = s.InputImageSize;
        long at = (long)b * s.OutChannels * g.PooledHeight * g.PooledWidth;
        var image = new ImageGradient(op.GradPooled.Pointer + at, op.Pooled.Pointer + at, op.Indices.Pointer + at);
        bool wantX = op.GradInput.Length != 0;
        if (dW != null)
            ToChannelsLast(op.Input.Slice(b * imageSize, imageSize), cin, s.Height, s.Width, new Span<float>(xHwc, imageSize));
        if (wantX) new Span<float>(dxHwc, imageSize).Clear();
        // dW multiplies gradients by the input, dX by the weights: a zero gradient skipped against a NaN or ∞ there would
        // lose the NaN that PyTorch's dense product gives.
        if ((dW != null && !Elementwise.AllFinite(new ReadOnlySpan<float>(xHwc, imageSize))) || (wantX && op.WeightsNonFinite))
            DenseImage(in g, image, xHwc, op.WeightHwc.Pointer, dW, dB, wantX ? dxHwc : null);
        else
        {
            int total = ListPassing(in g, image, dB, lists);
            if (g.Contiguous) ContiguousImage(in g, xHwc, op.WeightHwc.Pointer, dW, wantX ? dxHwc : null, lists, total);
            else GenericImage(in g, xHwc, op.WeightHwc.Pointer, dW, wantX ? dxHwc : null, lists);
        }
        if (wantX)
            FromChannelsLast(new ReadOnlySpan<float>(dxHwc, imageSize), cin, s.Height, s.Width,
                op.GradInput.Slice(b * imageSize, imageSize));
    }

    /// <summary>
    /// Whether a pooled element passes its gradient on: ReLU's gradient is zero where the output is ≤ 0 (PyTorch's
    /// threshold_backward, <c>x &lt;= 0 ? 0 : g</c>, so a NaN that the pooling picked passes, as in the unfused ops), and a
    /// zero gradient (a channel dropped by dropout) adds nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Passes(float pooled, float grad) => !(pooled <= 0f) && grad != 0f;

    /// <summary>
    /// Lists the image's passing pooled elements output channel by output channel, in pooled order, as (gradient,
    /// convolution position, channel), with <c>ChannelStarts[co]</c> where channel co's run begins (and
    /// <c>ChannelStarts[Cout]</c> the count), and adds each channel's gradient sum, in float64, to db when wanted.
    /// </summary>
    private static int ListPassing(in Geometry g, ImageGradient image, double* dB, EntryLists lists)
    {
        int pooledPlane = g.PooledHeight * g.PooledWidth, cout = g.S.OutChannels, total = 0;
        for (int co = 0; co < cout; co++)
        {
            long at = (long)co * pooledPlane;
            lists.ChannelStarts[co] = total;
            double biasSum = 0;
            for (int q = 0; q < pooledPlane; q++)
            {
                float grad = image.Grad[at + q];
                if (!Passes(image.Pooled[at + q], grad)) continue;
                biasSum += grad;
                lists.Gains[total] = grad;
                lists.Positions[total] = image.Indices[at + q];
                lists.Channels[total++] = co;
            }
            if (dB != null) dB[co] += biasSum;
        }
        lists.ChannelStarts[cout] = total;
        return total;
    }

    /// <summary>
    /// Every convolution output of the image as an entry, channel by channel in position order: the passing pooled
    /// gradients at their argmax positions (db summed as <see cref="ListPassing"/> does) and 0 everywhere else, also at
    /// the outputs that floor-mode pooling leaves out — the unfused backward's dense pre-activation gradient.
    /// </summary>
    private static int ListAll(in Geometry g, ImageGradient image, double* dB, EntryLists lists)
    {
        int pooledPlane = g.PooledHeight * g.PooledWidth, outPlane = g.S.OutHeight * g.S.OutWidth, cout = g.S.OutChannels;
        for (int co = 0; co < cout; co++)
        {
            long at = (long)co * pooledPlane;
            int start = co * outPlane;
            lists.ChannelStarts[co] = start;
            for (int pos = 0; pos < outPlane; pos++)
            {
                lists.Gains[start + pos] = 0f;
                lists.Positions[start + pos] = pos;
                lists.Channels[start + pos] = co;
            }
            double biasSum = 0;
            for (int q = 0; q < pooledPlane; q++)
            {
                float grad = image.Grad[at + q];
                if (!Passes(image.Pooled[at + q], grad)) continue;
                biasSum += grad;
                lists.Gains[start + image.Indices[at + q]] = grad;
            }
            if (dB != null) dB[co] += biasSum;
        }
        lists.ChannelStarts[cout] = cout * outPlane;
        return cout * outPlane;
    }

    /// <summary>
    /// An image with a non-finite operand: the sums of <see cref="ContiguousImage"/> or <see cref="GenericImage"/> over
    /// every convolution output (<see cref="ListAll"/>), in scratch of that size, rented here as this path is rare.
    /// </summary>
    private static void DenseImage(in Geometry g, ImageGradient image, float* xHwc, float* wHwc, float* dW, double* dB, float* dxHwc)
    {
        int outPlane = g.S.OutHeight * g.S.OutWidth, entries = g.S.OutChannels * outPlane;
        float[] gainScratch = ArrayPool<float>.Shared.Rent(2 * entries);
        int[] intScratch = ArrayPool<int>.Shared.Rent(EntryLists.IntLength(entries, outPlane, g.S.OutChannels));
        try
        {
            fixed (float* gains = gainScratch)
            fixed (int* ints = intScratch)
            {
                var lists = EntryLists.Over(gains, ints, entries, outPlane);
                int total = ListAll(in g, image, dB, lists);
                if (g.Contiguous) ContiguousImage(in g, xHwc, wHwc, dW, dxHwc, lists, total);
                else GenericImage(in g, xHwc, wHwc, dW, dxHwc, lists);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(gainScratch);
            ArrayPool<int>.Shared.Return(intScratch);
        }
    }

    /// <summary>
    /// Stride 1, no padding, where a filter row's taps (kw·Cin values) are contiguous in channels-last order. From the
    /// list of passing pooled elements (<see cref="ListPassing"/>), dW[co] += Σ grad · input patch row is accumulated in
    /// registers per output channel, the list's positions turned into patch starts. For dX the
    /// list is regrouped by convolution output position (a counting sort, channel order kept), so each position's patch
    /// rows take Σ grad · filter row in registers and are updated once; positions run in kw phases of the columns, so
    /// two consecutive updates never touch the same row (a load waiting on the previous update's store would stall).
    /// </summary>
    private static void ContiguousImage(in Geometry g, float* xHwc, float* wHwc, float* dW, float* dxHwc, EntryLists lists, int total)
    {
        Conv2dShape s = g.S;
        int rowLength = s.KernelW * s.InChannels, patch = s.PatchSize;
        int inputRow = s.Width * s.InChannels, outPlane = s.OutHeight * s.OutWidth, wo = s.OutWidth;
        int cout = s.OutChannels;
        int* channelStarts = lists.ChannelStarts;
        if (dW != null)
        {
            for (int e = 0; e < total; e++) lists.Offsets[e] = g.PatchStarts[lists.Positions[e]];
            for (int co = 0; co < cout; co++)
            {
                int first = channelStarts[co], n = channelStarts[co + 1] - first;
                if (n == 0) continue;
                for (int ky = 0; ky < s.KernelH; ky++)
                    WeightedRows.Accumulate(dW + (long)co * patch + ky * rowLength, xHwc + ky * inputRow, lists.Gains + first,
                        lists.Offsets + first, n, rowLength);
            }
        }
        if (dxHwc == null) return;

        // Counting sort by position: Starts[pos] .. Starts[pos + 1] are that position's entries, in channel order.
        int* starts = lists.Starts;
        new Span<int>(starts, outPlane + 1).Clear();
        for (int e = 0; e < total; e++) starts[lists.Positions[e] + 1]++;
        for (int pos = 0; pos < outPlane; pos++) starts[pos + 1] += starts[pos];
        for (int e = 0; e < total; e++)
        {
            int slot = starts[lists.Positions[e]]++;
            lists.ByPositionGains[slot] = lists.Gains[e];
            lists.Offsets[slot] = lists.Channels[e] * patch;
        }
        // The placement advanced each start to its successor's: shift back.
        for (int pos = outPlane; pos > 0; pos--) starts[pos] = starts[pos - 1];
        starts[0] = 0;
        for (int phase = 0; phase < Math.Min(s.KernelW, wo); phase++)
            for (int oy = 0; oy < s.OutHeight; oy++)
                for (int ox = phase; ox < wo; ox += s.KernelW)
                {
                    int pos = oy * wo + ox, n = starts[pos + 1] - starts[pos];
                    if (n == 0) continue;
                    for (int ky = 0; ky < s.KernelH; ky++)
                        WeightedRows.Accumulate(dxHwc + (oy + ky) * inputRow + ox * s.InChannels, wHwc + ky * rowLength,
                            lists.ByPositionGains + starts[pos], lists.Offsets + starts[pos], n, rowLength);
                }
    }

    /// <summary>
    /// Any stride and padding: each listed pooled element's taps one at a time (Cin values each, one-entry
    /// <see cref="WeightedRows.Accumulate"/> calls), skipping those in the padding.
    /// </summary>
    private static void GenericImage(in Geometry g, float* xHwc, float* wHwc, float* dW, float* dxHwc, EntryLists lists)
    {
        Conv2dShape s = g.S;
        int cin = s.InChannels, kh = s.KernelH, kw = s.KernelW, h = s.Height, w = s.Width, wo = s.OutWidth, zero = 0;
        for (int co = 0; co < s.OutChannels; co++)
        {
            float* dWrow = dW == null ? null : dW + (long)co * s.PatchSize;
            float* wRow = wHwc + (long)co * s.PatchSize;
            for (int e = lists.ChannelStarts[co]; e < lists.ChannelStarts[co + 1]; e++)
            {
                float* grad = lists.Gains + e;
                int pos = lists.Positions[e], oy = pos / wo, ox = pos - oy * wo;
                for (int ky = 0; ky < kh; ky++)
                {
                    int iy = oy * s.StrideH - s.PadH + ky;
                    if ((uint)iy >= (uint)h) continue;
                    for (int kx = 0; kx < kw; kx++)
                    {
                        int ix = ox * s.StrideW - s.PadW + kx;
                        if ((uint)ix >= (uint)w) continue;
                        long pixel = ((long)iy * w + ix) * cin;
                        int tap = (ky * kw + kx) * cin;
                        if (dWrow != null) WeightedRows.Accumulate(dWrow + tap, xHwc + pixel, grad, &zero, 1, cin);
                        if (dxHwc != null) WeightedRows.Accumulate(dxHwc + pixel, wRow + tap, grad, &zero, 1, cin);
                    }
                }
            }
        }
    }

    /// <summary>(C, H, W) → (H, W, C): a transpose of the C × H·W matrix.</summary>
    private static void ToChannelsLast(ReadOnlySpan<float> chw, int c, int h, int w, Span<float> hwc)
    {
        int plane = h * w;
        if (chw.Length < (long)c * plane || hwc.Length < (long)c * plane) throw new ArgumentException("Image span too short.");
        fixed (float* src = chw, dst = hwc) Transpose(src, c, plane, dst);
    }

    /// <summary>(H, W, C) → (C, H, W), overwriting <paramref name="chw"/>: a transpose of the H·W × C matrix.</summary>
    private static void FromChannelsLast(ReadOnlySpan<float> hwc, int c, int h, int w, Span<float> chw)
    {
        int plane = h * w;
        if (chw.Length < (long)c * plane || hwc.Length < (long)c * plane) throw new ArgumentException("Image span too short.");
        fixed (float* src = hwc, dst = chw) Transpose(src, plane, c, dst);
    }

    /// <summary>
    /// <c>dst[j·rows + i] = src[i·cols + j]</c>: 16×16 blocks in registers (<see cref="Gemm.Transpose16x16"/>) where
    /// AVX-512 is available, element by element for the edges and otherwise. A pure permutation: no value changes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip tier-0
    private static void Transpose(float* src, int rows, int cols, float* dst)
    {
        int r0 = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; r0 + 16 <= rows; r0 += 16)
            {
                int c0 = 0;
                for (; c0 + 16 <= cols; c0 += 16) Block16(src + (long)r0 * cols + c0, cols, dst + (long)c0 * rows + r0, rows);
                for (; c0 < cols; c0++)
                    for (int r = r0; r < r0 + 16; r++) dst[(long)c0 * rows + r] = src[(long)r * cols + c0];
            }
        }
        for (; r0 < rows; r0++)
            for (int col = 0; col < cols; col++) dst[(long)col * rows + r0] = src[(long)r0 * cols + col];
    }

    /// <summary>One 16×16 block: rows of <paramref name="src"/> (stride <paramref name="srcStride"/>) become rows of
    /// <paramref name="dst"/>'s columns (stride <paramref name="dstStride"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block16(float* src, int srcStride, float* dst, int dstStride)
    {
        Vector512<float> r0 = Vector512.Load(src), r1 = Vector512.Load(src + srcStride), r2 = Vector512.Load(src + 2 * srcStride),
            r3 = Vector512.Load(src + 3 * srcStride), r4 = Vector512.Load(src + 4 * srcStride), r5 = Vector512.Load(src + 5 * srcStride),
            r6 = Vector512.Load(src + 6 * srcStride), r7 = Vector512.Load(src + 7 * srcStride), r8 = Vector512.Load(src + 8 * srcStride),
            r9 = Vector512.Load(src + 9 * srcStride), r10 = Vector512.Load(src + 10 * srcStride),
            r11 = Vector512.Load(src + 11 * srcStride), r12 = Vector512.Load(src + 12 * srcStride),
            r13 = Vector512.Load(src + 13 * srcStride), r14 = Vector512.Load(src + 14 * srcStride),
            r15 = Vector512.Load(src + 15 * srcStride);
        Gemm.Transpose16x16(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, ref r8, ref r9, ref r10, ref r11, ref r12,
            ref r13, ref r14, ref r15);
        r0.Store(dst); r1.Store(dst + dstStride); r2.Store(dst + 2 * dstStride); r3.Store(dst + 3 * dstStride);
        r4.Store(dst + 4 * dstStride); r5.Store(dst + 5 * dstStride); r6.Store(dst + 6 * dstStride); r7.Store(dst + 7 * dstStride);
        r8.Store(dst + 8 * dstStride); r9.Store(dst + 9 * dstStride); r10.Store(dst + 10 * dstStride);
        r11.Store(dst + 11 * dstStride); r12.Store(dst + 12 * dstStride); r13.Store(dst + 13 * dstStride);
        r14.Store(dst + 14 * dstStride); r15.Store(dst + 15 * dstStride);
    }

    private static (int Hp, int Wp) Check(in Conv2dShape s, int poolH, int poolW, int inputLength, int weightLength, int pooledLength,
        int indicesLength)
    {
        s.Validate();
        if (poolH < 1 || poolW < 1)
            throw new ArgumentException($"Pooling window must be at least 1x1, got {poolH}x{poolW}.");
        var (hp, wp) = PooledSize(in s, poolH, poolW);
        if (hp < 1 || wp < 1)
            throw new ArgumentException(
                $"A {poolH}x{poolW} pooling window does not fit the {s.OutHeight}x{s.OutWidth} convolution output.");
        if (inputLength < (long)s.Batch * s.InputImageSize)
            throw new ArgumentException($"Input span has {inputLength} elements; the shape needs {(long)s.Batch * s.InputImageSize}.");
        if (weightLength < s.WeightSize)
            throw new ArgumentException($"Weight span has {weightLength} elements; the shape needs {s.WeightSize}.");
        long need = (long)s.Batch * s.OutChannels * hp * wp;
        if (pooledLength < need || indicesLength < need)
            throw new ArgumentException($"Pooled ({pooledLength}) or indices ({indicesLength}) span shorter than {need}.");
        return (hp, wp);
    }

    /// <summary>
    /// The shape and pooled extent, passed by reference into the chunk body, with a table indexed by a convolution output
    /// position <c>oy·Wo + ox</c>: where its patch starts in the channels-last input, <c>(oy·W + ox)·Cin</c> (no integer
    /// division in the inner loops; only the <see cref="Contiguous"/> path reads it, and it is empty otherwise).
    /// </summary>
    private readonly struct Geometry
    {
        public readonly Conv2dShape S;
        public readonly int PooledHeight, PooledWidth;
        public readonly int[] PatchStarts;

        public Geometry(in Conv2dShape s, int pooledHeight, int pooledWidth)
        {
            S = s;
            PooledHeight = pooledHeight;
            PooledWidth = pooledWidth;
            PatchStarts = [];
            if (!Contiguous) return;
            PatchStarts = new int[s.OutHeight * s.OutWidth];
            for (int oy = 0, pos = 0; oy < s.OutHeight; oy++)
                for (int ox = 0; ox < s.OutWidth; ox++, pos++)
                    PatchStarts[pos] = (oy * s.Width + ox) * s.InChannels;
        }

        /// <summary>Stride 1 without padding: a filter row's taps (kw·Cin values) are contiguous in channels-last order.</summary>
        public bool Contiguous => S.StrideH == 1 && S.StrideW == 1 && S.PadH == 0 && S.PadW == 0;
    }

    /// <summary>One image's pooled gradient, pooled values and argmax indices, each (Cout, Hp, Wp).</summary>
    private readonly struct ImageGradient(float* grad, float* pooled, int* indices)
    {
        public readonly float* Grad = grad, Pooled = pooled;
        public readonly int* Indices = indices;
    }

    /// <summary>
    /// A chunk's scratch for one image's passing pooled elements (up to Cout·Hp·Wp): their gradients, argmax positions and
    /// channels in channel order; the gradients regrouped by position; a shared offsets column; Ho·Wo + 1 position starts.
    /// </summary>
    private readonly struct EntryLists(float* gains, int* positions, float* byPositionGains, int* channels, int* offsets, int* starts,
        int* channelStarts)
    {
        public readonly float* Gains = gains, ByPositionGains = byPositionGains;
        public readonly int* Positions = positions, Channels = channels, Offsets = offsets, Starts = starts, ChannelStarts = channelStarts;

        /// <summary>Ints <see cref="Over"/> lays out: three columns of <paramref name="entries"/>, the position starts and
        /// the channel starts.</summary>
        public static int IntLength(int entries, int outPlane, int cout) => 3 * entries + outPlane + 1 + cout + 1;

        /// <summary>Lists for up to <paramref name="entries"/> entries over 2·entries floats and
        /// <see cref="IntLength"/> ints.</summary>
        public static EntryLists Over(float* gains, int* ints, int entries, int outPlane) => new(gains, ints, gains + entries,
            ints + entries, ints + 2 * entries, ints + 3 * entries, ints + 3 * entries + outPlane + 1);
    }

    /// <summary>
    /// The backward's operands, pinned: the pooled gradient, values and indices and the input (N, ·), the channels-last
    /// weights, and the outputs each chunk writes — dX (N, Cin, H, W) and the per-chunk dW and db partials, each empty when
    /// that gradient is not wanted; and whether dX is wanted from weights that are not all finite.
    /// </summary>
    private readonly record struct Operands(PinnedSpan<float> GradPooled, PinnedSpan<float> Pooled, PinnedSpan<int> Indices,
        PinnedSpan<float> Input, PinnedSpan<float> WeightHwc, PinnedSpan<float> GradInput, PinnedSpan<float> WeightPartials,
        PinnedSpan<double> BiasPartials, bool WeightsNonFinite);
}
