namespace Xent.Kernels;

/// <summary>
/// Element-wise binary cross-entropy, PyTorch 1.13 semantics, over flat spans. Broadcasting is the
/// caller's job: <c>weight</c> is empty or full-length; <c>posWeight</c> is empty or of length C and
/// applies to element i as posWeight[i mod C] (rows of C, broadcast along the last dimension).
/// <code>
/// binary_cross_entropy (p in [0, 1]):
///   loss = −w·(y·max(log p, −100) + (1 − y)·max(log(1 − p), −100))
///   dloss/dp = w·(p − y) / max((1 − p)·p, 1e-12)
/// binary_cross_entropy_with_logits (x any real), lw = 1 + (pw − 1)·y:
///   loss = w·((1 − y)·x + lw·(log1p(e^−|x|) + max(−x, 0)))
///   dloss/dx = w·((pw·y + 1 − y)·σ(x) − pw·y)
/// </code>
/// The log1p form equals PyTorch's log(e^−m + e^(−x−m)) + m, m = max(−x, 0), and is stable for
/// |x| up to float max. It is summed in a more accurate order than PyTorch's, so where the loss is
/// much smaller than |x| the two differ by up to a float32 ulp of |x| (PyTorch's rounding error).
/// Sums over elements are float64 per fixed chunk, combined in chunk order.
/// </summary>
internal static unsafe class BinaryCrossEntropyKernel
{
    private const int ChunkElements = 16384;
    private const float LogClamp = -100f;
    private const float GradEpsilon = 1e-12f;

