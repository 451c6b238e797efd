using Xent.Kernels;
using Xent.Tests.Support;
using Xunit;
using static Xent.Tests.Kernels.KernelTestUtil;

namespace Xent.Tests.Kernels;

/// <summary>
/// The fused convolution + ReLU + max-pool kernel against references built from the unfused kernels' float64 twins:
/// conv (float64) → ReLU → window maxima by the scalar pooling loop, and for the backward the dense pre-activation
/// gradient (each pooled gradient at its window's argmax where the maximum is not ≤ 0) through the float64 convolution
/// backward.
/// </summary>
public class Conv2dReluMaxPoolKernelTests
{
    /// <summary>n, cin, h, w, cout, kh, kw, stride, pad, poolH, poolW.</summary>
    public static IEnumerable<object[]> Shapes =>
    [
        [9, 32, 12, 12, 8, 3, 3, 1, 0, 2, 2],  // the MNIST CNN's conv2 geometry, smaller: register-blocked rows (96 floats)
        [3, 5, 11, 9, 4, 3, 3, 1, 0, 2, 2],    // odd output (floor pooling), 15-float filter rows: vector and scalar tails
        [2, 3, 10, 10, 6, 3, 2, 1, 0, 3, 2],   // non-square pool and kernel
        [2, 4, 9, 9, 3, 3, 3, 2, 1, 2, 2],     // stride and padding: the generic tap-by-tap path
        [1, 6, 8, 8, 2, 1, 1, 1, 0, 2, 2],     // pointwise convolution, one image
    ];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBackward_MatchFloat64Reference(int n, int cin, int h, int w, int cout, int kh, int kw, int stride, int pad,
        int poolH, int poolW)
    {
        var s = new Conv2dShape(n, cin, h, w, cout, kh, kw, stride, stride, pad, pad);
        var rnd = new Random(n * 31 + cin);
        float[] x = RandomArray(rnd, n * s.InputImageSize), weight = RandomArray(rnd, s.WeightSize, 0.3f);
        // Channel 0's bias is far below zero: its windows are all negative and the ReLU stops their gradients.
        float[] bias = RandomArray(rnd, cout, 0.2f);
        bias[0] = -10f;
        var (hp, wp) = Conv2dReluMaxPoolKernel.PooledSize(in s, poolH, poolW);
        int pooledCount = n * cout * hp * wp;
        var gradPooled = RandomArray(rnd, pooledCount);
        for (int i = 0; i < gradPooled.Length; i += 7) gradPooled[i] = 0f; // as after dropout

        // Reference forward: float64 convolution, ReLU, then the scalar pooling loop (first maximum wins).
        var conv = new float[n * s.OutputImageSize];
        Conv2dKernel.ForwardScalar(in s, x, weight, bias, conv);
        for (int i = 0; i < conv.Length; i++) conv[i] = Math.Max(conv[i], 0f);
        var expectedPooled = new float[pooledCount];
        var expectedIndices = new int[pooledCount];
        MaxPool2dKernel.ForwardScalar(conv, n * cout, s.OutHeight, s.OutWidth, poolH, poolW, poolH, poolW, 0, 0, expectedPooled,
            expectedIndices);
        Assert.Contains(expectedPooled, v => v == 0f); // the ReLU stops some gradients
        Assert.Contains(expectedPooled, v => v > 0f);

        var pooled = new float[pooledCount];
        var indices = new int[pooledCount];
        Conv2dReluMaxPoolKernel.Forward(in s, poolH, poolW, x, weight, bias, pooled, indices);
        Check.Close(expectedPooled, pooled, rtol: 1e-5, atol: 1e-5, what: "pooled");

        // Reference backward: the dense pre-activation gradient through the float64 convolution backward.
        var gradConv = new float[conv.Length];
        int outPlane = s.OutHeight * s.OutWidth, pooledPlane = hp * wp;
        for (int i = 0; i < pooledCount; i++)
            if (!(expectedPooled[i] <= 0)) gradConv[i / pooledPlane * outPlane + expectedIndices[i]] += gradPooled[i];
        var gx = new float[x.Length];
        var gw = new float[weight.Length];
        var gb = new float[cout];
        Conv2dKernel.BackwardScalar(in s, gradConv, x, weight, gx, gw, gb);

        var ax = new float[x.Length];
        var aw = new float[weight.Length];
        var ab = new float[cout];
        Conv2dReluMaxPoolKernel.Backward(in s, poolH, poolW, gradPooled, pooled, indices, x, weight, ax, aw, ab);
        Check.Close(gx, ax, rtol: 1e-4, atol: Check.Scale(gx, 1e-5), what: "input grad");
        Check.Close(gw, aw, rtol: 1e-4, atol: Check.Scale(gw, 1e-5), what: "weight grad");
        Check.Close(gb, ab, rtol: 1e-4, atol: Check.Scale(gb, 1e-5), what: "bias grad");

        // Each gradient alone gives the same bits as all three together.
        var onlyX = new float[x.Length];
        Conv2dReluMaxPoolKernel.Backward(in s, poolH, poolW, gradPooled, pooled, indices, x, weight, onlyX, default, default);
        Assert.Equal(ax, onlyX);
        var onlyW = new float[weight.Length];
        Conv2dReluMaxPoolKernel.Backward(in s, poolH, poolW, gradPooled, pooled, indices, x, weight, default, onlyW, default);
        Assert.Equal(aw, onlyW);
    }

