using System.Numerics.Tensors;

namespace Xent.Kernels;

internal static unsafe partial class LinearCrossEntropyKernel
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
    /// bounded buffer (12.5 MiB with the row losses, or 1/12 of the logits or 1/8 of W when larger). Once a block's logits are in
    /// the buffer, each row's loss and gradient G replace them (rows split over threads). Then the vocabulary
    /// is walked in chunks of W of about a core's L2 but at least 512 classes (<see cref="LinearCrossEntropyChunking.GradientLayout"/>),
    /// grouped into fixed partitions that the threads take: for each chunk c, dW[c] (+)= G[:, c]ᵀ·H[block],
    /// db[c] += Σ_rows G[:, c], dH[block] += G[:, c]·W[c], and then the next block's logits
    /// H[next]·W[c]ᵀ overwrite G[:, c], which is no longer needed. So W is read from memory once per block
    /// (streamed in sequentially before its first, strided use) and each chunk serves two GEMMs back to back
    /// while it is hot: 3 GEMM passes over N·V·D in all, every GEMM
    /// single-threaded on a cache-sized problem. The products read W, H and G where they are stored
    /// (<see cref="ReadOperandsInPlace"/>; the next block's logits as (W[c]·H[next]ᵀ)ᵀ, against H[next] packed once per
    /// block), so no chunk of W is copied; where they cannot, or where their B operand is too large to read in place over
    /// many row tiles (<see cref="Gemm.BInPlacePays"/>: large blocks at D ≥ 1024), they go through Sgemm, which gives the same
    /// bits.
    /// Every sum has an order fixed by the problem size: dH adds a partition's chunks in order and the partitions'
    /// partials in order, dW and db add blocks in row order, the loss is summed in row order; none depends on
    /// <see cref="KernelParallel.MaxThreads"/>.
    /// Scratch (counted by <paramref name="meter"/>): the block, (partitions − 1) rows × D partial dH,
    /// N floats of row losses and, with a cap, one V-float row per thread; the packed H[next] (rows × D floats per thread)
    /// is packing scratch like Sgemm's own and is not counted.
    /// </remarks>
    /// <exception cref="ArgumentException">Shapes disagree or an option is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is out of bounds.</exception>
    public static CrossEntropyTotals ForwardBackward(ReadOnlySpan<float> hidden, ReadOnlySpan<float> linearWeight,
        ReadOnlySpan<float> linearBias, ReadOnlySpan<long> targets, int dim, ReadOnlySpan<float> classWeight, long ignoreIndex,
        float labelSmoothing, float zLossScale, float softcap, bool mean, Span<float> gradHidden, Span<float> gradWeight,
        Span<float> gradBias, LinearCrossEntropyChunking chunking = default, ScratchMeter? meter = null)
    {
        var (n, v) = CheckArgs(hidden, linearWeight, linearBias, targets, dim, classWeight, ignoreIndex, labelSmoothing, zLossScale,
            softcap);
        KernelArgs.EmptyOrLength(n * dim, gradHidden.Length, nameof(gradHidden));
        KernelArgs.EmptyOrLength(v * dim, gradWeight.Length, nameof(gradWeight));
        KernelArgs.EmptyOrLength(v, gradBias.Length, nameof(gradBias));
        gradBias.Clear();
        if (n == 0)
        {
            gradWeight.Clear();
            return new CrossEntropyTotals(0, 0);
        }
        // The 'mean' denominator is known from the targets alone, so the row scale can go into G at once.
        double wsum = CrossEntropyKernel.TargetWeightSum(targets, classWeight, ignoreIndex);
        // All rows ignored under 'mean': 1/0, but every row of G is cleared (zero gradient, as PyTorch's).
        float rowScale = mean ? (float)(1.0 / wsum) : 1f;
        int nb = chunking.GradientRows(n, v, dim, partialHidden: !gradHidden.IsEmpty);
        var (vb, parts) = chunking.GradientLayout(v, dim);
        int chunks = (v + vb - 1) / vb;
        int slots = Math.Max(1, Math.Min(KernelParallel.MaxThreads, nb));
        bool capped = softcap > 0f;
        int partials = gradHidden.IsEmpty ? 0 : parts - 1;
        long blockBytes = (long)nb * v * sizeof(float), lossBytes = (long)n * sizeof(float);
        long rowBytes = capped ? (long)slots * v * sizeof(float) : 0;
        long partialBytes = (long)partials * nb * dim * sizeof(float);
        Acquire(meter, blockBytes + partialBytes + lossBytes + rowBytes);
        try
        {
            var block = GC.AllocateUninitializedArray<float>(nb * v);
            var partial = GC.AllocateUninitializedArray<float>(partials * nb * dim);
            var rowLoss = new float[n];
            var rows = capped ? GC.AllocateUninitializedArray<float>(slots * v) : [];
            fixed (float* ph = hidden, pw = linearWeight, pb = linearBias, pcw = classWeight, pgh = gradHidden, pgw = gradWeight,
                pgb = gradBias)
            fixed (float* buf = block, tmp = rows, pl = rowLoss, pp = partial)
            fixed (long* pt = targets)
            {
                var p = MakeProblem(ph, pw, linearBias.IsEmpty ? null : pb, classWeight.IsEmpty ? null : pcw, pt, n, dim, v,
                    ignoreIndex, labelSmoothing, zLossScale, softcap, new LinearCrossEntropyChunking(nb, vb, parts), meter);
                p.Chunks = chunks;
                p.Partitions = parts;
                // Partitions run on the threads; a GEMM uses spare threads only when there are more threads than partitions.
                p.InnerParallel = KernelParallel.MaxThreads > parts;
                float* gh = gradHidden.IsEmpty ? null : pgh, gw = gradWeight.IsEmpty ? null : pgw, gb = gradBias.IsEmpty ? null : pgb;
                float* logits = buf, rowTmp = capped ? tmp : null, losses = pl, dhPartial = pp; // lambdas cannot capture fixed locals
                var pr = p; // a struct copy the lambdas can capture

                // The first block's logits; later blocks' logits are made chunk by chunk behind the gradients.
                int firstRows = Math.Min(nb, n);
                KernelParallel.ForChunks(parts, 1, (part, _, _) =>
                {
                    for (int ch = pr.FirstChunk(part); ch < pr.FirstChunk(part + 1); ch++)
                    {
                        int c0 = ch * vb, vc = Math.Min(vb, v - c0);
                        StreamIn(new ReadOnlySpan<float>(pr.W + (long)c0 * dim, vc * dim));
                        Logits(in pr, 0, firstRows, c0, vc, logits + c0, v);
                    }
                });
                for (int r0 = 0; r0 < n; r0 += nb)
                {
                    int nr = Math.Min(nb, n - r0), next = r0 + nr, nextRows = Math.Min(nb, n - next);
                    int blockStart = r0;
                    int perSlot = (nr + slots - 1) / slots;
                    KernelParallel.ForChunks(nr, perSlot, (slot, a, b) =>
                    {
                        for (int rr = a; rr < b; rr++)
                            losses[blockStart + rr] = RowLossAndGradient(in pr, blockStart + rr, logits + (long)rr * v,
                                rowTmp == null ? null : rowTmp + (long)slot * v, rowScale);
                    });
                    KernelParallel.ForChunks(parts, 1, (part, _, _) =>
                    {
                        float* dh = gh == null ? null : part == 0 ? gh + (long)blockStart * dim : dhPartial + (long)(part - 1) * nb * dim;
                        float* nextPacked = nextRows > 0 ? PackRowsForLogits(in pr, next, nextRows) : null;
                        int first = pr.FirstChunk(part);
                        for (int ch = first; ch < pr.FirstChunk(part + 1); ch++)
                        {
                            int c0 = ch * vb, vc = Math.Min(vb, v - c0);
                            // dW and db first, so that the two products that read W[c] (dH, then the next block's
                            // logits) run back to back and the second finds W[c] in cache. The order of the three
                            // products does not change any sum.
                            if (gw != null) AddWeightGradient(in pr, logits + c0, blockStart, nr, c0, vc, gw + (long)c0 * dim);
                            if (gb != null) AddColumnSums(logits + c0, nr, v, vc, gb + c0);
                            // A chunk too large for dH to read in place is packed, and the packing reads it in order anyway.
                            if ((dh != null || nextRows > 0) && Gemm.BInPlacePays(nr, vc, dim))
                                StreamIn(new ReadOnlySpan<float>(pr.W + (long)c0 * dim, vc * dim));
                            if (dh != null) AddHiddenGradient(in pr, logits + c0, nr, c0, vc, ch == first, dh);
                            if (nextRows > 0) NextLogits(in pr, next, nextRows, nextPacked, c0, vc, logits + c0);
                        }
                    });
                    if (gh != null)
                    {
                        // dH[block] = partition 0's product + the other partitions' partials, in partition order.
                        var dst = new Span<float>(gh + (long)r0 * dim, nr * dim);
                        for (int q = 0; q < partials; q++)
                            TensorPrimitives.Add(dst, new ReadOnlySpan<float>(dhPartial + (long)q * nb * dim, nr * dim), dst);
                    }
                }
            }
            // Σ loss in row order, as Forward's merge sums it.
            double lsum = 0;
            foreach (float li in rowLoss) lsum += li;
            return WithZeroWeightMean(new CrossEntropyTotals(lsum, wsum), hidden, linearWeight, linearBias, targets, dim, classWeight,
                ignoreIndex, labelSmoothing, zLossScale, softcap);
        }
        finally
        {
            Release(meter, blockBytes + partialBytes + lossBytes + rowBytes);
        }
    }

    /// <summary>
    /// Whether the products read W, H and G where they are stored (Gemm.InPlace.cs) rather than through Sgemm, which packs both
    /// operands of every product: a 1 MiB chunk of W twice per block. Both give the same bits; tests switch this off to compare.
    /// In place needs the AVX-512 micro-kernels, D a multiple of 32 and products on the partition's own thread (no spare
    /// threads), and each product must be one that Sgemm runs on its packed path (not Gemm.Small.cs). On by default except on
    /// Intel CPUs: on Zen 4 reading in place made the fused path faster (bench/HISTORY.md, 2026-12-06 13:20), on Intel Xeon
    /// (Emerald Rapids) packing did, the in-place products taking 1.20× as long in 6 alternating pairs (2026-12-07).
    /// </summary>
    internal static bool ReadOperandsInPlace = !CpuVendor.IsIntel;

    private static bool InPlace(in Problem p) =>
        ReadOperandsInPlace && !p.InnerParallel && Gemm.CanReadInPlace(p.D, Gemm.BestPath);

    /// <summary>dW[c] = (or += after the first block) G[:, c]ᵀ·H[block] for the block's rows from <paramref name="r0"/>.</summary>
    private static void AddWeightGradient(in Problem p, float* g, int r0, int rows, int c0, int vc, float* dw)
    {
        int d = p.D, v = p.V;
        float beta = r0 == 0 ? 0f : 1f;
        if (InPlace(in p) && Gemm.BInPlacePays(vc, rows, d) && !Gemm.UsesSmallPath(true, false, vc, d, rows))
        {
            Gemm.SgemmAtBInPlace(g, v, vc, d, rows, p.H + (long)r0 * d, d, beta, dw, d);
            return;
        }
        Gemm.Sgemm(true, false, vc, d, rows, 1f, new ReadOnlySpan<float>(g, (rows - 1) * v + vc), v,
            new ReadOnlySpan<float>(p.H + (long)r0 * d, rows * d), d, beta, new Span<float>(dw, vc * d), d, p.InnerParallel,
            Gemm.BestPath);
    }

    /// <summary>dH[block] = (or += after the partition's first chunk) G[:, c]·W[c].</summary>
    private static void AddHiddenGradient(in Problem p, float* g, int rows, int c0, int vc, bool firstChunk, float* dh)
    {
        int d = p.D, v = p.V;
        float beta = firstChunk ? 0f : 1f;
        float* w = p.W + (long)c0 * d;
        if (InPlace(in p) && Gemm.BInPlacePays(rows, vc, d) && !Gemm.UsesSmallPath(false, false, rows, d, vc))
        {
            var gRows = new Gemm.MatrixRows(g, v, Gemm.BestPath);
            Gemm.SgemmBInPlace(ref gRows, rows, d, vc, w, d, beta, dh, d);
            return;
        }
        Gemm.Sgemm(false, false, rows, d, vc, 1f, new ReadOnlySpan<float>(g, (rows - 1) * v + vc), v,
            new ReadOnlySpan<float>(w, vc * d), d, beta, new Span<float>(dh, rows * d), d, p.InnerParallel, Gemm.BestPath);
    }

    /// <summary>
    /// The next block's rows as the packed right operand of <see cref="NextLogits"/> (Hᵀ, in the thread's held packing buffer,
    /// which the partition's products leave alone), or null when its logits go through Sgemm.
    /// </summary>
    private static float* PackRowsForLogits(in Problem p, int r0, int rows)
    {
        if (!InPlace(in p)) return null;
        return Gemm.PackAllBHeld(true, rows, p.D, new ReadOnlySpan<float>(p.H + (long)r0 * p.D, rows * p.D), p.D, Gemm.BestPath);
    }

    /// <summary>
    /// The next block's logits for chunk c into the block buffer (rows of stride V): with the rows packed, Cᵀ = W[c]·Hᵀ with
    /// W[c] read in place and the tile stored transposed; otherwise <see cref="Logits(in Problem, int, int, int, int, float*, int)"/>.
    /// </summary>
    private static void NextLogits(in Problem p, int r0, int rows, float* packedRows, int c0, int vc, float* y)
    {
        if (packedRows == null || Gemm.UsesSmallPath(false, true, rows, vc, p.D))
        {
            Logits(in p, r0, rows, c0, vc, y, p.V);
            return;
        }
        Gemm.SgemmTransposedOut(p.W + (long)c0 * p.D, p.D, vc, rows, p.D, packedRows, y, p.V);
        LogitsEpilogue(in p, rows, c0, vc, y, p.V);
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
            y.Fill(p.IgnoredRowGradient);
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
            // Σ_c w_c·(y_c − m) − W·l, or with a non-finite weight PyTorch's Σ_c w_c·lp_c term by term (no inf·0)
            double sw = p.ExactSmoothing ? CrossEntropyKernel.WeightedLogSoftmaxSum(y, w, m, l)
                : VectorMath.SumWeightedDiff(y, w, m) - (double)p.WeightTotal * l;
            li = (1f - eps) * li + k * (float)-sw;
        }
        if (p.Z != 0f) li += ZLossKernel.Term(m, l, p.Z);
        if (UsesExactSmoothing(in p, scale))
        {
            var (ea, eb, ec) = ExactSmoothingCoefficients(in p, scale, wt, m + l);
            GradientInPlace(in p, y, 0, t, m, l, ea, eb, ec, tmp);
            return li;
        }
        // G = a·softmax − b·w − c·onehot(t), then the cap's derivative (as RowCoefficients with g = scale).
        float coef = (1f - eps) * wt + k * p.WeightTotal;
        if (p.Z != 0f) coef += 2f * p.Z * (m + l);
        float b = CrossEntropyKernel.SmoothingScale(scale, eps, v);
        GradientInPlace(in p, y, 0, t, m, l, scale * coef, b, scale * ((1f - eps) * wt), tmp);
        return li;
    }

    /// <summary>
    /// Reads <paramref name="x"/> front to back. W[c] comes from memory once per row block, and the GEMM that first
    /// reads it packs it in column strips (rows 2 KiB apart at D = 512), a pattern the hardware prefetchers do not follow:
    /// every line is a full-latency miss. A sequential pass first streams the chunk in at memory bandwidth instead
    /// (dH GEMM on a cold 512-class chunk, single thread: 83 GFLOP/s alone, 89 with this pass counted in).
    /// </summary>
    private static void StreamIn(ReadOnlySpan<float> x) => _ = TensorPrimitives.Sum(x); // the JIT does not drop loops

    /// <summary>db[0..vc) += Σ_rows G[row, 0..vc) (rows of stride <paramref name="ld"/>), rows in order, on this thread.</summary>
    private static void AddColumnSums(float* g, int rows, int ld, int vc, float* db)
    {
        var acc = new Span<float>(db, vc);
        for (int rr = 0; rr < rows; rr++)
            TensorPrimitives.Add(acc, new ReadOnlySpan<float>(g + (long)rr * ld, vc), acc);
    }
}
