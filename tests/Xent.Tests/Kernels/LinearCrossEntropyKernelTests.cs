using Xent.Kernels;
using Xent.Tests.Support;
using Xunit;
using R = Xent.Tests.Kernels.LinearCrossEntropyReference;

namespace Xent.Tests.Kernels;

/// <summary>
/// The fused linear cross-entropy kernel against PyTorch's unfused formulas (goldens), against an
/// independent float64 reference that materialises the logits, and across chunkings and thread counts.
/// </summary>
[Collection(KernelThreadingCollection.Name)]
public class LinearCrossEntropyKernelTests
{
    // Chunkings that do not divide N or V, one-partition and many-partition variants, and the defaults.
    private static readonly LinearCrossEntropyChunking[] Chunkings =
    [
        default,
        new(RowChunk: 7, VocabChunk: 33, Partitions: 2),
        new(RowChunk: 5, VocabChunk: 13, Partitions: 3),
        new(RowChunk: 1000, VocabChunk: 1000, Partitions: 1),
    ];

    public static IEnumerable<object[]> GoldenCases() => LinearCeGoldenCase.All();

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void MatchesPyTorchGoldens(string name)
    {
        var g = LinearCeGoldenCase.Load(name);
        float[] h = g.Get("hidden").ToArray(), w = g.Get("weight").ToArray();
        float[] b = g.GetOptional("bias", g.HasBias)?.ToArray() ?? [],
            cw = g.GetOptional("class_weight", g.HasClassWeight)?.ToArray() ?? [];
        long[] t = g.Get("target").ToInt64Array();
        float[] go = g.Get("grad_output").ToArray();
        float cap = g.Softcap ?? 0f;
        foreach (var chunking in Chunkings)
        {
            string tag = $"{name} {chunking}";
            var loss = new float[g.N];
            var m = new float[g.N];
            var l = new float[g.N];
            var totals = LinearCrossEntropyKernel.Forward(h, w, b, t, g.D, cw, g.IgnoreIndex, g.LabelSmoothing, g.ZLoss, cap, loss, m, l,
                chunking);
            Check.Close(g.Get("loss_none").ToArray(), loss, 1e-5, 1e-6, tag + " loss none");
            Check.Close(g.Get("loss_sum").Item(), totals.LossSum, 1e-5, 1e-5, tag + " loss sum");
            Check.Close(g.Get("loss_mean").Item(), totals.Mean, 1e-5, 1e-6, tag + " loss mean");
            foreach (var r in g.Grads)
            {
                float[] rowGrad = r switch { "none" => go, "sum" => [1f], _ => [(float)(1.0 / totals.WeightSum)] };
                var gh = new float[h.Length];
                var gw = new float[w.Length];
                var gb = new float[b.Length];
                LinearCrossEntropyKernel.Backward(h, w, b, t, g.D, cw, g.IgnoreIndex, g.LabelSmoothing, g.ZLoss, cap, m, l, rowGrad, gh, gw,
                    gb, chunking);
                R.CloseScaled(g.Get("grad_hidden_" + r).ToArray(), gh, 1e-4, 1e-5, $"{tag} grad hidden {r}");
                R.CloseScaled(g.Get("grad_weight_" + r).ToArray(), gw, 1e-4, 1e-5, $"{tag} grad weight {r}");
                if (g.HasBias) R.CloseScaled(g.Get("grad_bias_" + r).ToArray(), gb, 1e-4, 1e-5, $"{tag} grad bias {r}");
            }
        }
    }

    public static IEnumerable<object[]> RandomProblems()
    {
        // seed, n, d, v, bias, classWeight, ignored, eps, z, cap, scale
        yield return [1, 23, 9, 101, false, false, 0, 0f, 0f, 0f, 1f];
        yield return [2, 40, 16, 257, true, true, 6, 0.1f, 1e-2f, 0f, 1f];
        yield return [3, 17, 5, 64, true, false, 3, 0f, 0f, 3f, 3f];
        yield return [4, 31, 12, 199, true, true, 31, 0.2f, 1e-2f, 5f, 2f]; // every row ignored
        yield return [5, 50, 8, 300, true, true, 9, 0.05f, 1e-3f, 10f, 20f];
    }

