using System.Numerics.Tensors;

namespace Xent.Kernels;

/// <summary>
/// Cross-entropy of a linear layer's output, <c>cross_entropy(softcap(H·Wᵀ + b), t)</c>, computed
/// without ever holding the (N, V) logits: the work is tiled into (RowChunk × VocabChunk) logits
/// tiles, each produced by
/// <see cref="Gemm.Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>
/// into a small buffer and consumed at once.
/// <para><b>Shapes.</b> hidden H (N, D), linearWeight W (V, D), linearBias b (V) or empty, targets t (N)
/// class indices, classWeight w (V) or empty. Logits y = H·Wᵀ + b, optionally soft-capped
/// y ← cap·tanh(y / cap) (<see cref="SoftcapKernel"/>).</para>
/// <para><b>Loss</b> per row, with m = max_c y_c, l = log Σ_c e^(y_c − m), lse = m + l, ε the label
/// smoothing, W = Σ_c w_c, z the z-loss scale; ignored rows (t_i = ignoreIndex, any value) give 0:</para>
/// <code>
/// loss_i = (1 − ε)·w[t_i]·(lse − y_t) + (ε/V)·Σ_c w_c·(lse − y_c) + z·lse²
/// dloss_i/dy_c = (1 − ε)·w[t_i]·(p_c − [c = t_i]) + (ε/V)·(W·p_c − w_c) + 2z·lse·p_c
/// </code>
/// exactly PyTorch's <c>F.cross_entropy(F.linear(H, W, b), t, weight, ignore_index, label_smoothing)</c>
/// plus the z-loss of <see cref="ZLossKernel"/>; 'mean' divides Σ loss_i by Σ w[t_i] over non-ignored rows
/// (returned as <see cref="CrossEntropyTotals.WeightSum"/>). Through the cap, dy/dy_raw = 1 − (y/cap)². With ε &gt; 0 and a
/// class weight or upstream factor that is NaN or ±inf, PyTorch's term-by-term forms replace these
/// (LinearCrossEntropyKernel.ExactSmoothing.cs).
/// <para><b>Forward</b> is an online softmax: the vocabulary is split into <c>Partitions</c> contiguous
/// ranges processed in parallel; within one, each row keeps a running max, a running Σ e^(y − max)
/// (rescaled when the max grows), its target logit and, with smoothing, Σ w_c·(y_c − max), across the
/// V-chunks in order. Partitions are merged per row in partition order.</para>
/// <para><b>Backward</b> recomputes each logits tile, turns it in place into G = g_i·dloss_i/dlogits and
/// accumulates dW[chunk] += Gᵀ·H[rows] (owned by the partition: disjoint writes), db[chunk] += Σ_rows G
/// and dH[rows] += G·W[chunk] into a per-partition (N, D) partial; partials are added in partition
/// order. Every float sum therefore has a fixed order: results depend on the chunking, never on
/// <see cref="KernelParallel.MaxThreads"/>.</para>
/// <para><b>Memory</b> (all counted by an optional <see cref="ScratchMeter"/>): one RowChunk × VocabChunk
/// tile per partition, (Partitions − 1)·N·D floats of partial dH during backward, and O(N·Partitions)
/// row statistics; Sgemm's per-thread packing buffers (≈ 1–2 MiB per thread, reused across calls)
/// come on top. Cost: 1 GEMM of N·V·D forward, 3 backward (the logits are recomputed).</para>
/// <para><b>Training</b> ('mean' or 'sum' with gradients wanted) takes a third route,
/// <see cref="ForwardBackward"/>: loss and all gradients in one pass of 3 GEMMs (LinearCrossEntropyKernel.Gradients.cs).</para>
/// </summary>
internal static unsafe partial class LinearCrossEntropyKernel
{
    /// <summary>Pointers, sizes and options of one call, shared by the partition workers.</summary>
    private struct Problem
    {
        public float* H, W, Bias, ClassWeight;
        public long* Targets;
        public int N, D, V, RowChunk, VocabChunk, Partitions, Chunks;
        public long IgnoreIndex;
        public float Eps, Z, Cap, WeightTotal;
        /// <summary>ε &gt; 0 with a class weight that is not finite: losses and gradients take the exact (slow) forms.</summary>
        public bool ExactSmoothing;
        public bool InnerParallel;
        public ScratchMeter? Meter;

        public readonly bool Weighted => ClassWeight != null;
        public readonly int FirstChunk(int part) => (int)((long)Chunks * part / Partitions);
        public readonly Span<float> WeightSlice(int c0, int count) => Weighted ? new Span<float>(ClassWeight + c0, count) : default;
        /// <summary>
        /// The class weights of [c0, c0 + count) as the gradient's smoothing term reads them: none without smoothing, where
        /// that term is absent (0·w would be NaN for an infinite weight on a class no target names; PyTorch reads only w[t]).
        /// </summary>
        public readonly Span<float> SmoothingWeightSlice(int c0, int count) => Eps > 0f ? WeightSlice(c0, count) : default;

