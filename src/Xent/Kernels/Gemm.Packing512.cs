using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Kernels;

// AVX-512 packing for the operands whose packed order runs across their rows (A not transposed,
// B transposed): 16×16 blocks are transposed in registers instead of moved one float at a time.
internal static unsafe partial class Gemm
{
    /// <summary>
    /// Transposes the 16×16 block r0..r15 (row i in r_i) in place: afterwards r_j holds column j.
    /// Two rounds of in-lane unpacks (32-bit, then 64-bit: each 128-bit lane then holds a 4×4 block)
    /// and two of 128-bit lane shuffles; 64 shuffles for 256 floats, all in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose16x16(ref Vector512<float> r0, ref Vector512<float> r1, ref Vector512<float> r2, ref Vector512<float> r3,
        ref Vector512<float> r4, ref Vector512<float> r5, ref Vector512<float> r6, ref Vector512<float> r7, ref Vector512<float> r8,
        ref Vector512<float> r9, ref Vector512<float> r10, ref Vector512<float> r11, ref Vector512<float> r12, ref Vector512<float> r13,
        ref Vector512<float> r14, ref Vector512<float> r15)
    {
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1);
        Vector512<float> t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5);
        Vector512<float> t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9);
        Vector512<float> t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13);
        Vector512<float> t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);
        Vector512<float> u0 = Avx512F.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle(),
            u1 = Avx512F.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle();
        Vector512<float> u2 = Avx512F.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle(),
            u3 = Avx512F.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle();
        Vector512<float> u4 = Avx512F.UnpackLow(t4.AsDouble(), t6.AsDouble()).AsSingle(),
            u5 = Avx512F.UnpackHigh(t4.AsDouble(), t6.AsDouble()).AsSingle();
        Vector512<float> u6 = Avx512F.UnpackLow(t5.AsDouble(), t7.AsDouble()).AsSingle(),
            u7 = Avx512F.UnpackHigh(t5.AsDouble(), t7.AsDouble()).AsSingle();
        Vector512<float> u8 = Avx512F.UnpackLow(t8.AsDouble(), t10.AsDouble()).AsSingle(),
            u9 = Avx512F.UnpackHigh(t8.AsDouble(), t10.AsDouble()).AsSingle();
        Vector512<float> u10 = Avx512F.UnpackLow(t9.AsDouble(), t11.AsDouble()).AsSingle(),
            u11 = Avx512F.UnpackHigh(t9.AsDouble(), t11.AsDouble()).AsSingle();
        Vector512<float> u12 = Avx512F.UnpackLow(t12.AsDouble(), t14.AsDouble()).AsSingle(),
            u13 = Avx512F.UnpackHigh(t12.AsDouble(), t14.AsDouble()).AsSingle();
        Vector512<float> u14 = Avx512F.UnpackLow(t13.AsDouble(), t15.AsDouble()).AsSingle(),
            u15 = Avx512F.UnpackHigh(t13.AsDouble(), t15.AsDouble()).AsSingle();
        { var v0 = Avx512F.Shuffle4x128(u0, u4, 0x88); var v1 = Avx512F.Shuffle4x128(u0, u4, 0xDD);
          var v2 = Avx512F.Shuffle4x128(u8, u12, 0x88); var v3 = Avx512F.Shuffle4x128(u8, u12, 0xDD);
          r0 = Avx512F.Shuffle4x128(v0, v2, 0x88); r4 = Avx512F.Shuffle4x128(v1, v3, 0x88);
          r8 = Avx512F.Shuffle4x128(v0, v2, 0xDD); r12 = Avx512F.Shuffle4x128(v1, v3, 0xDD); }
        { var v0 = Avx512F.Shuffle4x128(u1, u5, 0x88); var v1 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
          var v2 = Avx512F.Shuffle4x128(u9, u13, 0x88); var v3 = Avx512F.Shuffle4x128(u9, u13, 0xDD);
          r1 = Avx512F.Shuffle4x128(v0, v2, 0x88); r5 = Avx512F.Shuffle4x128(v1, v3, 0x88);
          r9 = Avx512F.Shuffle4x128(v0, v2, 0xDD); r13 = Avx512F.Shuffle4x128(v1, v3, 0xDD); }
        { var v0 = Avx512F.Shuffle4x128(u2, u6, 0x88); var v1 = Avx512F.Shuffle4x128(u2, u6, 0xDD);
          var v2 = Avx512F.Shuffle4x128(u10, u14, 0x88); var v3 = Avx512F.Shuffle4x128(u10, u14, 0xDD);
          r2 = Avx512F.Shuffle4x128(v0, v2, 0x88); r6 = Avx512F.Shuffle4x128(v1, v3, 0x88);
          r10 = Avx512F.Shuffle4x128(v0, v2, 0xDD); r14 = Avx512F.Shuffle4x128(v1, v3, 0xDD); }
        { var v0 = Avx512F.Shuffle4x128(u3, u7, 0x88); var v1 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
          var v2 = Avx512F.Shuffle4x128(u11, u15, 0x88); var v3 = Avx512F.Shuffle4x128(u11, u15, 0xDD);
          r3 = Avx512F.Shuffle4x128(v0, v2, 0x88); r7 = Avx512F.Shuffle4x128(v1, v3, 0x88);
          r11 = Avx512F.Shuffle4x128(v0, v2, 0xDD); r15 = Avx512F.Shuffle4x128(v1, v3, 0xDD); }
    }

    /// <summary>
    /// Packs <paramref name="rows"/> (≤ 16) rows of a row-major matrix, <paramref name="kc"/> columns each,
    /// into k-major order: <paramref name="width"/> floats at <paramref name="dst"/> + k·<paramref name="stride"/>
    /// (rows..width-1 are zero). Full-vector stores write 16 floats per k, so when width &lt; 16 the
    /// 16 − width floats after each row are clobbered (they belong to row k + 1, written next, or to buffer slack).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRowsTransposed512(float* src, long ld, int rows, int kc, float* dst, int width, int stride)
    {
        int kk = 0;
        if (rows == 16)
        {
            for (; kk + 16 <= kc; kk += 16)
            {
                float* s = src + kk;
                Vector512<float> r0 = Vector512.Load(s + 0 * ld);
                Vector512<float> r1 = Vector512.Load(s + 1 * ld);
                Vector512<float> r2 = Vector512.Load(s + 2 * ld);
                Vector512<float> r3 = Vector512.Load(s + 3 * ld);
                Vector512<float> r4 = Vector512.Load(s + 4 * ld);
                Vector512<float> r5 = Vector512.Load(s + 5 * ld);
                Vector512<float> r6 = Vector512.Load(s + 6 * ld);
                Vector512<float> r7 = Vector512.Load(s + 7 * ld);
                Vector512<float> r8 = Vector512.Load(s + 8 * ld);
                Vector512<float> r9 = Vector512.Load(s + 9 * ld);
                Vector512<float> r10 = Vector512.Load(s + 10 * ld);
                Vector512<float> r11 = Vector512.Load(s + 11 * ld);
                Vector512<float> r12 = Vector512.Load(s + 12 * ld);
                Vector512<float> r13 = Vector512.Load(s + 13 * ld);
                Vector512<float> r14 = Vector512.Load(s + 14 * ld);
                Vector512<float> r15 = Vector512.Load(s + 15 * ld);
                Transpose16x16(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, ref r8, ref r9, ref r10, ref r11, ref r12,
                    ref r13, ref r14, ref r15);
                float* d = dst + (long)kk * stride;
                Vector512.Store(r0, d + 0 * stride);
                Vector512.Store(r1, d + 1 * stride);
                Vector512.Store(r2, d + 2 * stride);
                Vector512.Store(r3, d + 3 * stride);
                Vector512.Store(r4, d + 4 * stride);
                Vector512.Store(r5, d + 5 * stride);
                Vector512.Store(r6, d + 6 * stride);
                Vector512.Store(r7, d + 7 * stride);
                Vector512.Store(r8, d + 8 * stride);
                Vector512.Store(r9, d + 9 * stride);
                Vector512.Store(r10, d + 10 * stride);
                Vector512.Store(r11, d + 11 * stride);
                Vector512.Store(r12, d + 12 * stride);
                Vector512.Store(r13, d + 13 * stride);
                Vector512.Store(r14, d + 14 * stride);
                Vector512.Store(r15, d + 15 * stride);
            }
        }
        else
        {
            for (; kk + 16 <= kc; kk += 16)
            {
                float* s = src + kk;
                Vector512<float> r0 = 0 < rows ? Vector512.Load(s + 0 * ld) : default;
                Vector512<float> r1 = 1 < rows ? Vector512.Load(s + 1 * ld) : default;
                Vector512<float> r2 = 2 < rows ? Vector512.Load(s + 2 * ld) : default;
                Vector512<float> r3 = 3 < rows ? Vector512.Load(s + 3 * ld) : default;
                Vector512<float> r4 = 4 < rows ? Vector512.Load(s + 4 * ld) : default;
                Vector512<float> r5 = 5 < rows ? Vector512.Load(s + 5 * ld) : default;
                Vector512<float> r6 = 6 < rows ? Vector512.Load(s + 6 * ld) : default;
                Vector512<float> r7 = 7 < rows ? Vector512.Load(s + 7 * ld) : default;
                Vector512<float> r8 = 8 < rows ? Vector512.Load(s + 8 * ld) : default;
                Vector512<float> r9 = 9 < rows ? Vector512.Load(s + 9 * ld) : default;
                Vector512<float> r10 = 10 < rows ? Vector512.Load(s + 10 * ld) : default;
                Vector512<float> r11 = 11 < rows ? Vector512.Load(s + 11 * ld) : default;
                Vector512<float> r12 = 12 < rows ? Vector512.Load(s + 12 * ld) : default;
                Vector512<float> r13 = 13 < rows ? Vector512.Load(s + 13 * ld) : default;
                Vector512<float> r14 = 14 < rows ? Vector512.Load(s + 14 * ld) : default;
                Vector512<float> r15 = 15 < rows ? Vector512.Load(s + 15 * ld) : default;
                Transpose16x16(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, ref r8, ref r9, ref r10, ref r11, ref r12,
                    ref r13, ref r14, ref r15);
                float* d = dst + (long)kk * stride;
                Vector512.Store(r0, d + 0 * stride);
                Vector512.Store(r1, d + 1 * stride);
                Vector512.Store(r2, d + 2 * stride);
                Vector512.Store(r3, d + 3 * stride);
                Vector512.Store(r4, d + 4 * stride);
                Vector512.Store(r5, d + 5 * stride);
                Vector512.Store(r6, d + 6 * stride);
                Vector512.Store(r7, d + 7 * stride);
                Vector512.Store(r8, d + 8 * stride);
                Vector512.Store(r9, d + 9 * stride);
                Vector512.Store(r10, d + 10 * stride);
                Vector512.Store(r11, d + 11 * stride);
                Vector512.Store(r12, d + 12 * stride);
                Vector512.Store(r13, d + 13 * stride);
                Vector512.Store(r14, d + 14 * stride);
                Vector512.Store(r15, d + 15 * stride);
            }
        }
        for (; kk < kc; kk++)
        {
            float* d = dst + (long)kk * stride;
            int i = 0;
            for (; i < rows; i++) d[i] = src[i * ld + kk];
            for (; i < width; i++) d[i] = 0f;
        }
    }
}