    [Theory]
    [MemberData(nameof(RandomProblems))]
    public void MatchesFloat64UnfusedReferenceAndScalarTwin(int seed, int n, int d, int v, bool bias, bool classWeight, int ignored,
        float eps, float z, float cap, float scale)
    {
        var p = LinearCeProblem.Random(seed, n, d, v, bias, classWeight, ignored, ignoreIndex: -100, eps: eps, z: z, cap: cap,
            scale: scale);
        var rnd = new Random(seed + 100);
        var rowGrad = Enumerable.Range(0, n).Select(_ => rnd.NextDouble() * 2 - 1).ToArray();
        var expected = R.Compute(p, rowGrad);
        var rowGradF = R.ToFloat(rowGrad);
        foreach (var chunking in Chunkings)
        {
            var (loss, m, l, gh, gw, gb) = Run(p, rowGradF, chunking);
            R.CloseScaled(R.ToFloat(expected.Loss), loss, 1e-5, 1e-6, $"loss {chunking}");
            R.CloseScaled(R.ToFloat(expected.GradHidden), gh, 1e-4, 1e-5, $"grad hidden {chunking}");
            R.CloseScaled(R.ToFloat(expected.GradWeight), gw, 1e-4, 1e-5, $"grad weight {chunking}");
            if (bias) R.CloseScaled(R.ToFloat(expected.GradBias), gb, 1e-4, 1e-5, $"grad bias {chunking}");
        }
        // The scalar twin is the same float64 computation, written row by row.
        var sl = new float[n];
        var totals = LinearCrossEntropyKernel.ForwardScalar(p.Hidden, p.Weight, p.Bias, p.Targets, d, p.ClassWeight, p.IgnoreIndex, eps, z,
            cap, sl, default, default);
        Check.Close(R.ToFloat(expected.Loss), sl, 1e-6, 1e-7, "scalar twin loss");
        Check.Close(expected.Denominator, totals.WeightSum, 1e-12, 0, "denominator");
        var sgh = new float[n * d];
        var sgw = new float[v * d];
        var sgb = new float[p.Bias.Length];
        LinearCrossEntropyKernel.BackwardScalar(p.Hidden, p.Weight, p.Bias, p.Targets, d, p.ClassWeight, p.IgnoreIndex, eps, z, cap,
            rowGradF, sgh, sgw, sgb);
        R.CloseScaled(R.ToFloat(expected.GradHidden), sgh, 1e-6, 1e-7, "scalar twin grad hidden");
        R.CloseScaled(R.ToFloat(expected.GradWeight), sgw, 1e-6, 1e-7, "scalar twin grad weight");
    }

    [Theory]
    [InlineData("smoothing_inf_weight_ignore")]
    [InlineData("smoothing_neg_inf_weight_softcap_ignore_valid_class")]
    [InlineData("smoothing_weights_cancel")]
    public void ScalarTwinMatchesPyTorchWhereSmoothingMeetsANonFiniteWeightOrFactor(string name)
    {
        // The float64 twin takes PyTorch's term-by-term forms there too: NaN for ignored rows with a non-finite weight, and the
        // gradient's row sum Σ_c G_c summed term by term (NaN in every row of a 'mean' over target weights summing to 0).
        var g = LinearCeGoldenCase.Load(name);
        float[] h = g.Get("hidden").ToArray(), w = g.Get("weight").ToArray();
        float[] b = g.GetOptional("bias", g.HasBias)?.ToArray() ?? [], cw = g.Get("class_weight").ToArray();
        long[] t = g.Get("target").ToInt64Array();
        float cap = g.Softcap ?? 0f;
        var loss = new float[g.N];
        var totals = LinearCrossEntropyKernel.ForwardScalar(h, w, b, t, g.D, cw, g.IgnoreIndex, g.LabelSmoothing, g.ZLoss, cap, loss,
            default, default);
        Check.Close(g.Get("loss_none").ToArray(), loss, 1e-5, 1e-6, "loss none");
        foreach (var r in g.Grads)
        {
            float[] rowGrad = r switch { "none" => g.Get("grad_output").ToArray(), "sum" => [1f], _ => [(float)(1.0 / totals.WeightSum)] };
            var (gh, gw, gb) = (new float[h.Length], new float[w.Length], new float[b.Length]);
            LinearCrossEntropyKernel.BackwardScalar(h, w, b, t, g.D, cw, g.IgnoreIndex, g.LabelSmoothing, g.ZLoss, cap, rowGrad, gh, gw,
                gb);
            R.CloseScaled(g.Get("grad_hidden_" + r).ToArray(), gh, 1e-4, 1e-5, $"grad hidden {r}");
            R.CloseScaled(g.Get("grad_weight_" + r).ToArray(), gw, 1e-4, 1e-5, $"grad weight {r}");
            if (g.HasBias) R.CloseScaled(g.Get("grad_bias_" + r).ToArray(), gb, 1e-4, 1e-5, $"grad bias {r}");
        }
    }

