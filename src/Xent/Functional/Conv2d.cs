using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// 2-D cross-correlation, PyTorch's <c>F.conv2d</c> with groups = 1 and dilation = 1:
    /// input (N, Cin, H, W) or unbatched (Cin, H, W), weight (Cout, Cin, kh, kw), bias (Cout) →
    /// (N, Cout, Ho, Wo) with <c>Ho = (H + 2·padH − kh) / strideH + 1</c> (floor), likewise Wo.
    /// </summary>
    /// <param name="input">Float32 (N, Cin, H, W) or (Cin, H, W) tensor.</param>
    /// <param name="weight">Float32 (Cout, Cin, kh, kw) filters.</param>
    /// <param name="bias">Optional float32 (Cout) bias.</param>
    /// <param name="stride">(strideH, strideW), each ≥ 1; default (1, 1).</param>
    /// <param name="padding">(padH, padW) zero padding on both sides, each ≥ 0; default (0, 0).</param>
    /// <exception cref="ArgumentException">A shape, stride or padding is invalid; messages follow PyTorch's
    /// ("Given groups=1, weight of size [32, 1, 3, 3], expected input[64, 3, 28, 28] to have 1 channels, but got 3 channels instead").</exception>
    /// <remarks>One autograd node; its backward gives dX (col2im of Wᵀ·dY), dW (Σₙ dYₙ·colₙᵀ) and db (sums of dY).</remarks>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, (int H, int W)? stride = null, (int H, int W)? padding = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        input.RequireFloat("conv2d");
        weight.RequireFloat("conv2d");
        bias?.RequireFloat("conv2d");
        var (sh, sw) = stride ?? (1, 1);
        var (ph, pw) = padding ?? (0, 0);
        if (input.Rank != 3 && input.Rank != 4)
            throw new ArgumentException($"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: {Shapes.Format(input.ShapeSpan)}", nameof(input));
        if (weight.Rank != 4)
            throw new ArgumentException($"Expected 4D weight (out_channels, in_channels, kH, kW) to conv2d, but got weight of size {Shapes.Format(weight.ShapeSpan)}", nameof(weight));
        if (sh < 1 || sw < 1) throw new ArgumentException($"non-positive stride is not supported (got stride=({sh}, {sw}))", nameof(stride));
        if (ph < 0 || pw < 0) throw new ArgumentException($"negative padding is not supported (got padding=({ph}, {pw}))", nameof(padding));
        if (input.Rank == 3)
        {
            // Unbatched input: run as a batch of one and drop the batch dim again (differentiable views).
            var batched = Conv2d(input.Unsqueeze(0), weight, bias, stride, padding);
            return batched.Squeeze(0);
        }

        int n = input.Size(0), cin = input.Size(1), h = input.Size(2), w = input.Size(3);
        int cout = weight.Size(0), kh = weight.Size(2), kw = weight.Size(3);
        if (weight.Size(1) != cin)
            throw new ArgumentException($"Given groups=1, weight of size {Shapes.Format(weight.ShapeSpan)}, expected input{Shapes.Format(input.ShapeSpan)} to have {weight.Size(1)} channels, but got {cin} channels instead", nameof(input));
        if (bias is not null && (bias.Rank != 1 || bias.NumEl != cout))
            throw new ArgumentException($"Given weight of size {Shapes.Format(weight.ShapeSpan)}, expected bias to be 1-dimensional with {cout} elements, but got bias of size {Shapes.Format(bias.ShapeSpan)} instead", nameof(bias));
        if (h + 2 * ph < kh || w + 2 * pw < kw)
            throw new ArgumentException($"Calculated padded input size per channel: ({h + 2 * ph} x {w + 2 * pw}). Kernel size: ({kh} x {kw}). Kernel size can't be greater than actual input size", nameof(input));

        var geom = new ConvGeometry(cin, h, w, kh, kw, sh, sw, ph, pw);
        int ho = geom.OutH, wo = geom.OutW, p = ho * wo, k = geom.ColRows;
        var x = input.FloatArray;
        var wt = weight.FloatArray;
        var y = new float[n * cout * p];
        var col = geom.IsIdentity ? null : new float[k * p];
        for (int s = 0; s < n; s++)
        {
            ReadOnlySpan<float> xs = x.AsSpan(s * cin * h * w, cin * h * w);
            ReadOnlySpan<float> cols = col is null ? xs : Im2Col(geom, xs, col);
            var ys = y.AsSpan(s * cout * p, cout * p);
            float beta = 0f;
            if (bias is not null)
            {
                var b = bias.FloatArray;
                for (int c = 0; c < cout; c++) ys.Slice(c * p, p).Fill(b[c]);
                beta = 1f;
            }
            // Yₙ (Cout, P) = W (Cout, K) · colₙ (K, P)
            Gemm.Sgemm(false, false, cout, p, k, 1f, wt, k, cols, p, beta, ys, p);
        }

        var result = new Tensor(y, [n, cout, ho, wo]);
        return Tensor.Record(result, "ConvolutionBackward", g =>
        {
            var gy = g.FloatArray;
            Tensor? gx = null, gw = null, gb = null;
            var dx = input.RequiresGrad ? new float[x.Length] : null;
            var dw = weight.RequiresGrad ? new float[wt.Length] : null;
            var dcol = dx is not null && col is not null ? new float[k * p] : null;
            var colB = dw is not null && col is not null ? new float[k * p] : null;
            for (int s = 0; s < n; s++)
            {
                ReadOnlySpan<float> gys = gy.AsSpan(s * cout * p, cout * p);
                if (dw is not null)
                {
                    ReadOnlySpan<float> xs = x.AsSpan(s * cin * h * w, cin * h * w);
                    ReadOnlySpan<float> cols = colB is null ? xs : Im2Col(geom, xs, colB);
                    // dW (Cout, K) += dYₙ (Cout, P) · colₙᵀ (P, K)
                    Gemm.Sgemm(false, true, cout, k, p, 1f, gys, p, cols, p, 1f, dw, k);
                }
                if (dx is not null)
                {
                    var dxs = dx.AsSpan(s * cin * h * w, cin * h * w);
                    // dcolₙ (K, P) = Wᵀ (K, Cout) · dYₙ (Cout, P), scattered back onto the image.
                    if (dcol is null) Gemm.Sgemm(true, false, k, p, cout, 1f, wt, k, gys, p, 0f, dxs, p);
                    else
                    {
                        Gemm.Sgemm(true, false, k, p, cout, 1f, wt, k, gys, p, 0f, dcol, p);
                        Col2ImAdd(geom, dcol, dxs);
                    }
                }
            }
            if (dx is not null) gx = new Tensor(dx, input.Shape);
            if (dw is not null) gw = new Tensor(dw, weight.Shape);
            if (bias is not null && bias.RequiresGrad)
            {
                var db = new float[cout];
                for (int c = 0; c < cout; c++)
                {
                    double acc = 0;
                    for (int s = 0; s < n; s++)
                        foreach (float v in gy.AsSpan((s * cout + c) * p, p)) acc += v;
                    db[c] = (float)acc;
                }
                gb = new Tensor(db, bias.Shape);
            }
            return bias is null ? [gx, gw] : [gx, gw, gb];
        }, bias is null ? [input, weight] : [input, weight, bias]);
    }

    /// <summary>Shape bookkeeping of one convolution: image (C, H, W), kernel, stride, padding, output size.</summary>
    private readonly record struct ConvGeometry(int C, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW)
    {
        public int OutH => (H + 2 * PH - KH) / SH + 1;
        public int OutW => (W + 2 * PW - KW) / SW + 1;
        /// <summary>Rows of the column matrix: one per (channel, kernel row, kernel column).</summary>
        public int ColRows => C * KH * KW;
        /// <summary>A 1×1, stride-1, unpadded kernel: the image already is its column matrix.</summary>
        public bool IsIdentity => KH == 1 && KW == 1 && SH == 1 && SW == 1 && PH == 0 && PW == 0;
    }

    // TODO(kernels-gemm): replace Im2Col/Col2ImAdd with Xent.Kernels.Conv2dKernel once it lands on that branch.

    /// <summary>Unfolds one (C, H, W) image into the (C·KH·KW, OutH·OutW) column matrix; padding reads as 0.</summary>
    private static ReadOnlySpan<float> Im2Col(in ConvGeometry g, ReadOnlySpan<float> image, Span<float> col)
    {
        int ho = g.OutH, wo = g.OutW, p = ho * wo;
        int row = 0;
        for (int c = 0; c < g.C; c++)
        {
            var plane = image.Slice(c * g.H * g.W, g.H * g.W);
            for (int ki = 0; ki < g.KH; ki++)
                for (int kj = 0; kj < g.KW; kj++, row++)
                {
                    var dst = col.Slice(row * p, p);
                    for (int oi = 0; oi < ho; oi++)
                    {
                        int ii = oi * g.SH - g.PH + ki;
                        var drow = dst.Slice(oi * wo, wo);
                        if ((uint)ii >= (uint)g.H) { drow.Clear(); continue; }
                        var src = plane.Slice(ii * g.W, g.W);
                        for (int oj = 0; oj < wo; oj++)
                        {
                            int jj = oj * g.SW - g.PW + kj;
                            drow[oj] = (uint)jj < (uint)g.W ? src[jj] : 0f;
                        }
                    }
                }
        }
        return col;
    }

    /// <summary>Adds the (C·KH·KW, OutH·OutW) column matrix back onto one (C, H, W) image (im2col's adjoint).</summary>
    private static void Col2ImAdd(in ConvGeometry g, ReadOnlySpan<float> col, Span<float> image)
    {
        int ho = g.OutH, wo = g.OutW, p = ho * wo;
        int row = 0;
        for (int c = 0; c < g.C; c++)
        {
            var plane = image.Slice(c * g.H * g.W, g.H * g.W);
            for (int ki = 0; ki < g.KH; ki++)
                for (int kj = 0; kj < g.KW; kj++, row++)
                {
                    var src = col.Slice(row * p, p);
                    for (int oi = 0; oi < ho; oi++)
                    {
                        int ii = oi * g.SH - g.PH + ki;
                        if ((uint)ii >= (uint)g.H) continue;
                        var dst = plane.Slice(ii * g.W, g.W);
                        var srow = src.Slice(oi * wo, wo);
                        for (int oj = 0; oj < wo; oj++)
                        {
                            int jj = oj * g.SW - g.PW + kj;
                            if ((uint)jj < (uint)g.W) dst[jj] += srow[oj];
                        }
                    }
                }
        }
    }
}