        /// <summary>
        /// The gradient of an ignored row: 0, or NaN when label smoothing meets a non-finite class weight (PyTorch masks the
        /// row's smoothing gradient to 0, then multiplies it by w_c).
        /// </summary>
        public readonly float IgnoredRowGradient => ExactSmoothing ? float.NaN : 0f;
    }

    /// <summary>Running softmax statistics of one vocabulary partition, per row.</summary>
    private sealed class PartitionStats
    {
        public required float[] Max;        // running max of the partition's logits
        public required double[] SumExp;    // Σ e^(y − Max)
        public required float[] Target;     // y_t when t lies in the partition
        public double[]? Smooth;            // Σ w_c·(y_c − Max), with smoothing only
        public double WeightTotal;          // Σ w_c over the partition's columns
        public int C0, C1;                  // column range
    }

    /// <summary>
    /// Forward pass. Writes the per-row loss (0 for ignored rows) and the row max m and log-sum l of
    /// the (capped) logits that <see cref="Backward"/> needs; any of the three spans may be empty.
    /// </summary>
    /// <param name="hidden">H, (N, D) row-major.</param>
    /// <param name="linearWeight">W, (V, D) row-major (PyTorch's nn.Linear layout).</param>
    /// <param name="linearBias">b, (V), or empty.</param>
    /// <param name="targets">t, (N) class indices in [0, V) or <paramref name="ignoreIndex"/>.</param>
    /// <param name="dim">D.</param>
    /// <param name="classWeight">w, (V) class weights, or empty.</param>
    /// <param name="ignoreIndex">Target value whose rows are skipped (may be a valid class).</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="zLossScale">z (0: no z-loss).</param>
    /// <param name="softcap">cap &gt; 0, or 0 for no soft-capping.</param>
    /// <param name="loss">(N) per-row loss, or empty.</param>
    /// <param name="rowMax">(N) m, or empty.</param>
    /// <param name="rowLogSum">(N) l, or empty.</param>
    /// <param name="chunking">Tiling (defaults from the problem size).</param>
    /// <param name="meter">Receives the scratch allocations, or null.</param>
    /// <returns>Σ loss and the 'mean' denominator Σ w[t_i].</returns>
    /// <exception cref="ArgumentException">Shapes disagree or an option is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is out of bounds.</exception>
    public static CrossEntropyTotals Forward(ReadOnlySpan<float> hidden, ReadOnlySpan<float> linearWeight, ReadOnlySpan<float> linearBias,
        ReadOnlySpan<long> targets, int dim, ReadOnlySpan<float> classWeight, long ignoreIndex, float labelSmoothing, float zLossScale,
        float softcap, Span<float> loss, Span<float> rowMax, Span<float> rowLogSum, LinearCrossEntropyChunking chunking = default,
        ScratchMeter? meter = null)
    {
        var (n, v) = CheckArgs(hidden, linearWeight, linearBias, targets, dim, classWeight, ignoreIndex, labelSmoothing, zLossScale,
            softcap);
        KernelArgs.EmptyOrLength(n, loss.Length, nameof(loss));
        KernelArgs.EmptyOrLength(n, rowMax.Length, nameof(rowMax));
        KernelArgs.EmptyOrLength(n, rowLogSum.Length, nameof(rowLogSum));
        if (n == 0) return new CrossEntropyTotals(0, 0);
        fixed (float* ph = hidden, pw = linearWeight, pb = linearBias, pcw = classWeight)
        fixed (long* pt = targets)
        {
            var p = MakeProblem(ph, pw, linearBias.IsEmpty ? null : pb, classWeight.IsEmpty ? null : pcw, pt, n, dim, v,
                ignoreIndex, labelSmoothing, zLossScale, softcap, chunking, meter);
            var stats = new PartitionStats[p.Partitions];
            try
            {
                KernelParallel.ForChunks(p.Partitions, 1, (part, _, _) => stats[part] = ForwardPartition(in p, part));
                // The exact smoothing sums need every row's m and l, even when the caller does not keep them.
                Span<float> m = rowMax.IsEmpty && p.ExactSmoothing ? new float[n] : rowMax;
                Span<float> l = rowLogSum.IsEmpty && p.ExactSmoothing ? new float[n] : rowLogSum;
                var totals = Merge(in p, stats, loss, m, l);
                if (p.ExactSmoothing) totals = totals with { LossSum = ExactSmoothingLosses(in p, m, l, loss) };
                return WithZeroWeightMean(totals, hidden, linearWeight, linearBias, targets, dim, classWeight, ignoreIndex, labelSmoothing,
                    zLossScale, softcap);
            }
            finally
            {
                foreach (var s in stats) if (s is not null) Release(meter, StatsBytes(s));
            }
        }
    }