    [Theory]
    [MemberData(nameof(RandomProblems))]
    public void ForwardBackwardMatchesFloat64UnfusedReference(int seed, int n, int d, int v, bool bias, bool classWeight, int ignored,
        float eps, float z, float cap, float scale)
    {
        var p = LinearCeProblem.Random(seed, n, d, v, bias, classWeight, ignored, ignoreIndex: -100, eps: eps, z: z, cap: cap,
            scale: scale);
        foreach (bool mean in new[] { false, true })
        {
            // The reference's upstream gradient of the reduced loss: 1 per row for 'sum', 1 / Σ w[t_i] for 'mean'.
            var probe = R.Compute(p, new double[n]);
            double g = mean ? 1.0 / probe.Denominator : 1.0;
            var expected = R.Compute(p, Enumerable.Repeat(g, n).ToArray());
            double lossSum = expected.Loss.Sum();
            foreach (var chunking in Chunkings.Append(new LinearCrossEntropyChunking(RowChunk: 1)))
            {
                string tag = $"{(mean ? "mean" : "sum")} {chunking}";
                var (totals, gh, gw, gb) = RunForwardBackward(p, mean, chunking);
                Check.Close(lossSum, totals.LossSum, 1e-5, 1e-5, tag + " loss sum");
                Check.Close(expected.Denominator, totals.WeightSum, 1e-12, 0, tag + " denominator");
                if (probe.Denominator == 0) { Assert.All(gh, x => Assert.Equal(0f, x)); Assert.All(gw, x => Assert.Equal(0f, x)); continue;
                    }
                R.CloseScaled(R.ToFloat(expected.GradHidden), gh, 1e-4, 1e-5, $"{tag} grad hidden");
                R.CloseScaled(R.ToFloat(expected.GradWeight), gw, 1e-4, 1e-5, $"{tag} grad weight");
                if (bias) R.CloseScaled(R.ToFloat(expected.GradBias), gb, 1e-4, 1e-5, $"{tag} grad bias");
            }
        }
    }

    [Fact]
    public void ForwardBackwardAtALargeHiddenSizeTakesDeepChunksAndMatchesTheReference()
    {
        // At D = 1100 an L2-sized (1 MiB) W chunk would be 238 classes; the default takes at least 512 (448 + 448 + 404 here).
        const int n = 13, d = 1100, v = 1300;
        Assert.Equal((448, 3), default(LinearCrossEntropyChunking).GradientLayout(v, d));
        var p = LinearCeProblem.Random(7, n, d, v, bias: true, classWeight: false, ignored: 2, ignoreIndex: -100, eps: 0.1f, z: 0f,
            cap: 0f, scale: 1f);
        var probe = R.Compute(p, new double[n]);
        var expected = R.Compute(p, Enumerable.Repeat(1.0 / probe.Denominator, n).ToArray());
        var one = KernelTestUtil.WithThreads(1, () => RunForwardBackward(p, true, default));
        Check.Close(expected.Loss.Sum(), one.Totals.LossSum, 1e-5, 1e-5, "loss sum");
        R.CloseScaled(R.ToFloat(expected.GradHidden), one.GradHidden, 1e-4, 1e-5, "grad hidden");
        R.CloseScaled(R.ToFloat(expected.GradWeight), one.GradWeight, 1e-4, 1e-5, "grad weight");
        R.CloseScaled(R.ToFloat(expected.GradBias), one.GradBias, 1e-4, 1e-5, "grad bias");
        var three = KernelTestUtil.WithThreads(3, () => RunForwardBackward(p, true, default));
        Assert.Equal(one.GradHidden, three.GradHidden);
        Assert.Equal(one.GradWeight, three.GradWeight);
        Assert.Equal(one.GradBias, three.GradBias);
    }

