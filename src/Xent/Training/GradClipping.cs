using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Xent.NN;

namespace Xent.Training;

/// <summary>
/// PyTorch's <c>torch.nn.utils.clip_grad_norm_</c>: rescales all gradients together so their global L2 norm is at most a bound
/// (see <see cref="ClipGradNorm"/> for the deliberate differences).
/// </summary>
public static class GradClipping
{
    /// <summary>
    /// Computes the L2 norm of all of <paramref name="parameters"/>' gradients taken as one vector and multiplies every
    /// gradient by <c>min(1, maxNorm / (norm + 1e-6))</c>, as PyTorch's <c>clip_grad_norm_</c> (norm type 2,
    /// <c>error_if_nonfinite=False</c>) does: the gradients change whenever <c>norm + 1e-6 &gt; maxNorm</c>, so also at a
    /// norm equal to <paramref name="maxNorm"/>. Returns the norm before clipping. Parameters without a gradient are skipped;
    /// with none at all the norm is 0.
    /// </summary>
    /// <remarks>
    /// <para>Non-finite gradients behave as in PyTorch 1.13: a NaN gradient makes the norm and the coefficient NaN, and
    /// every gradient of every parameter becomes NaN; an infinite one makes the norm infinite and the coefficient 0, so the
    /// finite gradients become ±0 and the infinite ones NaN.</para>
    /// <para>Deliberate differences from PyTorch: the norm is a float64 sum of the float32 gradients' squares, so it stays
    /// exact where PyTorch's float32 sum overflows (squares summing past 3.4e38: a single gradient of 1.9e19 is enough;
    /// PyTorch's norm is then infinite and it zeroes every gradient, Xent scales them to norm
    /// <paramref name="maxNorm"/>) or underflows (squares below 1.4e-45, gradients under about 4e-23, count as 0 in
    /// PyTorch; with only such gradients its norm is 0). For ordinary gradients the two agree to float32 rounding. And a
    /// <paramref name="maxNorm"/> of 0, below 0 or NaN is refused, where PyTorch zeroes every gradient (0) or flips their
    /// signs (negative).</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not positive (0, negative or NaN).</exception>
    public static double ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "max_norm must be positive.");
        // A list is walked twice as it is (Trainer passes its cached array: no allocation per step); a lazy enumerable
        // (Module.Parameters) is read once into a small list.
        IReadOnlyList<Parameter> list = parameters as IReadOnlyList<Parameter> ?? [.. parameters];
        double sq = 0;
        for (int i = 0; i < list.Count; i++)
            if (list[i].Grad is { } g) sq += SumOfSquares(g.Data);
        double norm = Math.Sqrt(sq);
        double coef = maxNorm / (norm + 1e-6);
        // PyTorch multiplies by clamp(coef, max=1), which keeps a NaN coefficient (a NaN norm): every gradient turns NaN
        // there too, so the test is "not ≥ 1" rather than "< 1".
        if (!(coef >= 1))
        {
            float c = (float)coef;
            for (int i = 0; i < list.Count; i++)
                if (list[i].Grad is { } g) TensorPrimitives.Multiply(g.Data, c, g.Data);
        }
        return norm;
    }

    /// <summary>
    /// Σ x² in float64, in one order on every machine: four lanes, lane j taking x[8m + j]² and then x[8m + 4 + j]² for each
    /// block of eight, the lanes added as (l0 + l1) + (l2 + l3), then the tail in order. A float's square is exact in a double,
    /// so a fused multiply-add and a multiply-then-add give the same bits, and the Vector256 loop and the scalar one agree
    /// (the CNN's gradient is 1.2 M floats per step).
    /// </summary>
    internal static double SumOfSquares(ReadOnlySpan<float> x)
    {
        int i = 0;
        double l0 = 0, l1 = 0, l2 = 0, l3 = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            var acc = Vector256<double>.Zero;
            ref float r = ref MemoryMarshal.GetReference(x);
            for (; i <= x.Length - 8; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref r, (nuint)i));
                acc = Vector256.FusedMultiplyAdd(lo, lo, acc);
                acc = Vector256.FusedMultiplyAdd(hi, hi, acc);
            }
            (l0, l1, l2, l3) = (acc.GetElement(0), acc.GetElement(1), acc.GetElement(2), acc.GetElement(3));
        }
        else
        {
            for (; i <= x.Length - 8; i += 8)
            {
                l0 += (double)x[i] * x[i];
                l1 += (double)x[i + 1] * x[i + 1];
                l2 += (double)x[i + 2] * x[i + 2];
                l3 += (double)x[i + 3] * x[i + 3];
                l0 += (double)x[i + 4] * x[i + 4];
                l1 += (double)x[i + 5] * x[i + 5];
                l2 += (double)x[i + 6] * x[i + 6];
                l3 += (double)x[i + 7] * x[i + 7];
            }
        }
        double s = (l0 + l1) + (l2 + l3);
        for (; i < x.Length; i++) s += (double)x[i] * x[i];
        return s;
    }
}