    public static IEnumerable<object[]> NonFiniteShapes =>
        Shapes.SelectMany(shape => new[] { "nan-input", "inf-input", "inf-weight" }.Select(mode => shape.Append(mode).ToArray()));

    [Theory]
    [MemberData(nameof(NonFiniteShapes))]
    public void NonFiniteOperands_GiveTheDenseBackwardsNaNs(int n, int cin, int h, int w, int cout, int kh, int kw, int stride, int pad,
        int poolH, int poolW, string mode)
    {
        // The reference is the float64 dense convolution backward, where 0·NaN and 0·∞ are NaN, as in PyTorch's.
        var s = new Conv2dShape(n, cin, h, w, cout, kh, kw, stride, stride, pad, pad);
        var rnd = new Random(n * 17 + cout);
        float[] x = RandomArray(rnd, n * s.InputImageSize), weight = RandomArray(rnd, s.WeightSize, 0.3f);
        float[] bias = RandomArray(rnd, cout, 0.2f);
        int lastImage = (n - 1) * s.InputImageSize;
        if (mode == "nan-input") x[lastImage + s.InputImageSize - 1] = float.NaN; // last channel's last pixel
        if (mode == "inf-input") x[lastImage + h / 2 * w + w / 2] = float.PositiveInfinity;
        if (mode == "inf-weight") weight[kh / 2 * kw + kw / 2] = float.NegativeInfinity; // filter 0, channel 0, centre tap
        var (hp, wp) = Conv2dReluMaxPoolKernel.PooledSize(in s, poolH, poolW);
        int pooledCount = n * cout * hp * wp;
        var gradPooled = RandomArray(rnd, pooledCount);
        for (int i = 0; i < gradPooled.Length; i += 5) gradPooled[i] = 0f;
        var pooled = new float[pooledCount];
        var indices = new int[pooledCount];
        Conv2dReluMaxPoolKernel.Forward(in s, poolH, poolW, x, weight, bias, pooled, indices);

        var gradConv = new float[n * s.OutputImageSize];
        int outPlane = s.OutHeight * s.OutWidth, pooledPlane = hp * wp;
        for (int i = 0; i < pooledCount; i++)
            if (!(pooled[i] <= 0)) gradConv[i / pooledPlane * outPlane + indices[i]] += gradPooled[i];
        float[] gx = new float[x.Length], gw = new float[weight.Length], gb = new float[cout];
        Conv2dKernel.BackwardScalar(in s, gradConv, x, weight, gx, gw, gb);
        Assert.Contains(mode == "inf-weight" ? gx : gw, float.IsNaN);

        float[] ax = new float[x.Length], aw = new float[weight.Length], ab = new float[cout];
        Conv2dReluMaxPoolKernel.Backward(in s, poolH, poolW, gradPooled, pooled, indices, x, weight, ax, aw, ab);
        // Check.Close matches a NaN or an infinity exactly.
        Check.Close(gx, ax, rtol: 1e-4, atol: Check.Scale(gx, 1e-5), what: "input grad");
        Check.Close(gw, aw, rtol: 1e-4, atol: Check.Scale(gw, 1e-5), what: "weight grad");
        Check.Close(gb, ab, rtol: 1e-4, atol: Check.Scale(gb, 1e-5), what: "bias grad");
    }

    /// <summary>n, cin, h, w, cout, kh, kw, stride, pad, bias, NaN input, whether the batched implicit GEMM runs (with
    /// AVX-512).</summary>
    public static IEnumerable<object[]> BitShapes =>
    [
        [5, 32, 14, 14, 16, 3, 3, 1, 0, true, false, false],  // 16 output channels: Sgemm's small path, per-image forward
        [3, 32, 26, 26, 64, 3, 3, 1, 0, true, false, true],   // the MNIST CNN's conv2: panels across two output rows
        [2, 32, 26, 26, 64, 3, 3, 1, 0, false, true, true],   // no bias (beta 0), and a NaN that must win its windows
        [4, 16, 11, 10, 40, 3, 3, 1, 1, true, false, true],   // padding; 10 outputs wide: some panels span three rows (the
                                                              // element-by-element gather); 8 scalar channels
        [2, 16, 40, 41, 33, 2, 3, 2, 0, true, false, true],   // stride 2: the element-by-element gather
        [2, 32, 30, 30, 24, 1, 1, 1, 0, true, false, true],   // pointwise
        [1, 32, 26, 26, 64, 3, 3, 1, 0, true, false, false],  // one image: the per-image forward with a parallel GEMM
    ];

