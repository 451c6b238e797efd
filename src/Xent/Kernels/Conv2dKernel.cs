using System.Buffers;

namespace Xent.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation, as <c>torch.nn.functional.conv2d</c>) over NCHW float32 spans, by
/// im2col and <see cref="Gemm"/>: per image, <c>out (Cout × Ho·Wo) = W (Cout × Cin·kh·kw) · col</c>.
/// Images run in parallel with single-threaded GEMMs; every output element is computed by the same
/// sequence of operations whatever the thread count.
/// </summary>
internal static unsafe class Conv2dKernel
{
    /// <summary>Images per parallel chunk of the weight gradient (partial sums are combined in chunk order).</summary>
    private const int WeightGradChunk = 8;

    /// <summary>
    /// Forward: <paramref name="output"/> (N, Cout, Ho, Wo) = conv(<paramref name="input"/>, <paramref name="weight"/>)
    /// + <paramref name="bias"/> (per output channel; pass an empty span for none). The output is overwritten.
    /// </summary>
    public static void Forward(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) => Forward(in s, input, weight, bias, output, relu: false);

    /// <summary>
    /// <see cref="Forward(in Conv2dShape, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>,
    /// then, when <paramref name="relu"/> is set, <c>max(0, ·)</c> applied to each image's output while it is still in
    /// cache (the same values as a separate ReLU pass, without a second trip through memory).
    /// </summary>
    public static void Forward(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, bool relu)
    {
        Check(in s, input.Length, weight.Length, output.Length, bias.Length, allowBias: true);
        Conv2dShape g = s;
        fixed (float* px = input, pw = weight, pb = bias, py = output)
        {
            PinnedSpan<float> x = new(px, input.Length), w = new(pw, weight.Length), b = new(pb, bias.Length), y = new(py, output.Length);
            // One chunk = one image: it owns its output, so chunks may run in any order.
            ForImages(g.Batch, (n, parallelGemm) => ForwardImage(in g, x.Slice(n * g.InputImageSize, g.InputImageSize), w, b,
                y.Slice(n * g.OutputImageSize, g.OutputImageSize), relu, parallelGemm));
        }
    }

    /// <summary>
    /// One image's convolution (+ bias, + ReLU when <paramref name="relu"/> is set) into <paramref name="y"/> (Cout × Ho·Wo):
    /// the body of <see cref="Forward(in Conv2dShape, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float},
    /// bool)"/>, shared with the fused convolution + ReLU + max-pool kernel so both compute the same bits.
    /// </summary>
    internal static void ForwardImage(in Conv2dShape g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        Span<float> y, bool relu, bool parallelGemm)
    {
        int p = g.OutHeight * g.OutWidth, kdim = g.PatchSize;
        float beta = 0f;
        if (!bias.IsEmpty)
        {
            for (int c = 0; c < g.OutChannels; c++) y.Slice(c * p, p).Fill(bias[c]);
            beta = 1f;
        }
        if (g.IsPointwise)
        {
            Gemm.Sgemm(false, false, g.OutChannels, p, kdim, 1f, w, kdim, x, p, beta, y, p, parallelGemm, Gemm.BestPath);
        }
        else
        {
            float[] col = ArrayPool<float>.Shared.Rent(kdim * p);
            try
            {
                Im2Col.Unfold(x, g.InChannels, g.Height, g.Width, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW, col);
                Gemm.Sgemm(false, false, g.OutChannels, p, kdim, 1f, w, kdim, col, p, beta, y, p, parallelGemm, Gemm.BestPath);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(col);
            }
        }
        if (relu) Elementwise.Relu(y[..(g.OutChannels * p)], y);
    }

    /// <summary>
    /// Gradient with respect to the input: <paramref name="gradInput"/> (N, Cin, H, W) is overwritten with
    /// col2im(Wᵀ · gradOutput) per image.
    /// </summary>
    public static void BackwardInput(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput)
    {
        Check(in s, gradInput.Length, weight.Length, gradOutput.Length, 0, allowBias: false);
        Conv2dShape g = s;
        fixed (float* pdy = gradOutput, pw = weight, pdx = gradInput)
        {
            PinnedSpan<float> dy = new(pdy, gradOutput.Length), w = new(pw, weight.Length), dx = new(pdx, gradInput.Length);
            ForImages(g.Batch, (n, parallelGemm) => BackwardInputImage(in g, dy.Slice(n * g.OutputImageSize, g.OutputImageSize), w,
                dx.Slice(n * g.InputImageSize, g.InputImageSize), parallelGemm));
        }
    }

