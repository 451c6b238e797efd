using Xunit;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Xent.Kernels;

namespace Xent.Tests.Kernels;


internal static class KernelTestUtil
{
    /// <summary>Gemm micro-kernel families this machine can run.</summary>
    public static IEnumerable<Gemm.GemmPath> SupportedGemmPaths()
    {
        yield return Gemm.GemmPath.Scalar;
        if (Vector128.IsHardwareAccelerated && (Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported))
            yield return Gemm.GemmPath.Vector128;
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported) yield return Gemm.GemmPath.Avx2;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Fma.IsSupported) yield return Gemm.GemmPath.Avx512;
    }

    public static float[] RandomArray(Random rnd, int length, float scale = 1f)
    {
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rnd.NextDouble() * 2 - 1) * scale;
        return x;
    }

    /// <summary>Runs <paramref name="body"/> with MaxThreads = <paramref name="threads"/>, restoring the old value.</summary>
    public static T WithThreads<T>(int threads, Func<T> body)
    {
        int old = KernelParallel.MaxThreads;
        try
        {
            KernelParallel.MaxThreads = threads;
            return body();
        }
        finally
        {
            KernelParallel.MaxThreads = old;
        }
    }
}