    [Fact]
    public void ForwardBackwardAgreesWithForwardThenBackward()
    {
        var p = LinearCeProblem.Random(41, 90, 20, 700, bias: true, classWeight: true, ignored: 7, eps: 0.1f, z: 1e-3f, cap: 15f,
            scale: 2f);
        var m = new float[p.N];
        var l = new float[p.N];
        var totals = LinearCrossEntropyKernel.Forward(p.Hidden, p.Weight, p.Bias, p.Targets, p.D, p.ClassWeight, p.IgnoreIndex, p.Eps, p.Z,
            p.Cap, default, m, l);
        var gh = new float[p.Hidden.Length];
        var gw = new float[p.Weight.Length];
        var gb = new float[p.Bias.Length];
        LinearCrossEntropyKernel.Backward(p.Hidden, p.Weight, p.Bias, p.Targets, p.D, p.ClassWeight, p.IgnoreIndex, p.Eps, p.Z, p.Cap,
            m, l, [(float)(1.0 / totals.WeightSum)], gh, gw, gb);
        var (fb, fgh, fgw, fgb) = RunForwardBackward(p, mean: true, new LinearCrossEntropyChunking(RowChunk: 32));
        Check.Close(totals.Mean, fb.Mean, 1e-6, 0, "mean loss");
        R.CloseScaled(gh, fgh, 1e-5, 1e-6, "grad hidden");
        R.CloseScaled(gw, fgw, 1e-5, 1e-6, "grad weight");
        R.CloseScaled(gb, fgb, 1e-5, 1e-6, "grad bias");
    }

    [Fact]
    public void ForwardBackwardIsIndependentOfTheThreadCountAndSkipsUnwantedGradients()
    {
        var p = LinearCeProblem.Random(12, 70, 24, 530, bias: true, classWeight: true, ignored: 8, eps: 0.1f, z: 1e-3f, cap: 12f,
            scale: 2f);
        // Row blocks, vocabulary chunks and partitions that do not divide N or V (3 and 5 partitions over 2, 3 and 8 threads).
        LinearCrossEntropyChunking[] chunkings = [new(RowChunk: 16), new(RowChunk: 7), new(16, 64, 3), new(7, 33, 5), default];
        foreach (var chunking in chunkings)
        {
            var one = KernelTestUtil.WithThreads(1, () => RunForwardBackward(p, true, chunking));
            foreach (int threads in new[] { 2, 3, 8 })
            {
                var other = KernelTestUtil.WithThreads(threads, () => RunForwardBackward(p, true, chunking));
                Assert.Equal(one.Totals, other.Totals);
                Assert.Equal(one.GradHidden, other.GradHidden);
                Assert.Equal(one.GradWeight, other.GradWeight);
                Assert.Equal(one.GradBias, other.GradBias);
            }
        }
        foreach (var chunking in new LinearCrossEntropyChunking[] { default, new(7, 33, 3) })
        {
            // Without dH there are no partial dH blocks (and a larger row block may fit): dW and the loss must not change.
            var all = RunForwardBackward(p, true, chunking);
            var gw = new float[p.Weight.Length];
            var only = LinearCrossEntropyKernel.ForwardBackward(p.Hidden, p.Weight, p.Bias, p.Targets, p.D, p.ClassWeight,
                p.IgnoreIndex, p.Eps, p.Z, p.Cap, true, default, gw, default, chunking);
            Assert.Equal(all.Totals, only);
            Assert.Equal(all.GradWeight, gw);
        }
    }

