using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xent.Kernels;

/// <summary>
/// The sparse products of <see cref="Conv2dReluMaxPoolKernel"/>'s backward, where each passing pooled gradient meets one
/// input patch row or one filter row: a weighted sum of gathered rows added to a destination row, a block of the row at a
/// time in registers. Every element receives one fused multiply-add per entry, in entry order, so the bits are the same
/// at every vector width and without SIMD.
/// </summary>
internal static unsafe class WeightedRows
{
    /// <summary><c>dst[i] = fma(gains[e], src[offsets[e] + i], dst[i])</c> for e = 0 … count−1, i &lt; <paramref name="length"/>.</summary>
    public static void Accumulate(float* dst, float* src, float* gains, int* offsets, int count, int length)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 96 <= length; i += 96) Accumulate512x6(dst + i, src + i, gains, offsets, count);
            for (; i + 16 <= length; i += 16)
            {
                var a = Vector512.Load(dst + i);
                for (int e = 0; e < count; e++)
                    a = Vector512.FusedMultiplyAdd(Vector512.Create(gains[e]), Vector512.Load(src + offsets[e] + i), a);
                a.Store(dst + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= length; i += 8)
            {
                var a = Vector256.Load(dst + i);
                for (int e = 0; e < count; e++)
                    a = Vector256.FusedMultiplyAdd(Vector256.Create(gains[e]), Vector256.Load(src + offsets[e] + i), a);
                a.Store(dst + i);
            }
        }
        AccumulateScalar(dst + i, src + i, gains, offsets, count, length - i);
    }

    /// <summary>Reference twin of <see cref="Accumulate"/> (and its tail): one element at a time.</summary>
    internal static void AccumulateScalar(float* dst, float* src, float* gains, int* offsets, int count, int length)
    {
        for (int i = 0; i < length; i++)
        {
            float acc = dst[i];
            for (int e = 0; e < count; e++) acc = MathF.FusedMultiplyAdd(gains[e], src[offsets[e] + i], acc);
            dst[i] = acc;
        }
    }

    /// <summary>96 columns in six accumulators; every entry's row is read once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate512x6(float* dst, float* src, float* gains, int* offsets, int count)
    {
        var a0 = Vector512.Load(dst);
        var a1 = Vector512.Load(dst + 16);
        var a2 = Vector512.Load(dst + 32);
        var a3 = Vector512.Load(dst + 48);
        var a4 = Vector512.Load(dst + 64);
        var a5 = Vector512.Load(dst + 80);
        for (int e = 0; e < count; e++)
        {
            float* s = src + offsets[e];
            var g = Vector512.Create(gains[e]);
            a0 = Vector512.FusedMultiplyAdd(g, Vector512.Load(s), a0);
            a1 = Vector512.FusedMultiplyAdd(g, Vector512.Load(s + 16), a1);
            a2 = Vector512.FusedMultiplyAdd(g, Vector512.Load(s + 32), a2);
            a3 = Vector512.FusedMultiplyAdd(g, Vector512.Load(s + 48), a3);
            a4 = Vector512.FusedMultiplyAdd(g, Vector512.Load(s + 64), a4);
            a5 = Vector512.FusedMultiplyAdd(g, Vector512.Load(s + 80), a5);
        }
        a0.Store(dst);
        a1.Store(dst + 16);
        a2.Store(dst + 32);
        a3.Store(dst + 48);
        a4.Store(dst + 64);
        a5.Store(dst + 80);
    }
}
