using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Kernels;

// AVX-512 packing for the operands whose packed order runs across their rows (A not transposed,
// B transposed): 16×16 blocks are transposed in registers instead of moved one float at a time.
public static unsafe partial class Gemm
{
    /// <summary>
    /// Transposes the 16×16 block held in r[0..15] (row i in r[i]) in place: afterwards r[j] holds column j.
    /// Three rounds of in-lane unpacks and two of 128-bit lane shuffles (64 shuffles for 256 floats).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16x16(Vector512<float>* r, Vector512<float>* t)
    {
        for (int i = 0; i < 16; i += 2)
        {
            t[i] = Avx512F.UnpackLow(r[i], r[i + 1]);      // a0 b0 a1 b1 per 128-bit lane
            t[i + 1] = Avx512F.UnpackHigh(r[i], r[i + 1]); // a2 b2 a3 b3
        }
        for (int i = 0; i < 16; i += 4)
        {
            // r[i + j] lane L: column 4L + j of rows i..i+3.
            r[i] = Avx512F.UnpackLow(t[i].AsDouble(), t[i + 2].AsDouble()).AsSingle();
            r[i + 1] = Avx512F.UnpackHigh(t[i].AsDouble(), t[i + 2].AsDouble()).AsSingle();
            r[i + 2] = Avx512F.UnpackLow(t[i + 1].AsDouble(), t[i + 3].AsDouble()).AsSingle();
            r[i + 3] = Avx512F.UnpackHigh(t[i + 1].AsDouble(), t[i + 3].AsDouble()).AsSingle();
        }
        for (int j = 0; j < 4; j++)
        {
            Vector512<float> v0 = Avx512F.Shuffle4x128(r[j], r[4 + j], 0x88);
            Vector512<float> v1 = Avx512F.Shuffle4x128(r[j], r[4 + j], 0xDD);
            Vector512<float> v2 = Avx512F.Shuffle4x128(r[8 + j], r[12 + j], 0x88);
            Vector512<float> v3 = Avx512F.Shuffle4x128(r[8 + j], r[12 + j], 0xDD);
            r[j] = Avx512F.Shuffle4x128(v0, v2, 0x88);
            r[4 + j] = Avx512F.Shuffle4x128(v1, v3, 0x88);
            r[8 + j] = Avx512F.Shuffle4x128(v0, v2, 0xDD);
            r[12 + j] = Avx512F.Shuffle4x128(v1, v3, 0xDD);
        }
    }

    /// <summary>
    /// Packs <paramref name="rows"/> (≤ 16) rows of a row-major matrix, <paramref name="kc"/> columns each,
    /// into k-major order: <paramref name="width"/> floats at <paramref name="dst"/> + k·<paramref name="stride"/>
    /// (rows..width-1 are zero). Full-vector stores write 16 floats per k, so when width &lt; 16 the
    /// 16 − width floats after each row are clobbered (they belong to row k + 1, written next, or to buffer slack).
    /// </summary>
    private static void PackRowsTransposed512(float* src, long ld, int rows, int kc, float* dst, int width, int stride)
    {
        Vector512<float>* r = stackalloc Vector512<float>[16];
        Vector512<float>* t = stackalloc Vector512<float>[16];
        int kk = 0;
        for (; kk + 16 <= kc; kk += 16)
        {
            for (int i = 0; i < 16; i++) r[i] = i < rows ? Vector512.Load(src + i * ld + kk) : Vector512<float>.Zero;
            Transpose16x16(r, t);
            for (int j = 0; j < 16; j++) Vector512.Store(r[j], dst + (long)(kk + j) * stride);
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