    [Fact]
    public void ForwardBackwardScratchIsOneRowBlock()
    {
        const int n = 300, d = 16, v = 5000;
        var p = LinearCeProblem.Random(22, n, d, v, bias: true, classWeight: false, ignored: 10, eps: 0.1f, cap: 10f);
        var meter = new ScratchMeter();
        var gh = new float[n * d];
        var gw = new float[v * d];
        var gb = new float[v];
        LinearCrossEntropyKernel.ForwardBackward(p.Hidden, p.Weight, p.Bias, p.Targets, d, p.ClassWeight, p.IgnoreIndex, p.Eps, 0f, p.Cap,
            true, gh, gw, gb, new LinearCrossEntropyChunking(RowChunk: 24), meter);
        // W chunks of 1 MiB would be 16384 rows at D = 16 (capped at 4096): V = 5000 splits as 2 chunks of 2528 and 2472, so 2 partitions.
        Assert.Equal((2528, 2), default(LinearCrossEntropyChunking).GradientLayout(v, d));
        // One 24-row block of all V logits, one 24 × D partial dH (partition 1's), the row losses,
        // and one V-float row per thread for the cap.
        long expected = 24L * v * 4 + 24L * d * 4 + n * 4L + (long)Math.Min(KernelParallel.MaxThreads, 24) * v * 4;
        Assert.Equal(expected, meter.PeakBytes);
        Assert.Equal(0, meter.CurrentBytes);
        // The issue's size: block, partial dH blocks and row losses under 12.5 MiB.
        var (chunk, parts) = default(LinearCrossEntropyChunking).GradientLayout(32000, 512);
        int issueRows = default(LinearCrossEntropyChunking).GradientRows(1024, 32000, 512);
        Assert.Equal((512, 4), (chunk, parts));
        Assert.InRange(issueRows * 32000L * 4 + (parts - 1) * issueRows * 512L * 4 + 1024 * 4, 8L << 20, 12.5 * (1 << 20));
        // (12.5 MiB − 1024 row losses) / (32000 + 3·512 floats a row) = 97.7 rows, rounded down to a multiple of 8: 96, whole
        // 32-row tiles for the next block's logits (Gemm.SgemmTransposedOut), the blocking bench/HISTORY.md measured.
        Assert.Equal(96, issueRows);
        // The defaults at the issue's size: a block of whole logits rows within ≈ 10 MiB, far below the 125 MiB of logits.
        int rows = default(LinearCrossEntropyChunking).GradientRows(1024, 32000);
        Assert.InRange(rows * 32000L * 4, 8L << 20, 12L << 20);
        Assert.Equal(0, rows % 8);
        Assert.InRange(default(LinearCrossEntropyChunking).GradientRows(4096, 128256) * 128256L * 4, 128L << 20, 200L << 20);
        // D = 2048: 1/8 of W (32000·2048·4 B / 8 = 31.25 MiB) outgrows 12.5 MiB. (31.25 MiB − 1024 row losses) / (32000 + 3·2048
        // floats a row) = 214.7 rows, down to a multiple of 8: 208, which splits 1024 rows into 5 blocks of at most 208.
        Assert.Equal(208, default(LinearCrossEntropyChunking).GradientRows(1024, 32000, 2048));
        // Without dH there are no partial blocks: (31.25 MiB − N row losses) / 32000 floats = 255.9 rows, 248, so N = 1240 runs
        // as 5 blocks of 248, against 6 blocks of at most 208 with dH's partial blocks.
        Assert.Equal(248, default(LinearCrossEntropyChunking).GradientRows(1240, 32000, 2048, partialHidden: false));
        Assert.Equal(208, default(LinearCrossEntropyChunking).GradientRows(1240, 32000, 2048));
    }