    /// <summary>
    /// <paramref name="totals"/> with PyTorch's smoothed 'mean' when the target weights sum to 0 and there is no z-loss (<see
    /// cref="CrossEntropyTotals.ZeroWeightSmoothedMean"/>): its two sums come from the float64 scalar forward with ε = 0 and ε = 1,
    /// which only this degenerate case pays for.
    /// </summary>
    private static CrossEntropyTotals WithZeroWeightMean(CrossEntropyTotals totals, ReadOnlySpan<float> hidden,
        ReadOnlySpan<float> linearWeight, ReadOnlySpan<float> linearBias, ReadOnlySpan<long> targets, int dim,
        ReadOnlySpan<float> classWeight, long ignoreIndex, float eps, float z, float softcap)
    {
        if (eps <= 0f || z != 0f || totals.WeightSum != 0) return totals;
        double nll = ForwardScalar(hidden, linearWeight, linearBias, targets, dim, classWeight, ignoreIndex, 0f, 0f, softcap, default,
            default, default).LossSum;
        double smoothOverC = ForwardScalar(hidden, linearWeight, linearBias, targets, dim, classWeight, ignoreIndex, 1f, 0f, softcap,
            default, default, default).LossSum;
        return totals with { MeanOverride = CrossEntropyTotals.ZeroWeightSmoothedMean(nll, smoothOverC, eps) };
    }

    /// <summary>
    /// Backward pass: overwrites <paramref name="gradHidden"/> (N, D), <paramref name="gradWeight"/> (V, D)
    /// and <paramref name="gradBias"/> (V) with g_i·dloss_i/d· summed over rows; an empty span skips
    /// that gradient (and its GEMM). <paramref name="rowGrad"/> holds g_i per row, or one value for all
    /// rows (upstream / denominator for 'mean'). <paramref name="rowMax"/>, <paramref name="rowLogSum"/>
    /// come from <see cref="Forward"/> with the same inputs.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree or an option is out of range.</exception>
    public static void Backward(ReadOnlySpan<float> hidden, ReadOnlySpan<float> linearWeight, ReadOnlySpan<float> linearBias,
        ReadOnlySpan<long> targets, int dim, ReadOnlySpan<float> classWeight, long ignoreIndex, float labelSmoothing, float zLossScale,
        float softcap, ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum, ReadOnlySpan<float> rowGrad, Span<float> gradHidden,
        Span<float> gradWeight, Span<float> gradBias, LinearCrossEntropyChunking chunking = default, ScratchMeter? meter = null)
    {
        var (n, v) = CheckArgs(hidden, linearWeight, linearBias, targets, dim, classWeight, ignoreIndex, labelSmoothing, zLossScale,
            softcap);
        CheckBackward(n, dim, v, rowMax, rowLogSum, rowGrad, gradHidden, gradWeight, gradBias);
        if (gradHidden.IsEmpty && gradWeight.IsEmpty && gradBias.IsEmpty) return;
        if (n == 0)
        {
            gradWeight.Clear();
            gradBias.Clear();
            return;
        }
        fixed (float* ph = hidden, pw = linearWeight, pb = linearBias, pcw = classWeight, pgh = gradHidden, pgw = gradWeight,
            pgb = gradBias)
        fixed (long* pt = targets)
        {
            var p = MakeProblem(ph, pw, linearBias.IsEmpty ? null : pb, classWeight.IsEmpty ? null : pcw, pt, n, dim, v,
                ignoreIndex, labelSmoothing, zLossScale, softcap, chunking, meter);
            // Per-row coefficients of G = a·p − b·w − c·onehot(t) (before the cap's derivative).
            long coefBytes = 3L * n * sizeof(float);
            Acquire(meter, coefBytes);
            var a = new float[n];
            var b = new float[n];
            var c = new float[n];
            RowCoefficients(in p, rowMax, rowLogSum, rowGrad, a, b, c);
            float[] m = rowMax.ToArray(), l = rowLogSum.ToArray();
            Acquire(meter, 2L * n * sizeof(float));
            var partials = new float[p.Partitions][];
            long partialBytes = (long)n * dim * sizeof(float);
            float* gh = gradHidden.IsEmpty ? null : pgh, gw = gradWeight.IsEmpty ? null : pgw, gb = gradBias.IsEmpty ? null : pgb;
            try
            {
                KernelParallel.ForChunks(p.Partitions, 1, (part, _, _) =>
                {
                    float[]? partial = null;
                    if (gh != null && part > 0)
                    {
                        Acquire(p.Meter, partialBytes);
                        partials[part] = partial = GC.AllocateUninitializedArray<float>(n * dim);
                    }
                    fixed (float* pp = partial)
                        BackwardPartition(in p, part, m, l, a, b, c, part == 0 ? gh : pp, gw, gb);
                });
                // Fixed order: dH = ((dH_0 + dH_1) + dH_2) + …
                if (gh != null)
                    for (int part = 1; part < p.Partitions; part++)
                        TensorPrimitives.Add(gradHidden, partials[part], gradHidden);
            }
            finally
            {
                foreach (var arr in partials) if (arr is not null) Release(meter, partialBytes);
                Release(meter, coefBytes + 2L * n * sizeof(float));
            }
        }
    }

