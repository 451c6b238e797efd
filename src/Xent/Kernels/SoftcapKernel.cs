using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Xent.Kernels;

/// <summary>
/// Logit soft-capping (Gemma 2's <c>final_logit_softcapping</c>): y = cap·tanh(x / cap), which
/// squashes logits smoothly into (−cap, cap) and is ≈ x for |x| ≪ cap.
/// <para>Backward uses the output: dy/dx = 1 − tanh²(x / cap) = 1 − (y / cap)², so
/// dx = dy·(1 − (y / cap)²). This is what PyTorch's autograd computes for
/// <c>cap * torch.tanh(x / cap)</c> (tanh's backward reads its saved output).</para>
/// <para>Precision: tanh is Cephes' tanhf, vectorised (an odd degree-11 polynomial for |u| &lt; 0.625,
/// 1 − 2/(e^(2|u|) + 1) above), within a few ulp <i>relative</i> everywhere — unlike
/// TensorPrimitives.Tanh, whose absolute error of ~1e-7 makes tanh(0) = −1.2e-7. x / cap is a true
/// division, as in PyTorch. ±inf maps to ±cap; NaN propagates.</para>
/// </summary>
internal static class SoftcapKernel
{
    /// <summary>Throws unless <paramref name="cap"/> is finite and positive; the exception names <c>softcap</c>, the
    /// parameter of every public entry point that passes it here.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The cap is zero, negative, infinite or NaN.</exception>
    public static void ValidateCap(float cap)
    {
        if (!(cap > 0f) || float.IsPositiveInfinity(cap))
            throw new ArgumentOutOfRangeException("softcap", cap, $"softcap must be a finite positive number but got {cap}.");
    }

    /// <summary>y = cap·tanh(x / cap). <paramref name="y"/> may be <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Forward(ReadOnlySpan<float> x, float cap, Span<float> y)
    {
        ValidateCap(cap);
        KernelArgs.SameLength(x.Length, y.Length, nameof(y));
        ForwardCore(x, cap, y);
    }

    /// <summary>Scalar reference for <see cref="Forward"/> (<see cref="MathF.Tanh"/>).</summary>
    internal static void ForwardScalar(ReadOnlySpan<float> x, float cap, Span<float> y)
    {
        ValidateCap(cap);
        KernelArgs.SameLength(x.Length, y.Length, nameof(y));
        for (int i = 0; i < x.Length; i++) y[i] = cap * MathF.Tanh(x[i] / cap);
    }