    [Fact]
    public void ForwardBackwardScratchFollowsAnExplicitBudget()
    {
        const int n = 300, d = 16, v = 5000;
        var p = LinearCeProblem.Random(23, n, d, v, bias: false, classWeight: false, ignored: 3, eps: 0f, cap: 0f);
        Assert.Equal((2528, 2), default(LinearCrossEntropyChunking).GradientLayout(v, d));
        long rowBytes = v * 4L + 1 * d * 4L; // a row of logits and a row of partition 1's partial dH
        // Room for exactly 40 rows beside the row losses: 300 rows then run as 8 blocks of 40 (the last 20), and the scratch
        // is one such block and the row losses, the whole budget. One byte less leaves room for 39 rows, rounded down to 32.
        long budget = 40 * rowBytes + n * 4L;
        var chunking = new LinearCrossEntropyChunking(GradientScratchBytes: budget);
        Assert.Equal(40, chunking.GradientRows(n, v, d));
        Assert.Equal(32, new LinearCrossEntropyChunking(GradientScratchBytes: budget - 1).GradientRows(n, v, d));
        var meter = new ScratchMeter();
        var (totals, gh, gw, _) = RunForwardBackward(p, true, chunking, meter);
        Assert.Equal(budget, meter.PeakBytes);
        var probe = R.Compute(p, new double[n]);
        var expected = R.Compute(p, Enumerable.Repeat(1.0 / probe.Denominator, n).ToArray());
        Check.Close(expected.Loss.Sum(), totals.LossSum, 1e-5, 1e-5, "loss sum");
        R.CloseScaled(R.ToFloat(expected.GradHidden), gh, 1e-4, 1e-5, "grad hidden");
        R.CloseScaled(R.ToFloat(expected.GradWeight), gw, 1e-4, 1e-5, "grad weight");
        // At least one row, however small the budget; a budget above the whole problem gives the blocks the default gives when
        // every row fits (see DefaultBlocksAreTheOnesBeforeTheBudgetOption).
        Assert.Equal(1, new LinearCrossEntropyChunking(GradientScratchBytes: 1).GradientRows(n, v, d));
        Assert.Equal(152, new LinearCrossEntropyChunking(GradientScratchBytes: 1L << 40).GradientRows(n, v, d));
        // The issue's size with 48 MiB: three blocks, each within the budget.
        long issueRowBytes = 32000 * 4L + 3 * 512 * 4L;
        int rows = new LinearCrossEntropyChunking(GradientScratchBytes: 48L << 20).GradientRows(1024, 32000, 512);
        Assert.InRange(rows * issueRowBytes, 40L << 20, 48L << 20);
        Assert.Equal(3, (1024 + rows - 1) / rows);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearCrossEntropyChunking(GradientScratchBytes: -1).GradientRows(n, v, d));
    }

    [Fact]
    public void DefaultBlocksAreTheOnesBeforeTheBudgetOption()
    {
        // The block length fixes the order of the sums, so the default blocks must stay what they were, or every default
        // result at such a size would change in its last bits. At N=300, V=5000, D=16 all 300 rows fit the 12 MiB budget;
        // the fit rounded down to a multiple of 8 (296) splits them evenly into blocks of at most 152 rows (152 + 148).
        Assert.Equal(152, default(LinearCrossEntropyChunking).GradientRows(300, 5000, 16));
        // N a multiple of 8 was, and is, one block; an explicit budget equal to the default gives the default's blocks.
        Assert.Equal(296, default(LinearCrossEntropyChunking).GradientRows(296, 5000, 16));
        Assert.Equal(152, new LinearCrossEntropyChunking(GradientScratchBytes: LinearCrossEntropyChunking.DefaultGradientBlockBytes)
            .GradientRows(300, 5000, 16));
    }

    [Fact]
    public void ResultsAreIndependentOfTheThreadCount()
    {
        var p = LinearCeProblem.Random(11, 70, 24, 530, bias: true, classWeight: true, ignored: 8, eps: 0.1f, z: 1e-3f, cap: 12f,
            scale: 2f);
        var rowGrad = KernelTestUtil.RandomArray(new Random(12), p.N);
        foreach (var chunking in new LinearCrossEntropyChunking[] { new(16, 64, 3), new(7, 33, 2), default })
        {
            var one = KernelTestUtil.WithThreads(1, () => Run(p, rowGrad, chunking));
            foreach (int threads in new[] { 2, 3, 8 })
            {
                var other = KernelTestUtil.WithThreads(threads, () => Run(p, rowGrad, chunking));
                Assert.Equal(one.Loss, other.Loss);
                Assert.Equal(one.Max, other.Max);
                Assert.Equal(one.LogSum, other.LogSum);
                Assert.Equal(one.GradHidden, other.GradHidden);
                Assert.Equal(one.GradWeight, other.GradWeight);
                Assert.Equal(one.GradBias, other.GradBias);
            }
        }
    }

    [Fact]
    public void ScratchMemoryIsTilesNotLogits()
    {
        const int n = 300, d = 16, v = 5000;
        var p = LinearCeProblem.Random(21, n, d, v, bias: true, classWeight: false, ignored: 10, eps: 0.1f);
        var chunking = new LinearCrossEntropyChunking(RowChunk: 64, VocabChunk: 256, Partitions: 2);
        var meter = new ScratchMeter();
        var m = new float[n];
        var l = new float[n];
        LinearCrossEntropyKernel.Forward(p.Hidden, p.Weight, p.Bias, p.Targets, d, p.ClassWeight, p.IgnoreIndex, p.Eps, 0f, 0f, default, m,
            l, chunking, meter);
        long tile = 64L * 256 * 4;
        // At most one tile per partition (two when both run at once; one when the pool runs them in turn)
        // plus per-row statistics (float max, float target, double sum, double smoothing per partition).
        long forwardBound = 2 * tile + 2L * n * (4 + 4 + 8 + 8);
        Assert.InRange(meter.PeakBytes, tile, forwardBound);
        Assert.Equal(0, meter.CurrentBytes);
        meter.Reset();
        var gh = new float[n * d];
        var gw = new float[v * d];
        var gb = new float[v];
        LinearCrossEntropyKernel.Backward(p.Hidden, p.Weight, p.Bias, p.Targets, d, p.ClassWeight, p.IgnoreIndex, p.Eps, 0f, 0f, m, l,
            [1f / n], gh, gw, gb, chunking, meter);
        long backwardBound = 2 * tile + (long)n * d * 4 + 5L * n * 4;
        Assert.InRange(meter.PeakBytes, tile, backwardBound);
        Assert.True(meter.PeakBytes < (long)n * v * 4 / 10, "far below the logits' size");
        Assert.Equal(0, meter.CurrentBytes);
    }

    [Fact]
    public void ChunkingDefaultsFollowTheProblemSize()
    {
        var (nb, vb, parts) = default(LinearCrossEntropyChunking).Resolve(1024, 32000);
        Assert.Equal(512, nb);
        Assert.InRange((long)nb * vb * 4, 1 << 20, 4 << 20);
        Assert.Equal(2, parts);
        var small = default(LinearCrossEntropyChunking).Resolve(10, 7);
        Assert.Equal((10, 7, 1), small);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearCrossEntropyChunking(RowChunk: -1).Resolve(10, 10));
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var p = LinearCeProblem.Random(31, 4, 3, 6, bias: false, classWeight: false, ignored: 0);
        var t = (long[])p.Targets.Clone();
        t[1] = 6;
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            LinearCrossEntropyKernel.Forward(p.Hidden, p.Weight, [], t, 3, [], -100, 0f, 0f, 0f, default, default, default));
        Assert.Contains("Target 6 is out of bounds.", ex.Message);
        Assert.Throws<ArgumentException>(() =>
            LinearCrossEntropyKernel.Forward(p.Hidden, p.Weight, [], p.Targets[..3], 3, [], -100, 0f, 0f, 0f, default, default, default));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            LinearCrossEntropyKernel.Forward(p.Hidden, p.Weight, [], p.Targets, 3, [], -100, 0f, 0f, -1f, default, default, default));
        Assert.Throws<ArgumentException>(() =>
            LinearCrossEntropyKernel.Forward(p.Hidden, p.Weight, [], p.Targets, 3, [], -100, 1.5f, 0f, 0f, default, default, default));
    }

    internal static (CrossEntropyTotals Totals, float[] GradHidden, float[] GradWeight, float[] GradBias) RunForwardBackward(
        LinearCeProblem p, bool mean, LinearCrossEntropyChunking chunking, ScratchMeter? meter = null)
    {
        var gh = new float[p.Hidden.Length];
        var gw = new float[p.Weight.Length];
        var gb = new float[p.Bias.Length];
        var totals = LinearCrossEntropyKernel.ForwardBackward(p.Hidden, p.Weight, p.Bias, p.Targets, p.D, p.ClassWeight, p.IgnoreIndex,
            p.Eps, p.Z, p.Cap, mean, gh, gw, gb, chunking, meter);
        return (totals, gh, gw, gb);
    }

    private static (float[] Loss, float[] Max, float[] LogSum, float[] GradHidden, float[] GradWeight, float[] GradBias) Run(
        LinearCeProblem p, float[] rowGrad, LinearCrossEntropyChunking chunking)
    {
        var loss = new float[p.N];
        var m = new float[p.N];
        var l = new float[p.N];
        LinearCrossEntropyKernel.Forward(p.Hidden, p.Weight, p.Bias, p.Targets, p.D, p.ClassWeight, p.IgnoreIndex, p.Eps, p.Z, p.Cap, loss,
            m, l, chunking);
        var gh = new float[p.Hidden.Length];
        var gw = new float[p.Weight.Length];
        var gb = new float[p.Bias.Length];
        LinearCrossEntropyKernel.Backward(p.Hidden, p.Weight, p.Bias, p.Targets, p.D, p.ClassWeight, p.IgnoreIndex, p.Eps, p.Z, p.Cap,
            m, l, rowGrad, gh, gw, gb, chunking);
        return (loss, m, l, gh, gw, gb);
    }
}