    /// <summary>
    /// Reference twin of <see cref="Forward"/>: single-threaded, one row of logits at a time, every
    /// quantity in float64 (rounded to float only on output).
    /// </summary>
    public static CrossEntropyTotals ForwardScalar(ReadOnlySpan<float> hidden, ReadOnlySpan<float> linearWeight,
        ReadOnlySpan<float> linearBias, ReadOnlySpan<long> targets, int dim, ReadOnlySpan<float> classWeight, long ignoreIndex,
        float labelSmoothing, float zLossScale, float softcap, Span<float> loss, Span<float> rowMax, Span<float> rowLogSum)
    {
        var (n, v) = CheckArgs(hidden, linearWeight, linearBias, targets, dim, classWeight, ignoreIndex, labelSmoothing, zLossScale,
            softcap);
        KernelArgs.EmptyOrLength(n, loss.Length, nameof(loss));
        KernelArgs.EmptyOrLength(n, rowMax.Length, nameof(rowMax));
        KernelArgs.EmptyOrLength(n, rowLogSum.Length, nameof(rowLogSum));
        var y = new double[v];
        double lsum = 0, wsum = 0, eps = labelSmoothing;
        for (int r = 0; r < n; r++)
        {
            var (m, l) = ScalarRowLogits(hidden.Slice(r * dim, dim), linearWeight, linearBias, dim, softcap, y);
            if (!rowMax.IsEmpty) rowMax[r] = (float)m;
            if (!rowLogSum.IsEmpty) rowLogSum[r] = (float)l;
            long t = targets[r];
            double li = 0, wt = 0;
            if (t != ignoreIndex)
            {
                double lse = m + l;
                wt = classWeight.IsEmpty ? 1 : classWeight[(int)t];
                li = (1 - eps) * wt * (lse - y[t]);
                if (eps > 0)
                {
                    double smooth = 0;
                    for (int c = 0; c < v; c++) smooth += (classWeight.IsEmpty ? 1 : classWeight[c]) * (lse - y[c]);
                    li += eps / v * smooth;
                }
                li += zLossScale * lse * lse;
            }
            if (!loss.IsEmpty) loss[r] = (float)li;
            lsum += li;
            wsum += wt;
        }
        return new CrossEntropyTotals(lsum, wsum);
    }

