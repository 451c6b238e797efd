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
    /// <remarks>
    /// Written in place with nine temporaries: the JIT inlines no method with more than 32 locals, and a call would
    /// send all sixteen vectors through memory (the packing loop then ran at a fraction of its speed).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose16x16(ref Vector512<float> r0, ref Vector512<float> r1, ref Vector512<float> r2, ref Vector512<float> r3,
        ref Vector512<float> r4, ref Vector512<float> r5, ref Vector512<float> r6, ref Vector512<float> r7, ref Vector512<float> r8,
        ref Vector512<float> r9, ref Vector512<float> r10, ref Vector512<float> r11, ref Vector512<float> r12, ref Vector512<float> r13,
        ref Vector512<float> r14, ref Vector512<float> r15)
    {
        // Round 1, 32-bit interleave of row pairs: t(2i) = lo(r(2i), r(2i+1)), t(2i+1) = hi(..), kept in r(2i), r(2i+1).
        Vector512<float> t;
        t = Avx512F.UnpackLow(r0, r1); r1 = Avx512F.UnpackHigh(r0, r1); r0 = t;
        t = Avx512F.UnpackLow(r2, r3); r3 = Avx512F.UnpackHigh(r2, r3); r2 = t;
        t = Avx512F.UnpackLow(r4, r5); r5 = Avx512F.UnpackHigh(r4, r5); r4 = t;
        t = Avx512F.UnpackLow(r6, r7); r7 = Avx512F.UnpackHigh(r6, r7); r6 = t;
        t = Avx512F.UnpackLow(r8, r9); r9 = Avx512F.UnpackHigh(r8, r9); r8 = t;
        t = Avx512F.UnpackLow(r10, r11); r11 = Avx512F.UnpackHigh(r10, r11); r10 = t;
        t = Avx512F.UnpackLow(r12, r13); r13 = Avx512F.UnpackHigh(r12, r13); r12 = t;
        t = Avx512F.UnpackLow(r14, r15); r15 = Avx512F.UnpackHigh(r14, r15); r14 = t;
        // Round 2, 64-bit interleave within each quad q = 4a: u(q) = lo(t(q), t(q+2)) → r(q), u(q+1) = hi(..) → r(q+2),
        // u(q+2) = lo(t(q+1), t(q+3)) → r(q+1), u(q+3) = hi(..) → r(q+3).
        t = Lo64(r0, r2); r2 = Hi64(r0, r2); r0 = t; t = Lo64(r1, r3); r3 = Hi64(r1, r3); r1 = t;
        t = Lo64(r4, r6); r6 = Hi64(r4, r6); r4 = t; t = Lo64(r5, r7); r7 = Hi64(r5, r7); r5 = t;
        t = Lo64(r8, r10); r10 = Hi64(r8, r10); r8 = t; t = Lo64(r9, r11); r11 = Hi64(r9, r11); r9 = t;
        t = Lo64(r12, r14); r14 = Hi64(r12, r14); r12 = t; t = Lo64(r13, r15); r15 = Hi64(r13, r15); r13 = t;
        // Rounds 3 and 4, 128-bit lanes: column group g takes u(g), u(4+g), u(8+g), u(12+g) and gives r(g), r(4+g), r(8+g),
        // r(12+g). Groups 0 and 3 read and write the same registers; groups 1 and 2 read each other's, so group 1's
        // results wait in p0..p3 while group 2 runs.
        Vector512<float> v0, v1, v2, v3, p0, p1, p2, p3;
        v0 = Avx512F.Shuffle4x128(r0, r4, 0x88); v1 = Avx512F.Shuffle4x128(r0, r4, 0xDD);
        v2 = Avx512F.Shuffle4x128(r8, r12, 0x88); v3 = Avx512F.Shuffle4x128(r8, r12, 0xDD);
        r0 = Avx512F.Shuffle4x128(v0, v2, 0x88); r4 = Avx512F.Shuffle4x128(v1, v3, 0x88);
        r8 = Avx512F.Shuffle4x128(v0, v2, 0xDD); r12 = Avx512F.Shuffle4x128(v1, v3, 0xDD);
        v0 = Avx512F.Shuffle4x128(r2, r6, 0x88); v1 = Avx512F.Shuffle4x128(r2, r6, 0xDD);
        v2 = Avx512F.Shuffle4x128(r10, r14, 0x88); v3 = Avx512F.Shuffle4x128(r10, r14, 0xDD);
        p0 = Avx512F.Shuffle4x128(v0, v2, 0x88); p1 = Avx512F.Shuffle4x128(v1, v3, 0x88);
        p2 = Avx512F.Shuffle4x128(v0, v2, 0xDD); p3 = Avx512F.Shuffle4x128(v1, v3, 0xDD);
        v0 = Avx512F.Shuffle4x128(r1, r5, 0x88); v1 = Avx512F.Shuffle4x128(r1, r5, 0xDD);
        v2 = Avx512F.Shuffle4x128(r9, r13, 0x88); v3 = Avx512F.Shuffle4x128(r9, r13, 0xDD);
        r2 = Avx512F.Shuffle4x128(v0, v2, 0x88); r6 = Avx512F.Shuffle4x128(v1, v3, 0x88);
        r10 = Avx512F.Shuffle4x128(v0, v2, 0xDD); r14 = Avx512F.Shuffle4x128(v1, v3, 0xDD);
        r1 = p0; r5 = p1; r9 = p2; r13 = p3;
        v0 = Avx512F.Shuffle4x128(r3, r7, 0x88); v1 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        v2 = Avx512F.Shuffle4x128(r11, r15, 0x88); v3 = Avx512F.Shuffle4x128(r11, r15, 0xDD);
        r3 = Avx512F.Shuffle4x128(v0, v2, 0x88); r7 = Avx512F.Shuffle4x128(v1, v3, 0x88);
        r11 = Avx512F.Shuffle4x128(v0, v2, 0xDD); r15 = Avx512F.Shuffle4x128(v1, v3, 0xDD);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lo64(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Hi64(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

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
