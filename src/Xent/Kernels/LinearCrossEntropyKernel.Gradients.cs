using System.Numerics.Tensors;

namespace Xent.Kernels;

public static unsafe partial class LinearCrossEntropyKernel
{
    /// <summary>
    /// Forward and backward in one pass, for training with a 'sum' or 'mean' reduction: returns the totals
    /// and overwrites <paramref name="gradHidden"/> (N, D), <paramref name="gradWeight"/> (V, D) and
    /// <paramref name="gradBias"/> (V) with the gradient of the reduced loss (Σ loss_i, or Σ loss_i / Σ w[t_i]
    /// when <paramref name="mean"/>); an empty span skips that gradient. An upstream gradient g then only
    /// scales the three arrays.
    /// </summary>
    /// <remarks>
    /// The softmax gradient of a row needs its log-sum-exp over all V classes, so the rows are taken in
    /// blocks of <see cref="LinearCrossEntropyChunking.GradientRows"/> whose whole (rows × V) logits fit a
    /// bounded buffer (≈ 12 MiB, or 1/12 of the logits when that is larger). Per block: logits = H·Wᵀ (+ b,
    /// cap) by one GEMM; each row's loss and gradient G in place (rows split over threads); then
    /// dH[block] = G·W and dW (+)= Gᵀ·H[block] by two more GEMMs, db += Σ_rows G. That is 3 GEMM passes
    /// over N·V·D in all, against 4 for <see cref="Forward"/> + <see cref="Backward"/> (which recomputes the
    /// logits), and no per-partition (N, D) partials. Every sum has an order fixed by the block size (dW and
    /// db add blocks in row order; Sgemm's own order does not depend on threads), so the results never
    /// depend on <see cref="KernelParallel.MaxThreads"/>. Scratch (counted by <paramref name="meter"/>): the
    /// block, N floats of row losses and, with a cap, one V-float row per thread.
    /// </remarks>
    /// <exception cref="ArgumentException">Shapes disagree or an option is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is out of bounds.</exception>
    public static CrossEntropyTotals ForwardBackward(ReadOnlySpan<float> hidden, ReadOnlySpan<float> linearWeight, ReadOnlySpan<float> linearBias,
        ReadOnlySpan<long> targets, int dim, ReadOnlySpan<float> classWeight, long ignoreIndex, float labelSmoothing, float zLossScale, float softcap,
        bool mean, Span<float> gradHidden, Span<float> gradWeight, Span<float> gradBias, LinearCrossEntropyChunking chunking = default, ScratchMeter? meter = null)
    {
        var (n, v) = CheckArgs(hidden, linearWeight, linearBias, targets, dim, classWeight, ignoreIndex, labelSmoothing, zLossScale, softcap);
        CheckOptional(n * dim, gradHidden.Length, nameof(gradHidden));
        CheckOptional(v * dim, gradWeight.Length, nameof(gradWeight));
        CheckOptional(v, gradBias.Length, nameof(gradBias));
        gradBias.Clear();
        if (n == 0)
        {
            gradWeight.Clear();
            return new CrossEntropyTotals(0, 0);
        }
        // The 'mean' denominator is known from the targets alone, so the row scale can go into G at once.
        double wsum = 0;
        for (int r = 0; r < n; r++)
            if (targets[r] != ignoreIndex) wsum += classWeight.IsEmpty ? 1f : classWeight[(int)targets[r]];
        // All rows ignored under 'mean': 1/0, but every row of G is cleared (zero gradient, as PyTorch's).
        float rowScale = mean ? (float)(1.0 / wsum) : 1f;
        int nb = chunking.GradientRows(n, v);
        int slots = Math.Max(1, Math.Min(KernelParallel.MaxThreads, nb));
        bool capped = softcap > 0f;
        long blockBytes = (long)nb * v * sizeof(float), lossBytes = (long)n * sizeof(float);
        long rowBytes = capped ? (long)slots * v * sizeof(float) : 0;
        Acquire(meter, blockBytes + lossBytes + rowBytes);
        try
        {
            var block = GC.AllocateUninitializedArray<float>(nb * v);
            var rowLoss = new float[n];
            var rows = capped ? GC.AllocateUninitializedArray<float>(slots * v) : [];
            fixed (float* ph = hidden, pw = linearWeight, pb = linearBias, pcw = classWeight, pgh = gradHidden, pgw = gradWeight, pgb = gradBias)
            fixed (float* buf = block, tmp = rows, pl = rowLoss)
            fixed (long* pt = targets)
            {
                var p = MakeProblem(ph, pw, linearBias.IsEmpty ? null : pb, classWeight.IsEmpty ? null : pcw, pt, n, dim, v,
                    ignoreIndex, labelSmoothing, zLossScale, softcap, new LinearCrossEntropyChunking(nb, v, 1), meter);
                p.InnerParallel = true; // one block at a time: every GEMM may use all threads
                float* gh = gradHidden.IsEmpty ? null : pgh, gw = gradWeight.IsEmpty ? null : pgw, gb = gradBias.IsEmpty ? null : pgb;
                float* logits = buf, rowTmp = capped ? tmp : null, losses = pl; // lambdas cannot capture fixed locals
                for (int r0 = 0; r0 < n; r0 += nb)
                {
                    int nr = Math.Min(nb, n - r0);
                    Logits(in p, r0, nr, 0, v, buf);
                    var pr = p; // a struct copy the lambda can capture
                    int perSlot = (nr + slots - 1) / slots;
                    KernelParallel.ForChunks(nr, perSlot, (slot, a, b) =>
                    {
                        for (int rr = a; rr < b; rr++)
                            losses[r0 + rr] = RowLossAndGradient(in pr, r0 + rr, logits + (long)rr * v, rowTmp == null ? null : rowTmp + (long)slot * v, rowScale);
                    });
                    var g = new ReadOnlySpan<float>(buf, nr * v);
                    if (gh != null)
                        Gemm.Sgemm(false, false, nr, dim, v, 1f, g, v, linearWeight, dim, 0f, new Span<float>(gh + (long)r0 * dim, nr * dim), dim);
                    if (gw != null)
                        Gemm.Sgemm(true, false, v, dim, nr, 1f, g, v, hidden.Slice(r0 * dim, nr * dim), dim, r0 == 0 ? 0f : 1f, new Span<float>(gw, v * dim), dim);
                    if (gb != null) AddColumnSums(buf, nr, v, gb);
                }
            }
            // Σ loss in row order, as Forward's merge sums it.
            double lsum = 0;
            foreach (float li in rowLoss) lsum += li;
            return new CrossEntropyTotals(lsum, wsum);
        }
        finally
        {
            Release(meter, blockBytes + lossBytes + rowBytes);
        }
    }