    /// <summary>
    /// Reference twin of <see cref="Backward"/>: single-threaded, float64 throughout; recomputes the row
    /// statistics itself (so it takes no rowMax / rowLogSum) and accumulates dW in a float64 (V, D) array.
    /// </summary>
    public static void BackwardScalar(ReadOnlySpan<float> hidden, ReadOnlySpan<float> linearWeight, ReadOnlySpan<float> linearBias,
        ReadOnlySpan<long> targets, int dim, ReadOnlySpan<float> classWeight, long ignoreIndex, float labelSmoothing, float zLossScale,
        float softcap, ReadOnlySpan<float> rowGrad, Span<float> gradHidden, Span<float> gradWeight, Span<float> gradBias)
    {
        var (n, v) = CheckArgs(hidden, linearWeight, linearBias, targets, dim, classWeight, ignoreIndex, labelSmoothing, zLossScale,
            softcap);
        KernelArgs.OneOrLength(n, rowGrad.Length, nameof(rowGrad));
        var y = new double[v];
        var dw = new double[(long)v * dim];
        var db = new double[v];
        var dh = new double[dim];
        double eps = labelSmoothing, wTotal = classWeight.IsEmpty ? v : SumDouble(classWeight);
        // With smoothing and a non-finite weight or factor, PyTorch's form (CrossEntropyKernel.ExactSmoothingCoefficients): the
        // gradient's row sum term by term, and NaN rows where ignored rows meet a non-finite weight.
        bool nonFiniteWeight = eps > 0 && !double.IsFinite(wTotal);
        for (int r = 0; r < n; r++)
        {
            var h = hidden.Slice(r * dim, dim);
            Array.Clear(dh);
            long t = targets[r];
            if (t == ignoreIndex && nonFiniteWeight)
            {
                Array.Fill(dh, double.NaN);
                for (int c = 0; c < v; c++)
                {
                    db[c] = double.NaN;
                    for (int k = 0; k < dim; k++) dw[(long)c * dim + k] = double.NaN;
                }
            }
            else if (t != ignoreIndex)
            {
                var (m, l) = ScalarRowLogits(h, linearWeight, linearBias, dim, softcap, y);
                double lse = m + l, g = rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r];
                double wt = classWeight.IsEmpty ? 1 : classWeight[(int)t];
                double gs = g * eps / v, gn = g * (1 - eps), rowSum = -gn * wt; // Σ_c G_c, PyTorch's way
                bool exact = eps > 0 && (nonFiniteWeight || !double.IsFinite(g));
                if (exact) for (int c = 0; c < v; c++) rowSum += -gs * (classWeight.IsEmpty ? 1 : classWeight[c]);
                for (int c = 0; c < v; c++)
                {
                    double p = Math.Exp(y[c] - lse), wc = classWeight.IsEmpty ? 1 : classWeight[c];
                    double gc = exact ? -gs * wc - (c == t ? gn * wt : 0) - p * rowSum + 2 * zLossScale * lse * p * g
                        : (1 - eps) * wt * (p - (c == t ? 1 : 0)) + eps / v * (wTotal * p - wc) + 2 * zLossScale * lse * p;
                    if (softcap != 0f) gc *= 1 - (y[c] / softcap) * (y[c] / softcap);
                    if (!exact) gc *= g;
                    db[c] += gc;
                    for (int k = 0; k < dim; k++)
                    {
                        dh[k] += gc * linearWeight[c * dim + k];
                        dw[(long)c * dim + k] += gc * h[k];
                    }
                }
            }
            if (!gradHidden.IsEmpty) for (int k = 0; k < dim; k++) gradHidden[r * dim + k] = (float)dh[k];
        }
        if (!gradWeight.IsEmpty) for (int i = 0; i < dw.Length; i++) gradWeight[i] = (float)dw[i];
        if (!gradBias.IsEmpty) for (int c = 0; c < v; c++) gradBias[c] = (float)db[c];
    }

    /// <summary>y = softcap(h·Wᵀ + b) in float64; returns (max, log Σ e^(y − max)).</summary>
    private static (double Max, double LogSum) ScalarRowLogits(ReadOnlySpan<float> h, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        int dim, float cap, double[] y)
    {
        double m = double.NegativeInfinity;
        for (int c = 0; c < y.Length; c++)
        {
            double s = bias.IsEmpty ? 0 : bias[c];
            for (int k = 0; k < dim; k++) s += (double)h[k] * w[c * dim + k];
            if (cap != 0f) s = cap * Math.Tanh(s / cap);
            y[c] = s;
            m = Math.Max(m, s);
        }
        double sum = 0;
        foreach (double s in y) sum += Math.Exp(s - m);
        return (m, Math.Log(sum));
    }

    // ---- forward ------------------------------------------------------------------------------

    private static PartitionStats ForwardPartition(in Problem p, int part)
    {
        int n = p.N, d = p.D, nb = p.RowChunk, j0 = p.FirstChunk(part), j1 = p.FirstChunk(part + 1);
        bool smooth = p.Eps > 0f;
        var st = new PartitionStats
        {
            Max = new float[n], SumExp = new double[n], Target = new float[n], Smooth = smooth ? new double[n] : null,
            C0 = j0 * p.VocabChunk, C1 = Math.Min(p.V, j1 * p.VocabChunk),
        };
        Acquire(p.Meter, StatsBytes(st));
        Array.Fill(st.Max, float.NegativeInfinity);
        long tileBytes = (long)nb * p.VocabChunk * sizeof(float);
        Acquire(p.Meter, tileBytes);
        var tile = GC.AllocateUninitializedArray<float>(nb * p.VocabChunk);
        try
        {
            fixed (float* buf = tile)
            {
                double wSeen = 0;
                for (int j = j0; j < j1; j++)
                {
                    int c0 = j * p.VocabChunk, vc = Math.Min(p.VocabChunk, p.V - c0);
                    var w = p.WeightSlice(c0, vc);
                    for (int r0 = 0; r0 < n; r0 += nb)
                    {
                        int nr = Math.Min(nb, n - r0);
                        Logits(in p, r0, nr, c0, vc, buf);
                        for (int rr = 0; rr < nr; rr++)
                        {
                            int r = r0 + rr;
                            var x = new Span<float>(buf + (long)rr * vc, vc);
                            long t = p.Targets[r];
                            if (t >= c0 && t < c0 + vc) st.Target[r] = x[(int)(t - c0)];
                            float mc = VectorMath.Max(x), mOld = st.Max[r];
                            if (mc > mOld)
                            {
                                // Rescale what was summed against the old max (e^(old − new) ≤ 1).
                                if (st.SumExp[r] != 0) st.SumExp[r] *= Math.Exp((double)mOld - mc);
                                if (smooth && wSeen != 0) st.Smooth![r] += wSeen * ((double)mOld - mc);
                                st.Max[r] = mc;
                            }
                            float mr = st.Max[r];
                            bool allNegInf = float.IsNegativeInfinity(mr);
                            // With every logit so far −inf, Σ w·y is −inf (or NaN) as in PyTorch; shift 0 keeps that.
                            if (smooth) st.Smooth![r] += VectorMath.SumWeightedDiff(x, w, allNegInf ? 0f : mr);
                            if (!allNegInf) st.SumExp[r] += VectorMath.ExpStoreSum(x, mr, x);
                        }
                    }
                    wSeen += p.Weighted ? SumDouble(w) : vc;
                }
                st.WeightTotal = wSeen;
            }
        }
        finally
        {
            Release(p.Meter, tileBytes);
        }
        return st;
    }

    /// <summary>Combines the partitions' statistics row by row (in partition order) into m, l and the loss.</summary>
    private static CrossEntropyTotals Merge(in Problem p, PartitionStats[] stats, Span<float> loss, Span<float> rowMax,
        Span<float> rowLogSum)
    {
        double lsum = 0, wsum = 0;
        float eps = p.Eps;
        for (int r = 0; r < p.N; r++)
        {
            float m = float.NegativeInfinity;
            foreach (var s in stats) m = MathF.Max(m, s.Max[r]);
            double sum = 0;
            foreach (var s in stats)
                if (s.SumExp[r] != 0) sum += s.SumExp[r] * Math.Exp((double)s.Max[r] - m);
            // All −inf (or NaN): log-softmax is NaN, as PyTorch's.
            float l = sum > 0 ? (float)Math.Log(sum) : float.NaN;
            if (double.IsNaN(sum)) l = float.NaN;
            if (!rowMax.IsEmpty) rowMax[r] = m;
            if (!rowLogSum.IsEmpty) rowLogSum[r] = l;
            long t = p.Targets[r];
            float li = 0f, wt = 0f;
            if (t != p.IgnoreIndex)
            {
                wt = p.Weighted ? p.ClassWeight[t] : 1f;
                float yt = float.NaN;
                foreach (var s in stats) if (t >= s.C0 && t < s.C1) yt = s.Target[r];
                // −lp_t = −((y_t − m) − l): exact when the target is the max, even for large m.
                li = wt * -(yt - m - l);
                if (eps > 0f)
                {
                    double sw = 0; // Σ_c w_c·(y_c − m)
                    foreach (var s in stats)
                        sw += s.WeightTotal != 0 ? s.Smooth![r] + s.WeightTotal * ((double)s.Max[r] - m) : s.Smooth![r];
                    float smoothLoss = (float)-(sw - (double)p.WeightTotal * l);
                    li = (1f - eps) * li + eps / p.V * smoothLoss;
                }
                if (p.Z != 0f) li += ZLossKernel.Term(m, l, p.Z);
            }
            if (!loss.IsEmpty) loss[r] = li;
            lsum += li;
            wsum += wt;
        }
        return new CrossEntropyTotals(lsum, wsum);
    }

    // ---- backward -----------------------------------------------------------------------------

    private static void RowCoefficients(in Problem p, ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum,
        ReadOnlySpan<float> rowGrad, float[] a, float[] b, float[] c)
    {
        float eps = p.Eps, k = eps / p.V;
        for (int r = 0; r < p.N; r++)
        {
            long t = p.Targets[r];
            if (t == p.IgnoreIndex) continue; // rows are cleared (or NaN) in the tile loop
            float g = rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r];
            float wt = p.Weighted ? p.ClassWeight[t] : 1f;
            if (UsesExactSmoothing(in p, g))
            {
                (a[r], b[r], c[r]) = ExactSmoothingCoefficients(in p, g, wt, rowMax[r] + rowLogSum[r]);
                continue;
            }
            float coef = (1f - eps) * wt + k * p.WeightTotal;
            if (p.Z != 0f) coef += 2f * p.Z * (rowMax[r] + rowLogSum[r]);
            a[r] = g * coef;
            b[r] = CrossEntropyKernel.SmoothingScale(g, eps, p.V);
            c[r] = g * ((1f - eps) * wt);
        }
    }

    /// <summary>
    /// G = a·softmax − b·w − c·onehot(t) over classes [c0, c0 + x.Length) of a row whose (capped) logits x holds, then the
    /// cap's derivative, in place: the softmax from the row's max <paramref name="m"/> and log-sum-exp <paramref name="l"/>.
    /// With a cap, G before the cap goes to <paramref name="tmp"/> (x.Length floats), as x (the capped logits) gives the
    /// cap's derivative. Element by element, so a row converted in pieces gets the bits of the whole row at once.
    /// </summary>
    private static void GradientInPlace(in Problem p, Span<float> x, int c0, long t, float m, float l, float a, float b, float c,
        float* tmp)
    {
        var w = p.SmoothingWeightSlice(c0, x.Length);
        bool hit = t >= c0 && t < c0 + x.Length;
        if (tmp != null)
        {
            var g = new Span<float>(tmp, x.Length);
            VectorMath.ExpAffine(x, m, l, a, b, w, g);
            if (hit) g[(int)(t - c0)] -= c;
            SoftcapKernel.BackwardUnchecked(x, g, p.Cap, x);
        }
        else
        {
            VectorMath.ExpAffine(x, m, l, a, b, w, x);
            if (hit) x[(int)(t - c0)] -= c;
        }
    }

    private static void BackwardPartition(in Problem p, int part, float[] m, float[] l, float[] a, float[] b, float[] c,
        float* dh, float* dw, float* db)
    {
        int n = p.N, d = p.D, nb = p.RowChunk, j0 = p.FirstChunk(part), j1 = p.FirstChunk(part + 1);
        bool capped = p.Cap > 0f;
        long tileBytes = ((long)nb * p.VocabChunk + (capped ? p.VocabChunk : 0)) * sizeof(float);
        Acquire(p.Meter, tileBytes);
        var tile = GC.AllocateUninitializedArray<float>(nb * p.VocabChunk);
        var row = capped ? GC.AllocateUninitializedArray<float>(p.VocabChunk) : [];
        try
        {
            fixed (float* buf = tile, tmp = row)
            {
                for (int j = j0; j < j1; j++)
                {
                    int c0 = j * p.VocabChunk, vc = Math.Min(p.VocabChunk, p.V - c0);
                    var gb = db != null ? new Span<float>(db + c0, vc) : default;
                    gb.Clear();
                    for (int r0 = 0; r0 < n; r0 += nb)
                    {
                        int nr = Math.Min(nb, n - r0);
                        Logits(in p, r0, nr, c0, vc, buf);
                        for (int rr = 0; rr < nr; rr++)
                        {
                            int r = r0 + rr;
                            var x = new Span<float>(buf + (long)rr * vc, vc);
                            long t = p.Targets[r];
                            if (t == p.IgnoreIndex)
                            {
                                x.Fill(p.IgnoredRowGradient);
                                if (!p.ExactSmoothing) continue; // a zero row adds nothing to db; a NaN row does
                            }
                            else GradientInPlace(in p, x, c0, t, m[r], l[r], a[r], b[r], c[r], capped ? tmp : null);
                            if (!gb.IsEmpty) TensorPrimitives.Add(gb, x, gb);
                        }
                        var gTile = new ReadOnlySpan<float>(buf, nr * vc);
                        if (dh != null)
                            Gemm.Sgemm(false, false, nr, d, vc, 1f, gTile, vc, new ReadOnlySpan<float>(p.W + (long)c0 * d, vc * d), d,
                                j == j0 ? 0f : 1f, new Span<float>(dh + (long)r0 * d, nr * d), d, p.InnerParallel, Gemm.BestPath);
                        if (dw != null)
                            Gemm.Sgemm(true, false, vc, d, nr, 1f, gTile, vc, new ReadOnlySpan<float>(p.H + (long)r0 * d, nr * d), d,
                                r0 == 0 ? 0f : 1f, new Span<float>(dw + (long)c0 * d, vc * d), d, p.InnerParallel, Gemm.BestPath);
                    }
                }
            }
        }
        finally
        {
            Release(p.Meter, tileBytes);
        }
    }

    // ---- shared -------------------------------------------------------------------------------

    /// <summary>buf (nr × vc) = softcap(H[r0..r0+nr) · W[c0..c0+vc)ᵀ + b[c0..c0+vc)).</summary>
    private static void Logits(in Problem p, int r0, int nr, int c0, int vc, float* buf) => Logits(in p, r0, nr, c0, vc, buf, vc);

    /// <summary>The same into rows of stride <paramref name="ldy"/>.</summary>
    private static void Logits(in Problem p, int r0, int nr, int c0, int vc, float* buf, int ldy)
    {
        int d = p.D;
        var y = new Span<float>(buf, (nr - 1) * ldy + vc);
        Gemm.Sgemm(false, true, nr, vc, d, 1f, new ReadOnlySpan<float>(p.H + (long)r0 * d, nr * d), d,
            new ReadOnlySpan<float>(p.W + (long)c0 * d, vc * d), d, 0f, y, ldy, p.InnerParallel, Gemm.BestPath);
        LogitsEpilogue(in p, nr, c0, vc, buf, ldy);
    }

    /// <summary>Adds the bias and applies the cap to an (nr, vc) block of products at <paramref name="buf"/>
    /// (row stride <paramref name="ldy"/>).</summary>
    private static void LogitsEpilogue(in Problem p, int nr, int c0, int vc, float* buf, int ldy)
    {
        if (p.Bias == null && p.Cap <= 0f) return;
        var y = new Span<float>(buf, (nr - 1) * ldy + vc);
        var bias = p.Bias == null ? default : new ReadOnlySpan<float>(p.Bias + c0, vc);
        for (int rr = 0; rr < nr; rr++)
        {
            var x = y.Slice(rr * ldy, vc);
            if (p.Bias != null) TensorPrimitives.Add(x, bias, x);
            if (p.Cap > 0f && ldy != vc) SoftcapKernel.ForwardUnchecked(x, p.Cap);
        }
        if (p.Cap > 0f && ldy == vc) SoftcapKernel.ForwardUnchecked(y, p.Cap); // contiguous: one call, as before
    }

    private static Problem MakeProblem(float* h, float* w, float* bias, float* classWeight, long* targets, int n, int d, int v,
        long ignoreIndex, float eps, float z, float cap, LinearCrossEntropyChunking chunking, ScratchMeter? meter)
    {
        var (nb, vb, parts) = chunking.Resolve(n, v);
        // W = Σ w_c serves only the smoothing term; without smoothing it is 0, so no 0·inf turns the gradient into NaN.
        double wTotal = eps > 0f ? v : 0;
        if (classWeight != null && eps > 0f) wTotal = SumDouble(new ReadOnlySpan<float>(classWeight, v));
        return new Problem
        {
            H = h, W = w, Bias = bias, ClassWeight = classWeight, Targets = targets,
            N = n, D = d, V = v, RowChunk = nb, VocabChunk = vb, Partitions = parts, Chunks = (v + vb - 1) / vb,
            IgnoreIndex = ignoreIndex, Eps = eps, Z = z, Cap = cap, WeightTotal = (float)wTotal,
            // A float64 sum of floats overflows no more than one of its terms: non-finite only for an inf or NaN weight.
            ExactSmoothing = eps > 0f && !double.IsFinite(wTotal),
            // Fewer partitions than threads: let each GEMM use the spare threads (same results either way).
            InnerParallel = KernelParallel.MaxThreads > parts,
            Meter = meter,
        };
    }

    private static double SumDouble(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (float v in x) s += v;
        return s;
    }

    private static long StatsBytes(PartitionStats s) =>
        (long)s.Max.Length * sizeof(float) * 2 + (long)s.SumExp.Length * sizeof(double) + (s.Smooth?.Length ?? 0) * (long)sizeof(double);

    private static void Acquire(ScratchMeter? meter, long bytes) => meter?.Acquire(bytes);
    private static void Release(ScratchMeter? meter, long bytes) => meter?.Release(bytes);

    private static (int N, int V) CheckArgs(ReadOnlySpan<float> hidden, ReadOnlySpan<float> linearWeight, ReadOnlySpan<float> linearBias,
        ReadOnlySpan<long> targets, int dim, ReadOnlySpan<float> classWeight, long ignoreIndex, float labelSmoothing, float zLossScale,
        float softcap)
    {
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "The hidden size must be positive.");
        int n = targets.Length;
        if (hidden.Length % dim != 0)
            throw new ArgumentException($"The length of hidden ({hidden.Length}) is not a multiple of the hidden size ({dim}).",
                nameof(hidden));
        if (hidden.Length / dim != n)
            throw new ArgumentException($"Expected input batch_size ({hidden.Length / dim}) to match target batch_size ({n}).",
                nameof(targets));
        if (linearWeight.Length == 0 || linearWeight.Length % dim != 0)
            throw new ArgumentException(
                $"The length of linearWeight ({linearWeight.Length}) is not a positive multiple of the hidden size ({dim}).",
                nameof(linearWeight));
        int v = linearWeight.Length / dim;
        if (!linearBias.IsEmpty && linearBias.Length != v)
            throw new ArgumentException($"Expected a linearBias of {v} elements but got {linearBias.Length}.", nameof(linearBias));
        if (!classWeight.IsEmpty && classWeight.Length != v)
            throw new ArgumentException($"Expected a weight of {v} elements (one per class) but got {classWeight.Length}.",
                nameof(classWeight));
        LossOptions.CheckLabelSmoothing(labelSmoothing);
        LossOptions.CheckZLossScale(zLossScale);
        if (softcap != 0f) SoftcapKernel.ValidateCap(softcap);
        CrossEntropyKernel.ValidateTargets(targets, v, ignoreIndex);
        return (n, v);
    }


    private static void CheckBackward(int n, int d, int v, ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowLogSum,
        ReadOnlySpan<float> rowGrad, Span<float> gradHidden, Span<float> gradWeight, Span<float> gradBias)
    {
        KernelArgs.SameLength(n, rowMax.Length, nameof(rowMax));
        KernelArgs.SameLength(n, rowLogSum.Length, nameof(rowLogSum));
        KernelArgs.OneOrLength(n, rowGrad.Length, nameof(rowGrad));
        if (!gradHidden.IsEmpty) KernelArgs.SameLength(n * d, gradHidden.Length, nameof(gradHidden));
        if (!gradWeight.IsEmpty) KernelArgs.SameLength(v * d, gradWeight.Length, nameof(gradWeight));
        if (!gradBias.IsEmpty) KernelArgs.SameLength(v, gradBias.Length, nameof(gradBias));
    }
}