    [Theory]
    [MemberData(nameof(BitShapes))]
    public void Forward_IsBitIdenticalToTheUnfusedKernels(int n, int cin, int h, int w, int cout, int kh, int kw, int stride, int pad,
        bool withBias, bool withNaN, bool implicitGemm)
    {
        var s = new Conv2dShape(n, cin, h, w, cout, kh, kw, stride, stride, pad, pad);
        Assert.Equal(implicitGemm && Gemm.BestPath == Gemm.GemmPath.Avx512, Conv2dReluMaxPoolKernel.UsesImplicitGemm(in s));
        var rnd = new Random(7 + n * cin + cout);
        float[] x = RandomArray(rnd, s.Batch * s.InputImageSize), weight = RandomArray(rnd, s.WeightSize);
        float[] bias = withBias ? RandomArray(rnd, cout) : [];
        if (withNaN) x[s.InputImageSize + 5 * s.Width + 7] = float.NaN; // image 1, channel 0
        var conv = new float[s.Batch * s.OutputImageSize];
        Conv2dKernel.Forward(in s, x, weight, bias, conv, relu: true);
        var (hp, wp) = Conv2dReluMaxPoolKernel.PooledSize(in s, 2, 2);
        int count = s.Batch * cout * hp * wp;
        float[] expected = new float[count], actual = new float[count];
        int[] expectedIdx = new int[count], actualIdx = new int[count];
        MaxPool2dKernel.Forward(conv, s.Batch * cout, s.OutHeight, s.OutWidth, 2, 2, 2, 2, 0, 0, expected, expectedIdx);
        Assert.Contains(expected, v => v == 0f);
        if (withNaN) Assert.Contains(expected, float.IsNaN);
        Conv2dReluMaxPoolKernel.Forward(in s, 2, 2, x, weight, bias, actual, actualIdx);
        // Bit patterns, not values: float equality would call any two NaNs, or +0 and −0, the same.
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(expectedIdx, actualIdx);
    }

    [Fact]
    public void ImplicitGemm_IsNotUsedWhenOneImagesScratchWouldNotFitAnArray()
    {
        // 2048×2048 outputs × 1024 channels: 4.3 G floats of channels-last convolution per image.
        var huge = new Conv2dShape(2, 1, 2048, 2048, 1024, 3, 3, 1, 1, 1, 1);
        Assert.False(Conv2dReluMaxPoolKernel.UsesImplicitGemm(in huge));
        var fits = new Conv2dShape(2, 1, 512, 512, 1024, 3, 3, 1, 1, 1, 1); // 268 M floats
        Assert.Equal(Gemm.BestPath == Gemm.GemmPath.Avx512, Conv2dReluMaxPoolKernel.UsesImplicitGemm(in fits));
    }

    [Fact]
    public void BadSpansAndWindows_Throw()
    {
        var s = new Conv2dShape(1, 2, 5, 5, 3, 3, 3);
        float[] x = new float[50], w = new float[54], pooled = new float[3], ok = new float[3];
        var idx = new int[3];
        Assert.Throws<ArgumentException>(() => Conv2dReluMaxPoolKernel.Forward(in s, 4, 4, x, w, default, pooled, idx));
        Assert.Throws<ArgumentException>(() => Conv2dReluMaxPoolKernel.Forward(in s, 0, 2, x, w, default, pooled, idx));
        Assert.Throws<ArgumentException>(() => Conv2dReluMaxPoolKernel.Forward(in s, 2, 2, x.AsSpan(1), w, default, pooled, idx));
        Assert.Throws<ArgumentException>(() =>
            Conv2dReluMaxPoolKernel.Backward(in s, 3, 3, ok.AsSpan(1), pooled, idx, x, w, new float[50], default, default));
    }
}

[Collection(KernelThreadingCollection.Name)]
public class Conv2dReluMaxPoolKernelThreadingTests
{
    [Fact]
    public void ResultsAreBitIdentical_AcrossThreadCounts()
    {
        // 19 images: three chunks of 8 for the backward's partial sums, the last one short.
        var s = new Conv2dShape(19, 16, 10, 10, 8, 3, 3);
        var rnd = new Random(11);
        float[] x = RandomArray(rnd, s.Batch * s.InputImageSize), w = RandomArray(rnd, s.WeightSize), b = RandomArray(rnd, 8);
        var (hp, wp) = Conv2dReluMaxPoolKernel.PooledSize(in s, 2, 2);
        float[] gp = RandomArray(rnd, s.Batch * 8 * hp * wp);
        float[][] Run(int threads) => WithThreads(threads, () =>
        {
            var pooled = new float[gp.Length];
            var idx = new int[gp.Length];
            float[] gx = new float[x.Length], gw = new float[w.Length], gb = new float[8];
            Conv2dReluMaxPoolKernel.Forward(in s, 2, 2, x, w, b, pooled, idx);
            Conv2dReluMaxPoolKernel.Backward(in s, 2, 2, gp, pooled, idx, x, w, gx, gw, gb);
            return new[] { pooled, gx, gw, gb };
        });
        float[][] one = Run(1);
        foreach (int threads in new[] { 2, 3, 8 })
        {
            float[][] other = Run(threads);
            for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], other[i]);
        }
    }
}
