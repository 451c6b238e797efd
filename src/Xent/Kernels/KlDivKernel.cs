namespace Xent.Kernels;

/// <summary>
/// Element-wise Kullback–Leibler divergence, PyTorch 1.13's <c>torch.kl_div</c> (aten/src/ATen/native/Loss.cpp) over
/// flat spans: the input x holds log-probabilities, the target t probabilities (or log-probabilities with
/// <c>logTarget</c>).
/// <code>
/// probabilities:      loss = xlogy(t, t) − t·x      (xlogy(0, ·) = 0: zero targets contribute 0)   dloss/dx = −t
/// log-probabilities:  loss = e^t·(t − x)                                                          dloss/dx = −e^t
/// </code>
/// Computed in float32 as PyTorch does, so its quirks come along: a negative target gives NaN (t·log t), and with
/// <c>logTarget</c> a −inf target gives 0·(−inf) = NaN. Sums are float64 per fixed chunk, combined in chunk order.
/// </summary>
internal static unsafe class KlDivKernel
{
    private const int ChunkElements = 16384;

    /// <summary>Writes the element-wise loss (when <paramref name="loss"/> is not empty) and returns Σ loss in float64.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static double Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> target, bool logTarget, Span<float> loss)
    {
        Check(input, target, loss.Length, nameof(loss), allowEmpty: true);
        var parts = new double[KernelParallel.ChunkCount(input.Length, ChunkElements)];
        fixed (float* px = input, pt = target, pl = loss)
        {
            PinnedSpan<float> x = new(px, input.Length), t = new(pt, target.Length), l = new(pl, loss.Length);
            KernelParallel.ForChunks(input.Length, ChunkElements, 4, (chunk, i0, i1) =>
                parts[chunk] = ForwardRange(i0, i1, x, t, logTarget, l));
        }
        return PartialSums.SumInOrder(parts);
    }

    /// <summary>Elements [i0, i1) of the loss (into <paramref name="loss"/> unless it is empty) and their sum.</summary>
    private static double ForwardRange(int i0, int i1, ReadOnlySpan<float> input, ReadOnlySpan<float> target, bool logTarget,
        Span<float> loss)
    {
        double s = 0;
        for (int i = i0; i < i1; i++)
        {
            float v = Loss(input[i], target[i], logTarget);
            if (!loss.IsEmpty) loss[i] = v;
            s += v;
        }
        return s;
    }

    /// <summary>
    /// dloss/dx = −g·t (or −g·e^t with <paramref name="logTarget"/>); <paramref name="gradLoss"/> has one value per element or one for all.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> target, bool logTarget, ReadOnlySpan<float> gradLoss, Span<float> gradInput)
    {
        Check(gradInput, target, gradLoss.Length == 1 ? gradInput.Length : gradLoss.Length, nameof(gradLoss), allowEmpty: false);
        fixed (float* pt = target, pg = gradLoss, pd = gradInput)
        {
            PinnedSpan<float> t = new(pt, target.Length), g = new(pg, gradLoss.Length), d = new(pd, gradInput.Length);
            KernelParallel.ForChunks(gradInput.Length, ChunkElements, 2, (_, i0, i1) => BackwardRange(i0, i1, t, logTarget, g, d));
        }
    }

    /// <summary>Elements [i0, i1) of the input gradient; <paramref name="gradLoss"/> has one value per element or one for all.</summary>
    private static void BackwardRange(int i0, int i1, ReadOnlySpan<float> target, bool logTarget, ReadOnlySpan<float> gradLoss,
        Span<float> gradInput)
    {
        for (int i = i0; i < i1; i++) gradInput[i] = Grad(target[i], logTarget, gradLoss.Length == 1 ? gradLoss[0] : gradLoss[i]);
    }

    /// <summary>xlogy(t, t) − t·x, or e^t·(t − x): PyTorch's two float32 expressions.</summary>
    internal static float Loss(float x, float t, bool logTarget) =>
        logTarget ? MathF.Exp(t) * (t - x) : Xlogy(t, t) - t * x;

    /// <summary>PyTorch's xlogy: 0 where x is 0 (and y is not NaN), x·log y otherwise.</summary>
    private static float Xlogy(float x, float y) => x == 0f && !float.IsNaN(y) ? 0f : x * MathF.Log(y);

    private static float Grad(float t, bool logTarget, float g) => -g * (logTarget ? MathF.Exp(t) : t);

    private static void Check(ReadOnlySpan<float> input, ReadOnlySpan<float> target, int outLength, string outName, bool allowEmpty)
    {
        KernelArgs.SameLength(input.Length, target.Length, nameof(target));
        if (outLength != input.Length && !(allowEmpty && outLength == 0))
            throw new ArgumentException($"Expected {outName} to have {input.Length} elements but it has {outLength}.", outName);
    }
}