    /// <summary>One image's dX = col2im(Wᵀ · dY) (Wᵀ · dY itself for a pointwise convolution), overwriting <paramref name="dx"/>.</summary>
    private static void BackwardInputImage(in Conv2dShape g, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx,
        bool parallelGemm)
    {
        int p = g.OutHeight * g.OutWidth, kdim = g.PatchSize;
        if (g.IsPointwise)
        {
            Gemm.Sgemm(true, false, kdim, p, g.OutChannels, 1f, w, kdim, dy, p, 0f, dx, p, parallelGemm, Gemm.BestPath);
            return;
        }
        float[] col = ArrayPool<float>.Shared.Rent(kdim * p);
        try
        {
            Gemm.Sgemm(true, false, kdim, p, g.OutChannels, 1f, w, kdim, dy, p, 0f, col, p, parallelGemm, Gemm.BestPath);
            dx.Clear();
            Im2Col.Fold(col, g.InChannels, g.Height, g.Width, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW, dx);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(col);
        }
    }

    /// <summary>
    /// Gradient with respect to the weight: <paramref name="gradWeight"/> (Cout, Cin, kh, kw) is overwritten with
    /// Σ_images gradOutput · colᵀ. Images are summed in chunks of 8 (each chunk in image order, into its own
    /// partial), and the partials are added in chunk order, so the result is independent of the thread count.
    /// </summary>
    public static void BackwardWeight(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> input, Span<float> gradWeight)
    {
        Check(in s, input.Length, gradWeight.Length, gradOutput.Length, 0, allowBias: false);
        Conv2dShape g = s;
        int wsize = g.WeightSize;
        int chunks = KernelParallel.ChunkCount(g.Batch, WeightGradChunk);
        if (chunks == 0)
        {
            gradWeight[..wsize].Clear();
            return;
        }
        // Chunk 0 accumulates straight into gradWeight; the others into pooled partials.
        float[] partials = ArrayPool<float>.Shared.Rent(Math.Max(1, (chunks - 1) * wsize));
        bool parallelGemm = chunks == 1;
        fixed (float* pdy = gradOutput, px = input, pdw = gradWeight, ppart = partials)
        {
            PinnedSpan<float> dy = new(pdy, gradOutput.Length), x = new(px, input.Length), dw = new(pdw, wsize);
            PinnedSpan<float> parts = new(ppart, (chunks - 1) * wsize);
            KernelParallel.ForChunks(g.Batch, WeightGradChunk, (chunk, b0, b1) =>
                BackwardWeightImages(in g, b0, b1, dy, x, chunk == 0 ? dw : parts.Slice((chunk - 1) * wsize, wsize), parallelGemm));
        }
        for (int c = 1; c < chunks; c++)
            Elementwise.AddInPlace(partials.AsSpan((c - 1) * wsize, wsize), gradWeight[..wsize]);
        ArrayPool<float>.Shared.Return(partials);
    }

    /// <summary>dW (Cout × Cin·kh·kw) = Σ over images b0..b1−1, in order, of dY · colᵀ.</summary>
    private static void BackwardWeightImages(in Conv2dShape g, int b0, int b1, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> input,
        Span<float> dw, bool parallelGemm)
    {
        int p = g.OutHeight * g.OutWidth, kdim = g.PatchSize;
        float[]? col = g.IsPointwise ? null : ArrayPool<float>.Shared.Rent(kdim * p);
        try
        {
            for (int b = b0; b < b1; b++)
            {
                var dy = gradOutput.Slice(b * g.OutputImageSize, g.OutputImageSize);
                ReadOnlySpan<float> x = input.Slice(b * g.InputImageSize, g.InputImageSize), cols = x;
                if (col is not null)
                {
                    Im2Col.Unfold(x, g.InChannels, g.Height, g.Width, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW, col);
                    cols = col;
                }
                // dW (Cout × kdim) += dY (Cout × P) · colᵀ (P × kdim)
                Gemm.Sgemm(false, true, g.OutChannels, kdim, p, 1f, dy, p, cols, p, b == b0 ? 0f : 1f, dw, kdim, parallelGemm,
                    Gemm.BestPath);
            }
        }
        finally
        {
            if (col is not null) ArrayPool<float>.Shared.Return(col);
        }
    }

    /// <summary>
    /// Gradient with respect to the bias: <paramref name="gradBias"/> (Cout) is overwritten with the sum of
    /// gradOutput over images and positions: per image and channel a float32 row sum
    /// (<see cref="Elementwise.AccumulateRowSums"/>), accumulated over images in float64 in image order.
    /// </summary>
    public static void BackwardBias(in Conv2dShape s, ReadOnlySpan<float> gradOutput, Span<float> gradBias)
    {
        s.Validate();
        int p = s.OutHeight * s.OutWidth;
        if (gradOutput.Length < (long)s.Batch * s.OutputImageSize)
            throw new ArgumentException("Output gradient span is too short.", nameof(gradOutput));
        if (gradBias.Length < s.OutChannels)
            throw new ArgumentException($"Bias gradient has {gradBias.Length} elements, expected {s.OutChannels}.", nameof(gradBias));
        Span<double> sums = s.OutChannels <= 1024 ? stackalloc double[s.OutChannels] : new double[s.OutChannels];
        sums.Clear();
        for (int b = 0; b < s.Batch; b++)
            Elementwise.AccumulateRowSums(gradOutput.Slice(b * s.OutputImageSize, s.OutputImageSize), s.OutChannels, p, sums);
        for (int c = 0; c < s.OutChannels; c++) gradBias[c] = (float)sums[c];
    }

