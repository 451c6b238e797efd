using System.Numerics;
using System.Runtime.InteropServices;

namespace Xent.Kernels;

/// <summary>
/// Leaky ReLU, <c>y = x &gt; 0 ? x : slope·x</c>, and its gradient <c>dx = x &gt; 0 ? dy : slope·dy</c> (PyTorch's
/// <c>leaky_relu_backward</c>, which reads the input, so x = 0 takes the slope). NaN propagates. Every element
/// is one comparison and at most one multiply, so the vector paths and the scalar twins agree bit for bit.
/// </summary>
internal static class LeakyReluKernel
{
    /// <summary>y = leaky_relu(x). <paramref name="y"/> may be <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Forward(ReadOnlySpan<float> x, float slope, Span<float> y)
    {
        KernelArgs.SameLength(x.Length, y.Length, nameof(y));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref float xs = ref MemoryMarshal.GetReference(x);
            ref float ys = ref MemoryMarshal.GetReference(y);
            var s = new Vector<float>(slope);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = Vector.LoadUnsafe(ref xs, (nuint)i);
                Vector.StoreUnsafe(Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, v * s), ref ys, (nuint)i);
            }
        }
        ForwardScalar(x[i..], slope, y[i..]);
    }

    /// <summary>Scalar twin of <see cref="Forward"/> (also its tail).</summary>
    internal static void ForwardScalar(ReadOnlySpan<float> x, float slope, Span<float> y)
    {
        KernelArgs.SameLength(x.Length, y.Length, nameof(y));
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0f ? x[i] : x[i] * slope;
    }

    /// <summary>
    /// dx = x &gt; 0 ? dy : slope·dy, from the forward's input <paramref name="x"/>. <paramref name="dx"/> may be <paramref name="dy"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float slope, Span<float> dx)
    {
        KernelArgs.SameLength(x.Length, dy.Length, nameof(dy));
        KernelArgs.SameLength(x.Length, dx.Length, nameof(dx));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref float xs = ref MemoryMarshal.GetReference(x);
            ref float gs = ref MemoryMarshal.GetReference(dy);
            ref float ds = ref MemoryMarshal.GetReference(dx);
            var s = new Vector<float>(slope);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var g = Vector.LoadUnsafe(ref gs, (nuint)i);
                var positive = Vector.GreaterThan(Vector.LoadUnsafe(ref xs, (nuint)i), Vector<float>.Zero);
                Vector.StoreUnsafe(Vector.ConditionalSelect(positive, g, g * s), ref ds, (nuint)i);
            }
        }
        BackwardScalar(x[i..], dy[i..], slope, dx[i..]);
    }

    /// <summary>Scalar twin of <see cref="Backward"/> (also its tail).</summary>
    internal static void BackwardScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float slope, Span<float> dx)
    {
        KernelArgs.SameLength(x.Length, dy.Length, nameof(dy));
        KernelArgs.SameLength(x.Length, dx.Length, nameof(dx));
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > 0f ? dy[i] : dy[i] * slope;
    }
}
