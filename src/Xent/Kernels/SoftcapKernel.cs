using System.Numerics.Tensors;
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
/// <para>Precision: tanh is <see cref="TensorPrimitives.Tanh(ReadOnlySpan{float}, Span{float})"/>
/// (vectorised, within a few ulp of <see cref="MathF.Tanh"/>); x / cap is a true division, as in
/// PyTorch. ±inf maps to ±cap; NaN propagates.</para>
/// </summary>
public static class SoftcapKernel
{
    /// <summary>Throws unless <paramref name="cap"/> is finite and positive.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The cap is zero, negative, infinite or NaN.</exception>
    public static void ValidateCap(float cap)
    {
        if (!(cap > 0f) || float.IsPositiveInfinity(cap))
            throw new ArgumentOutOfRangeException(nameof(cap), cap, $"softcap must be a finite positive number but got {cap}.");
    }

    /// <summary>y = cap·tanh(x / cap). <paramref name="y"/> may be <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Forward(ReadOnlySpan<float> x, float cap, Span<float> y)
    {
        ValidateCap(cap);
        SoftmaxKernel.CheckSame(x.Length, y.Length, nameof(y));
        TensorPrimitives.Divide(x, cap, y);
        TensorPrimitives.Tanh(y, y);
        TensorPrimitives.Multiply(y, cap, y);
    }

    /// <summary>Scalar reference for <see cref="Forward"/> (<see cref="MathF.Tanh"/>).</summary>
    public static void ForwardScalar(ReadOnlySpan<float> x, float cap, Span<float> y)
    {
        ValidateCap(cap);
        SoftmaxKernel.CheckSame(x.Length, y.Length, nameof(y));
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
        SoftmaxKernel.CheckSame(y.Length, dy.Length, nameof(dy));
        SoftmaxKernel.CheckSame(y.Length, dx.Length, nameof(dx));
        BackwardUnchecked(y, dy, cap, dx);
    }

    /// <summary>Scalar reference for <see cref="Backward"/>.</summary>
    public static void BackwardScalar(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, float cap, Span<float> dx)
    {
        ValidateCap(cap);
        SoftmaxKernel.CheckSame(y.Length, dy.Length, nameof(dy));
        SoftmaxKernel.CheckSame(y.Length, dx.Length, nameof(dx));
        for (int i = 0; i < y.Length; i++)
        {
            float u = y[i] / cap;
            dx[i] = dy[i] * (1f - u * u);
        }
    }

    /// <summary>Forward without argument checks, for kernels that fuse the cap into their own loops.</summary>
    internal static void ForwardUnchecked(Span<float> x, float cap)
    {
        TensorPrimitives.Divide(x, cap, x);
        TensorPrimitives.Tanh(x, x);
        TensorPrimitives.Multiply(x, cap, x);
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