    /// <summary>Element-wise BCE on probabilities; returns Σ loss (float64).</summary>
    /// <exception cref="ArgumentException">Lengths differ, or an input is outside [0, 1] ("all elements of input should be between 0 and
    /// 1").</exception>
    public static double Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> target, ReadOnlySpan<float> weight, Span<float> loss)
    {
        Check(input, target, weight, default, loss.Length);
        CheckProbabilities(input);
        var parts = new double[KernelParallel.ChunkCount(input.Length, ChunkElements)];
        fixed (float* pp = input, py = target, pw = weight, pl = loss)
        {
            PinnedSpan<float> p = new(pp, input.Length), y = new(py, target.Length), w = new(pw, weight.Length), l = new(pl, loss.Length);
            KernelParallel.ForChunks(input.Length, ChunkElements, (chunk, i0, i1) => parts[chunk] = ForwardRange(i0, i1, p, y, w, l));
        }
        return PartialSums.SumInOrder(parts);
    }

    private static double ForwardRange(int i0, int i1, ReadOnlySpan<float> p, ReadOnlySpan<float> y, ReadOnlySpan<float> w,
        Span<float> loss)
    {
        double s = 0;
        for (int i = i0; i < i1; i++) s += loss[i] = Loss(p[i], y[i], w.IsEmpty ? 1f : w[i]);
        return s;
    }

    /// <summary>
    /// dL/dp = g·w·(p − y) / max((1 − p)·p, 1e-12); <paramref name="gradLoss"/> has one value per element or one for all.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> target, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> gradLoss, Span<float> gradInput)
    {
        Check(input, target, weight, default, gradInput.Length);
        KernelArgs.OneOrLength(input.Length, gradLoss.Length, nameof(gradLoss));
        fixed (float* pp = input, py = target, pw = weight, pg = gradLoss, pd = gradInput)
        {
            PinnedSpan<float> p = new(pp, input.Length), y = new(py, target.Length), w = new(pw, weight.Length);
            PinnedSpan<float> g = new(pg, gradLoss.Length), d = new(pd, gradInput.Length);
            KernelParallel.ForChunks(input.Length, ChunkElements, (_, i0, i1) => BackwardRange(i0, i1, p, y, w, g, d));
        }
    }

    private static void BackwardRange(int i0, int i1, ReadOnlySpan<float> p, ReadOnlySpan<float> y, ReadOnlySpan<float> w,
        ReadOnlySpan<float> g, Span<float> gradInput)
    {
        for (int i = i0; i < i1; i++) gradInput[i] = Grad(p[i], y[i], w.IsEmpty ? 1f : w[i], g.Length == 1 ? g[0] : g[i]);
    }

    /// <summary>Element-wise BCE on logits with optional weight and pos_weight; returns Σ loss (float64).</summary>
    public static double WithLogitsForward(ReadOnlySpan<float> input, ReadOnlySpan<float> target, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> posWeight, Span<float> loss)
    {
        Check(input, target, weight, posWeight, loss.Length);
        var parts = new double[KernelParallel.ChunkCount(input.Length, ChunkElements)];
        fixed (float* px = input, py = target, pw = weight, ppw = posWeight, pl = loss)
        {
            PinnedSpan<float> x = new(px, input.Length), y = new(py, target.Length), w = new(pw, weight.Length);
            PinnedSpan<float> pos = new(ppw, posWeight.Length), l = new(pl, loss.Length);
            KernelParallel.ForChunks(input.Length, ChunkElements, (chunk, i0, i1) =>
                parts[chunk] = WithLogitsForwardRange(i0, i1, x, y, w, pos, l));
        }
        return PartialSums.SumInOrder(parts);
    }

    private static double WithLogitsForwardRange(int i0, int i1, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> w,
        ReadOnlySpan<float> posWeight, Span<float> loss)
    {
        double s = 0;
        for (int i = i0; i < i1; i++)
            s += loss[i] = LogitsLoss(x[i], y[i], w.IsEmpty ? 1f : w[i], posWeight.IsEmpty ? 1f : posWeight[i % posWeight.Length]);
        return s;
    }

    /// <summary>dL/dx = g·w·((pw·y + 1 − y)·σ(x) − pw·y); <paramref name="gradLoss"/> has one value per element or one for all.</summary>
    public static void WithLogitsBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> target, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> posWeight, ReadOnlySpan<float> gradLoss, Span<float> gradInput)
    {
        Check(input, target, weight, posWeight, gradInput.Length);
        KernelArgs.OneOrLength(input.Length, gradLoss.Length, nameof(gradLoss));
        fixed (float* px = input, py = target, pw = weight, ppw = posWeight, pg = gradLoss, pd = gradInput)
        {
            PinnedSpan<float> x = new(px, input.Length), y = new(py, target.Length), w = new(pw, weight.Length);
            PinnedSpan<float> pos = new(ppw, posWeight.Length), g = new(pg, gradLoss.Length), d = new(pd, gradInput.Length);
            KernelParallel.ForChunks(input.Length, ChunkElements, (_, i0, i1) => WithLogitsBackwardRange(i0, i1, x, y, w, pos, g, d));
        }
    }

    private static void WithLogitsBackwardRange(int i0, int i1, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> w,
        ReadOnlySpan<float> posWeight, ReadOnlySpan<float> g, Span<float> gradInput)
    {
        for (int i = i0; i < i1; i++)
            gradInput[i] = LogitsGrad(x[i], y[i], w.IsEmpty ? 1f : w[i], posWeight.IsEmpty ? 1f : posWeight[i % posWeight.Length],
                g.Length == 1 ? g[0] : g[i]);
    }

    private static float Loss(float p, float y, float w)
    {
        // PyTorch's order: (y − 1)·max(log(1 − p), −100) − y·max(log p, −100), then · w. 1 − p is exact
        // in float64, so the logs are correctly rounded even for p near 0 or 1.
        float log1mp = MathF.Max((float)Math.Log(1.0 - p), LogClamp);
        float logp = MathF.Max((float)Math.Log(p), LogClamp);
        return ((y - 1f) * log1mp - y * logp) * w;
    }

    private static float Grad(float p, float y, float w, float g) =>
        g * (p - y) / MathF.Max((1f - p) * p, GradEpsilon) * w;

    private static float LogitsLoss(float x, float y, float w, float pw)
    {
        // ((1 − y)·x + lw·max(−x, 0)) first: those two cancel for negative x, and adding the small
        // log1p term last keeps its digits (PyTorch adds it before the cancellation and loses them).
        float lw = pw == 1f ? 1f : 1f + (pw - 1f) * y;
        return ((1f - y) * x + lw * MathF.Max(-x, 0f) + lw * Log1pExpNegAbs(x)) * w;
    }

    // log1p(e^−|x|) in float64, correctly rounded to float for every float x (series where 1 + e would round).
    private static float Log1pExpNegAbs(float x)
    {
        double e = Math.Exp(-Math.Abs((double)x));
        return (float)(e < 1e-5 ? e * (1.0 - 0.5 * e) : Math.Log(1.0 + e));
    }

    private static float LogitsGrad(float x, float y, float w, float pw, float g)
    {
        float sigmoid = 1f / (1f + MathF.Exp(-x));
        float py = pw * y;
        return ((py + 1f - y) * sigmoid - py) * g * w;
    }

    private static void Check(ReadOnlySpan<float> input, ReadOnlySpan<float> target, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> posWeight, int outLength)
    {
        int n = input.Length;
        KernelArgs.SameLength(n, target.Length, nameof(target));
        if (!weight.IsEmpty) KernelArgs.SameLength(n, weight.Length, nameof(weight));
        if (!posWeight.IsEmpty && n % posWeight.Length != 0)
            throw new ArgumentException($"The input length ({n}) is not a multiple of the pos_weight length ({posWeight.Length}).",
                nameof(posWeight));
        if (outLength != n) throw new ArgumentException($"Expected the output to have {n} elements but it has {outLength}.");
    }

    private static void CheckProbabilities(ReadOnlySpan<float> input)
    {
        foreach (float p in input)
            if (!(p >= 0f && p <= 1f))
                throw new ArgumentException($"all elements of input should be between 0 and 1 (found {p}); apply sigmoid first, or use " +
                    "BinaryCrossEntropyWithLogits on the logits.", nameof(input));
    }
}