    /// <summary>
    /// dx = dy·(1 − (y / cap)²) from the forward's output <paramref name="y"/>.
    /// <paramref name="dx"/> may be <paramref name="dy"/> (not <paramref name="y"/> unless dy is y).
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, float cap, Span<float> dx)
    {
        ValidateCap(cap);
        KernelArgs.SameLength(y.Length, dy.Length, nameof(dy));
        KernelArgs.SameLength(y.Length, dx.Length, nameof(dx));
        BackwardUnchecked(y, dy, cap, dx);
    }

    /// <summary>Scalar reference for <see cref="Backward"/>.</summary>
    internal static void BackwardScalar(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, float cap, Span<float> dx)
    {
        ValidateCap(cap);
        KernelArgs.SameLength(y.Length, dy.Length, nameof(dy));
        KernelArgs.SameLength(y.Length, dx.Length, nameof(dx));
        for (int i = 0; i < y.Length; i++)
        {
            float u = y[i] / cap;
            dx[i] = dy[i] * (1f - u * u);
        }
    }

    /// <summary>Forward without argument checks, for kernels that fuse the cap into their own loops.</summary>
    internal static void ForwardUnchecked(Span<float> x, float cap) => ForwardCore(x, cap, x);

    private static void ForwardCore(ReadOnlySpan<float> x, float cap, Span<float> y)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vc = Vector512.Create(cap);
            for (; i <= n - 16; i += 16) (vc * Tanh(Vector512.LoadUnsafe(ref px, (nuint)i) / vc)).StoreUnsafe(ref py, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var vc = Vector256.Create(cap);
            for (; i <= n - 8; i += 8) (vc * Tanh(Vector256.LoadUnsafe(ref px, (nuint)i) / vc)).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) = cap * Tanh(Unsafe.Add(ref px, i) / cap);
    }

    // Cephes tanhf: tanh(u) = u + u·z·P(z), z = u², for |u| < 0.625.
    private const float T0 = -5.70498872745e-3f, T1 = 2.06390887954e-2f, T2 = -5.37397155531e-2f, T3 = 1.33314422036e-1f,
        T4 = -3.33332819422e-1f;

    /// <summary>tanh lane-wise, a few ulp relative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Tanh(Vector512<float> u)
    {
        var a = Vector512.Abs(u);
        var z = u * u;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(T0), z, Vector512.Create(T1));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(T2));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(T3));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(T4));
        var small = Vector512.FusedMultiplyAdd(p * z, u, u);
        // e^(2|u|) overflows to +inf for |u| > 44: 2/(inf + 1) = 0 gives exactly 1.
        var e = VectorMath.Exp(a + a);
        var large = Vector512<float>.One - Vector512.Create(2f) / (e + Vector512<float>.One);
        large = Vector512.CopySign(large, u);
        return Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(0.625f)), small, large);
    }

    /// <summary>tanh lane-wise, a few ulp relative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Tanh(Vector256<float> u)
    {
        var a = Vector256.Abs(u);
        var z = u * u;
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(T0), z, Vector256.Create(T1));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(T2));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(T3));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(T4));
        var small = Vector256.FusedMultiplyAdd(p * z, u, u);
        var e = VectorMath.Exp(a + a);
        var large = Vector256<float>.One - Vector256.Create(2f) / (e + Vector256<float>.One);
        large = Vector256.CopySign(large, u);
        return Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(0.625f)), small, large);
    }

    /// <summary>The same formula for one value (vector tails), so every element rounds alike.</summary>
    internal static float Tanh(float u)
    {
        float a = MathF.Abs(u);
        if (a < 0.625f)
        {
            float z = u * u;
            float p = MathF.FusedMultiplyAdd(T0, z, T1);
            p = MathF.FusedMultiplyAdd(p, z, T2);
            p = MathF.FusedMultiplyAdd(p, z, T3);
            p = MathF.FusedMultiplyAdd(p, z, T4);
            return MathF.FusedMultiplyAdd(p * z, u, u);
        }
        return MathF.CopySign(1f - 2f / (VectorMath.Exp(a + a) + 1f), u);
    }

    /// <summary>dx = dy·(1 − (y / cap)²) without argument checks.</summary>
    internal static void BackwardUnchecked(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, float cap, Span<float> dx)
    {
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pd = ref MemoryMarshal.GetReference(dy);
        ref float px = ref MemoryMarshal.GetReference(dx);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vc = Vector512.Create(cap);
            var one = Vector512<float>.One;
            for (; i <= n - 16; i += 16)
            {
                var u = Vector512.LoadUnsafe(ref py, (nuint)i) / vc;
                (Vector512.LoadUnsafe(ref pd, (nuint)i) * (one - u * u)).StoreUnsafe(ref px, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var vc = Vector256.Create(cap);
            var one = Vector256<float>.One;
            for (; i <= n - 8; i += 8)
            {
                var u = Vector256.LoadUnsafe(ref py, (nuint)i) / vc;
                (Vector256.LoadUnsafe(ref pd, (nuint)i) * (one - u * u)).StoreUnsafe(ref px, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float u = Unsafe.Add(ref py, i) / cap;
            Unsafe.Add(ref px, i) = Unsafe.Add(ref pd, i) * (1f - u * u);
        }
    }
}