    /// <summary>
    /// Loss of row r from its full row of (capped) logits at <paramref name="x"/>, which is then overwritten
    /// with G = scale·dloss_r/dlogits (see the class summary); <paramref name="tmp"/> is a V-float row, with a cap only.
    /// </summary>
    private static float RowLossAndGradient(in Problem p, int r, float* x, float* tmp, float scale)
    {
        int v = p.V;
        var y = new Span<float>(x, v);
        long t = p.Targets[r];
        if (t == p.IgnoreIndex)
        {
            y.Clear();
            return 0f;
        }
        float eps = p.Eps, k = eps / v;
        var w = p.WeightSlice(0, v);
        float m = VectorMath.MaxLogSumExp(y, out float l);
        float wt = p.Weighted ? p.ClassWeight[t] : 1f;
        // −lp_t = −((y_t − m) − l): exact when the target is the max, even for large m.
        float li = wt * -(y[(int)t] - m - l);
        if (eps > 0f)
        {
            double sw = VectorMath.SumWeightedDiff(y, w, m); // Σ_c w_c·(y_c − m)
            float smoothLoss = (float)-(sw - (double)p.WeightTotal * l);
            li = (1f - eps) * li + k * smoothLoss;
        }
        if (p.Z != 0f) li += ZLossKernel.Term(m, l, p.Z);
        // G = a·softmax − b·w − c·onehot(t), then the cap's derivative (as RowCoefficients with g = scale).
        float coef = (1f - eps) * wt + k * p.WeightTotal;
        if (p.Z != 0f) coef += 2f * p.Z * (m + l);
        float a = scale * coef, b = scale * k, c = scale * ((1f - eps) * wt);
        if (tmp != null)
        {
            var g = new Span<float>(tmp, v);
            VectorMath.ExpAffine(y, m, l, a, b, w, g);
            g[(int)t] -= c;
            SoftcapKernel.BackwardUnchecked(y, g, p.Cap, y);
        }
        else
        {
            VectorMath.ExpAffine(y, m, l, a, b, w, y);
            y[(int)t] -= c;
        }
        return li;
    }

    /// <summary>db[c] += Σ_rows G[row, c], rows in order; columns split over threads.</summary>
    private static void AddColumnSums(float* g, int rows, int v, float* db)
    {
        const int Columns = 4096;
        KernelParallel.ForChunks(v, Columns, rows, (_, c0, c1) =>
        {
            var acc = new Span<float>(db + c0, c1 - c0);
            for (int rr = 0; rr < rows; rr++)
                TensorPrimitives.Add(acc, new ReadOnlySpan<float>(g + (long)rr * v + c0, c1 - c0), acc);
        });
    }
}
