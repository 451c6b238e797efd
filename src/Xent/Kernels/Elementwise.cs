using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Xent.Kernels;

/// <summary>
/// Small memory-bound kernels around the GEMMs of Linear and Conv2d: bias rows, bias gradients, ReLU.
/// Each uses <see cref="Vector{T}"/> when the hardware accelerates it and a scalar loop otherwise; both
/// give identical results (no reassociation: every output element sees the same operations in the same order).
/// </summary>
internal static class Elementwise
{
    /// <summary><c>dst[i] += src[i]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // every Linear step from the first: tier-0 code costs µs per call
    public static void AddInPlace(ReadOnlySpan<float> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException($"Destination has {dst.Length} elements, source {src.Length}.",
            nameof(dst));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref float s = ref MemoryMarshal.GetReference(src);
            ref float d = ref MemoryMarshal.GetReference(dst);
            for (; i <= src.Length - Vector<float>.Count; i += Vector<float>.Count)
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref d, (nuint)i) + Vector.LoadUnsafe(ref s, (nuint)i), ref d, (nuint)i);
        }
        for (; i < src.Length; i++) dst[i] += src[i];
    }

    /// <summary>
    /// Adds <paramref name="bias"/> (length <paramref name="cols"/>) to every row of the rows×cols matrix <paramref name="x"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // every Linear step from the first: tier-0 code costs µs per call
    public static void AddBiasRows(Span<float> x, int rows, int cols, ReadOnlySpan<float> bias)
    {
        CheckMatrix(x.Length, rows, cols, nameof(x));
        if (bias.Length < cols) throw new ArgumentException($"Bias has {bias.Length} elements, expected {cols}.", nameof(bias));
        for (int r = 0; r < rows; r++) AddInPlace(bias[..cols], x.Slice(r * cols, cols));
    }

    /// <summary>
    /// Adds <paramref name="bias"/>[r] to every element of row r of the rows×cols matrix <paramref name="x"/>
    /// (the per-channel bias of a convolution output plane).
    /// </summary>
    public static void AddBiasPerRow(Span<float> x, int rows, int cols, ReadOnlySpan<float> bias)
    {
        CheckMatrix(x.Length, rows, cols, nameof(x));
        if (bias.Length < rows) throw new ArgumentException($"Bias has {bias.Length} elements, expected {rows}.", nameof(bias));
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = x.Slice(r * cols, cols);
            float b = bias[r];
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var bv = new Vector<float>(b);
                ref float d = ref MemoryMarshal.GetReference(row);
                for (; i <= cols - Vector<float>.Count; i += Vector<float>.Count)
                    Vector.StoreUnsafe(Vector.LoadUnsafe(ref d, (nuint)i) + bv, ref d, (nuint)i);
            }
            for (; i < cols; i++) row[i] += b;
        }
    }

    /// <summary>
    /// Column sums of the rows×cols matrix <paramref name="grad"/> into <paramref name="gradBias"/> (overwritten):
    /// the bias gradient of a Linear layer. Rows are summed in blocks of 32 (float32), block sums added in order,
    /// so the result does not depend on threads or vector width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // every Linear step from the first: tier-0 code costs µs per call
    public static void BiasGradRows(ReadOnlySpan<float> grad, int rows, int cols, Span<float> gradBias)
    {
        CheckMatrix(grad.Length, rows, cols, nameof(grad));
        if (gradBias.Length < cols) throw new ArgumentException($"Bias gradient has {gradBias.Length} elements, expected {cols}.",
            nameof(gradBias));
        Span<float> total = gradBias[..cols];
        total.Clear();
        const int Block = 32;
        float[]? rented = cols > 1024 ? System.Buffers.ArrayPool<float>.Shared.Rent(cols) : null;
        Span<float> part = rented is null ? stackalloc float[cols] : rented.AsSpan(0, cols);
        for (int r0 = 0; r0 < rows; r0 += Block)
        {
            grad.Slice(r0 * cols, cols).CopyTo(part);
            int r1 = Math.Min(rows, r0 + Block);
            for (int r = r0 + 1; r < r1; r++) AddInPlace(grad.Slice(r * cols, cols), part);
            AddInPlace(part, total);
        }
        if (rented is not null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>
    /// Adds the sum of each row of the rows×cols matrix <paramref name="x"/> to <paramref name="sums"/>
    /// (the bias gradient of one convolution output image, one row per channel). Each row is summed in
    /// 8 float32 lanes (8 interleaved partial sums, then the lanes in order, in float64), the same on every path.
    /// </summary>
    public static void AccumulateRowSums(ReadOnlySpan<float> x, int rows, int cols, Span<double> sums)
    {
        CheckMatrix(x.Length, rows, cols, nameof(x));
        if (sums.Length < rows) throw new ArgumentException($"Sums span has {sums.Length} elements, expected {rows}.", nameof(sums));
        Span<float> lanes = stackalloc float[8];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * cols, cols);
            int i = 0;
            double s = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var acc = Vector256<float>.Zero;
                ref float src = ref MemoryMarshal.GetReference(row);
                for (; i <= cols - 8; i += 8) acc += Vector256.LoadUnsafe(ref src, (nuint)i);
                for (int l = 0; l < 8; l++) s += acc.GetElement(l);
            }
            else
            {
                lanes.Clear();
                for (; i <= cols - 8; i += 8)
                    for (int l = 0; l < 8; l++) lanes[l] += row[i + l];
                for (int l = 0; l < 8; l++) s += lanes[l];
            }
            for (; i < cols; i++) s += row[i];
            sums[r] += s;
        }
    }

    /// <summary>Whether every element is finite (no NaN, no ±∞): x·0 is ±0 for a finite x and NaN otherwise, summed lane-wise
    /// without a branch per element.</summary>
    public static bool AllFinite(ReadOnlySpan<float> x)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            ref float s = ref MemoryMarshal.GetReference(x);
            var acc = Vector<float>.Zero;
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
                acc += Vector.LoadUnsafe(ref s, (nuint)i) * Vector<float>.Zero;
            if (!Vector.EqualsAll(acc, Vector<float>.Zero)) return false;
        }
        for (; i < x.Length; i++) if (!float.IsFinite(x[i])) return false;
        return true;
    }

    /// <summary>
    /// <c>y = max(x, 0)</c> as <c>torch.relu</c>: NaN and −0 pass through unchanged. <paramref name="y"/> may alias <paramref name="x"/>.
    /// </summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException($"Output has {y.Length} elements, input {x.Length}.", nameof(y));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref float s = ref MemoryMarshal.GetReference(x);
            ref float d = ref MemoryMarshal.GetReference(y);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = Vector.LoadUnsafe(ref s, (nuint)i);
                // x < 0 is false for NaN and −0, which pass through as in torch.relu.
                Vector.StoreUnsafe(Vector.ConditionalSelect(Vector.LessThan(v, Vector<float>.Zero), Vector<float>.Zero, v), ref d,
                    (nuint)i);
            }
        }
        for (; i < x.Length; i++) y[i] = ReluScalar(x[i]);
    }

    /// <summary>
    /// ReLU backward from the forward output: <c>gradX = output &lt;= 0 ? 0 : gradY</c>, PyTorch's threshold_backward
    /// (<c>x &lt;= 0 ? 0 : g</c>; the output is ≤ 0 exactly where the input is, and NaN where it is NaN, so a NaN passes the
    /// gradient). <paramref name="gradX"/> may alias <paramref name="gradY"/>.
    /// </summary>
    public static void ReluBackward(ReadOnlySpan<float> output, ReadOnlySpan<float> gradY, Span<float> gradX)
    {
        if (gradY.Length < output.Length || gradX.Length < output.Length)
            throw new ArgumentException($"Gradient spans ({gradY.Length}, {gradX.Length}) are shorter than the output ({output.Length}).");
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref float o = ref MemoryMarshal.GetReference(output);
            ref float g = ref MemoryMarshal.GetReference(gradY);
            ref float d = ref MemoryMarshal.GetReference(gradX);
            for (; i <= output.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                // <= rather than > so that NaN (unordered) passes, as in threshold_backward.
                var blocked = Vector.LessThanOrEqual(Vector.LoadUnsafe(ref o, (nuint)i), Vector<float>.Zero);
                var passed = Vector.ConditionalSelect(blocked, Vector<float>.Zero, Vector.LoadUnsafe(ref g, (nuint)i));
                Vector.StoreUnsafe(passed, ref d, (nuint)i);
            }
        }
        for (; i < output.Length; i++) gradX[i] = output[i] <= 0f ? 0f : gradY[i];
    }

    /// <summary>Fused <see cref="AddBiasRows"/> then <see cref="Relu"/> in place on a rows×cols matrix.</summary>
    public static void AddBiasRelu(Span<float> x, int rows, int cols, ReadOnlySpan<float> bias)
    {
        CheckMatrix(x.Length, rows, cols, nameof(x));
        if (bias.Length < cols) throw new ArgumentException($"Bias has {bias.Length} elements, expected {cols}.", nameof(bias));
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = x.Slice(r * cols, cols);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                ref float d = ref MemoryMarshal.GetReference(row);
                ref float b = ref MemoryMarshal.GetReference(bias);
                for (; i <= cols - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var v = Vector.LoadUnsafe(ref d, (nuint)i) + Vector.LoadUnsafe(ref b, (nuint)i);
                    Vector.StoreUnsafe(Vector.ConditionalSelect(Vector.LessThan(v, Vector<float>.Zero), Vector<float>.Zero, v), ref d,
                        (nuint)i);
                }
            }
            for (; i < cols; i++) row[i] = ReluScalar(row[i] + bias[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ReluScalar(float v) => v < 0f ? 0f : v;

    private static void CheckMatrix(int length, int rows, int cols, string name)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(name, $"Matrix shape {rows}x{cols} is negative.");
        if (length < (long)rows * cols)
            throw new ArgumentException($"Span {name} has {length} elements; a {rows}x{cols} matrix needs {(long)rows * cols}.", name);
    }
}
