namespace Xent.Kernels;

/// <summary>
/// The slow forms for label smoothing with a non-finite class weight or upstream factor, where the closed forms of the
/// other files meet inf·0 and PyTorch's element-by-element computation does not: the same rules as
/// CrossEntropyKernel.ExactSmoothing.cs, so F.LinearCrossEntropy agrees with F.CrossEntropy on the same logits.
/// </summary>
internal static unsafe partial class LinearCrossEntropyKernel
{
    /// <summary>Whether a row with upstream factor <paramref name="g"/> takes <see cref="ExactSmoothingCoefficients"/>.</summary>
    private static bool UsesExactSmoothing(in Problem p, float g) => p.Eps > 0f && (p.ExactSmoothing || !float.IsFinite(g));

    /// <summary>
    /// <see cref="CrossEntropyKernel.ExactSmoothingCoefficients"/> for a row of the vocabulary, plus the z-loss's 2z·lse·g on
    /// the softmax coefficient.
    /// </summary>
    private static (float A, float B, float C) ExactSmoothingCoefficients(in Problem p, float g, float wt, float lse)
    {
        var (a, b, c) = CrossEntropyKernel.ExactSmoothingCoefficients(p.WeightSlice(0, p.V), p.V, p.Eps, g, wt);
        if (p.Z != 0f) a += g * (2f * p.Z * lse);
        return (a, b, c);
    }

    /// <summary>
    /// Forward's per-row losses again for <see cref="Problem.ExactSmoothing"/>, from the merged m and l: the smoothing sum
    /// −Σ_c w_c·lp_c term by term over the recomputed logits tiles (one more GEMM pass, single-threaded; only this degenerate
    /// case pays for it). Writes <paramref name="loss"/> when not empty; returns Σ loss in row order.
    /// </summary>
    private static double ExactSmoothingLosses(in Problem p, ReadOnlySpan<float> m, ReadOnlySpan<float> l, Span<float> loss)
    {
        int n = p.N, nb = p.RowChunk;
        var sum = new double[n];   // Σ_c w_c·lp_c
        var target = new float[n]; // y_t
        long bytes = (long)nb * p.VocabChunk * sizeof(float) + n * (sizeof(double) + sizeof(float));
        Acquire(p.Meter, bytes);
        try
        {
            var tile = GC.AllocateUninitializedArray<float>(nb * p.VocabChunk);
            fixed (float* buf = tile)
            {
                for (int c0 = 0; c0 < p.V; c0 += p.VocabChunk)
                {
                    int vc = Math.Min(p.VocabChunk, p.V - c0);
                    var w = p.WeightSlice(c0, vc);
                    for (int r0 = 0; r0 < n; r0 += nb)
                    {
                        int nr = Math.Min(nb, n - r0);
                        Logits(in p, r0, nr, c0, vc, buf);
                        for (int rr = 0; rr < nr; rr++)
                        {
                            int r = r0 + rr;
                            var x = new ReadOnlySpan<float>(buf + (long)rr * vc, vc);
                            long t = p.Targets[r];
                            if (t >= c0 && t < c0 + vc) target[r] = x[(int)(t - c0)];
                            sum[r] += CrossEntropyKernel.WeightedLogSoftmaxSum(x, w, m[r], l[r]);
                        }
                    }
                }
            }
            double lsum = 0;
            for (int r = 0; r < n; r++)
            {
                long t = p.Targets[r];
                float li = 0f;
                if (t != p.IgnoreIndex)
                {
                    // As Merge, with the smoothing sum term by term.
                    li = (p.Weighted ? p.ClassWeight[t] : 1f) * -(target[r] - m[r] - l[r]);
                    li = (1f - p.Eps) * li + p.Eps / p.V * (float)-sum[r];
                    if (p.Z != 0f) li += ZLossKernel.Term(m[r], l[r], p.Z);
                }
                if (!loss.IsEmpty) loss[r] = li;
                lsum += li;
            }
            return lsum;
        }
        finally
        {
            Release(p.Meter, bytes);
        }
    }
}