    /// <summary>Reference twin of <c>Forward</c>: direct seven-loop convolution summed in float64.</summary>
    internal static void ForwardScalar(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        Check(in s, input.Length, weight.Length, output.Length, bias.Length, allowBias: true);
        int ho = s.OutHeight, wo = s.OutWidth;
        for (int b = 0; b < s.Batch; b++)
            for (int co = 0; co < s.OutChannels; co++)
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++)
                    {
                        double sum = bias.IsEmpty ? 0 : bias[co];
                        for (int ci = 0; ci < s.InChannels; ci++)
                            for (int ky = 0; ky < s.KernelH; ky++)
                                for (int kx = 0; kx < s.KernelW; kx++)
                                {
                                    int iy = oy * s.StrideH - s.PadH + ky, ix = ox * s.StrideW - s.PadW + kx;
                                    if (iy < 0 || iy >= s.Height || ix < 0 || ix >= s.Width) continue;
                                    sum += (double)input[((b * s.InChannels + ci) * s.Height + iy) * s.Width + ix]
                                        * weight[((co * s.InChannels + ci) * s.KernelH + ky) * s.KernelW + kx];
                                }
                        output[((b * s.OutChannels + co) * ho + oy) * wo + ox] = (float)sum;
                    }
    }

    /// <summary>
    /// Reference twin of the three backward kernels: direct loops in float64. Any of the output spans may be
    /// empty to skip that gradient; the others are overwritten.
    /// </summary>
    internal static void BackwardScalar(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> input,
        ReadOnlySpan<float> weight, Span<float> gradInput, Span<float> gradWeight, Span<float> gradBias)
    {
        s.Validate();
        int ho = s.OutHeight, wo = s.OutWidth;
        var gi = new double[s.Batch * s.InputImageSize];
        var gw = new double[s.WeightSize];
        var gb = new double[s.OutChannels];
        for (int b = 0; b < s.Batch; b++)
            for (int co = 0; co < s.OutChannels; co++)
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++)
                    {
                        double go = gradOutput[((b * s.OutChannels + co) * ho + oy) * wo + ox];
                        gb[co] += go;
                        for (int ci = 0; ci < s.InChannels; ci++)
                            for (int ky = 0; ky < s.KernelH; ky++)
                                for (int kx = 0; kx < s.KernelW; kx++)
                                {
                                    int iy = oy * s.StrideH - s.PadH + ky, ix = ox * s.StrideW - s.PadW + kx;
                                    if (iy < 0 || iy >= s.Height || ix < 0 || ix >= s.Width) continue;
                                    int xi = ((b * s.InChannels + ci) * s.Height + iy) * s.Width + ix;
                                    int wi = ((co * s.InChannels + ci) * s.KernelH + ky) * s.KernelW + kx;
                                    gi[xi] += go * weight[wi];
                                    gw[wi] += go * input[xi];
                                }
                    }
        for (int i = 0; i < gradInput.Length && i < gi.Length; i++) gradInput[i] = (float)gi[i];
        for (int i = 0; i < gradWeight.Length && i < gw.Length; i++) gradWeight[i] = (float)gw[i];
        for (int i = 0; i < gradBias.Length && i < gb.Length; i++) gradBias[i] = (float)gb[i];
    }

    /// <summary>
    /// Runs <paramref name="body"/>(image, parallelGemm) for every image: in parallel over images (single-threaded GEMMs)
    /// when there are several, else one image with a parallel GEMM. Shared with the fused convolution + ReLU + max-pool.
    /// </summary>
    internal static void ForImages(int batch, Action<int, bool> body)
    {
        if (batch <= 0) return;
        bool parallelGemm = batch == 1 || KernelParallel.MaxThreads == 1;
        KernelParallel.ForChunks(batch, 1, (_, n, _) => body(n, parallelGemm));
    }

    private static void Check(in Conv2dShape s, int inputLength, int weightLength, int outputLength, int biasLength, bool allowBias)
    {
        s.Validate();
        long needIn = (long)s.Batch * s.InputImageSize, needOut = (long)s.Batch * s.OutputImageSize;
        if (inputLength < needIn)
            throw new ArgumentException($"Input span has {inputLength} elements; shape ({s.Batch}, {s.InChannels}, {s.Height}, " +
            $"{s.Width}) needs {needIn}.");
        if (weightLength < s.WeightSize)
            throw new ArgumentException($"Weight span has {weightLength} elements; ({s.OutChannels}, {s.InChannels}, {s.KernelH}, " +
            $"{s.KernelW}) needs {s.WeightSize}.");
        if (outputLength < needOut)
            throw new ArgumentException($"Output span has {outputLength} elements; ({s.Batch}, {s.OutChannels}, {s.OutHeight}, " +
            $"{s.OutWidth}) needs {needOut}.");
        if (allowBias && biasLength != 0 && biasLength < s.OutChannels)
            throw new ArgumentException($"Bias has {biasLength} elements, expected {s.OutChannels}.");
    }
}
