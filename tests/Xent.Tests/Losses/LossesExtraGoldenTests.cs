using Xent.Kernels;
using Xent.Tests.Kernels;
using Xent.Tests.Support;
using Xunit;
using G = Xent.Tests.Losses.LossesExtraGolden;

namespace Xent.Tests.Losses;

/// <summary>
/// F.FocalLoss, F.SigmoidFocalLoss, F.KlDiv and F.DistillationLoss (and their kernels' scalar twins) against the goldens of
/// tools/golden/gen_losses_extra.py: PyTorch 1.13's kl_div and torchvision 0.14's sigmoid_focal_loss in float32, and the
/// focal and distillation definitions evaluated by PyTorch in float64.
/// </summary>
public class LossesExtraGoldenTests
{
    public static TheoryData<string> FocalCases => G.Names("focal");
    public static TheoryData<string> SigmoidFocalCases => G.Names("sigmoid_focal");
    public static TheoryData<string> KlCases => G.Names("kl_div");
    public static TheoryData<string> DistillationCases => G.Names("distillation");

    private static Reduction ParseReduction(string r) => r switch { "none" => Reduction.None, "sum" => Reduction.Sum, _ => Reduction.Mean };

    /// <summary>Loss and gradient of one reduction against the golden files; gradient tolerance scaled by the largest |gradient|.</summary>
    private static void CheckAgainstGolden(string name, string r, Tensor loss, Tensor input, double lossRtol, double gradRtol,
        double gradAtolFraction)
    {
        var expectedLoss = G.Load(name, "loss_" + r);
        if (r == "none") Check.Close(expectedLoss.Data, loss.Data, lossRtol, 1e-6, $"{name} loss_{r}");
        else Check.Close(expectedLoss.Item(), loss.Item(), lossRtol, 1e-6, $"{name} loss_{r}");
        Assert.Equal(expectedLoss.Shape, loss.Shape);
        (r == "none" ? loss.Sum() : loss).Backward();
        var expectedGrad = G.Load(name, "grad_" + r).Data;
        Check.Close(expectedGrad, input.Grad!.Data, gradRtol, Check.Scale(expectedGrad, gradAtolFraction) + 1e-12, $"{name} grad_{r}");
    }

    [Theory, MemberData(nameof(FocalCases))]
    public void FocalLoss_MatchesTheFloat64Definition(string name)
    {
        var c = G.Case(name);
        float gamma = G.Float(c, "gamma");
        long ignore = c.GetProperty("ignore_index").GetInt64();
        var weight = c.GetProperty("has_weight").GetBoolean() ? G.Load(name, "weight") : null;
        var target = G.Load(name, "target");
        foreach (string r in G.Reductions(c))
        {
            // With a gradient: the fused path for mean and sum, forward + backward for none.
            var x = G.Load(name, "input").RequiresGrad_();
            CheckAgainstGolden(name, r, F.FocalLoss(x, target, gamma, weight, ignore, ParseReduction(r)), x, 2e-6, 1e-5, 1e-6);
            // Without one: the unfused forward.
            using (Tensor.NoGrad())
            {
                var plain = F.FocalLoss(G.Load(name, "input"), target, gamma, weight, ignore, ParseReduction(r));
                var expected = G.Load(name, "loss_" + r);
                Check.Close(expected.Data, plain.Data, 2e-6, 1e-6, $"{name} no-grad loss_{r}");
            }
            // The module is the function.
            var m = new Xent.NN.FocalLoss(gamma, weight, ignore, ParseReduction(r)).Forward(G.Load(name, "input"), target);
            Check.Close(G.Load(name, "loss_" + r).Data, m.Data, 2e-6, 1e-6, $"{name} module loss_{r}");
        }
    }

    [Theory, MemberData(nameof(FocalCases))]
    public void FocalKernelScalarTwins_MatchTheFloat64Definition(string name)
    {
        var c = G.Case(name);
        float gamma = G.Float(c, "gamma");
        long ignore = c.GetProperty("ignore_index").GetInt64();
        float[] w = c.GetProperty("has_weight").GetBoolean() ? G.Load(name, "weight").Data.ToArray() : [];
        var input = G.Load(name, "input");
        float[] x = Rows(input, out int rows, out int classes);
        long[] t = G.Load(name, "target").ToInt64Array();
        var loss = new float[rows];
        var m = new float[rows];
        var l = new float[rows];
        var totals = FocalLossKernel.ForwardScalar(x, t, classes, gamma, w, ignore, loss, m, l);
        Check.Close(G.Load(name, "loss_none").Data, loss, 2e-6, 1e-6, "scalar loss");
        Check.Close(G.Load(name, "loss_mean").Item(), totals.Mean, 2e-6, 1e-6, "scalar mean");
        var dx = new float[x.Length];
        FocalLossKernel.BackwardScalar(x, t, classes, gamma, w, ignore, m, l, [1f], dx);
        float[] expected = Rows(G.Load(name, "grad_sum"), out _, out _);
        Check.Close(expected, dx, 1e-5, Check.Scale(expected, 1e-6), "scalar grad_sum");
        var fused = new float[x.Length];
        var ft = FocalLossKernel.ForwardBackwardScalar(x, t, classes, gamma, w, ignore, 1f, fused);
        Check.Close(expected, fused, 1e-5, Check.Scale(expected, 1e-6), "scalar fused grad_sum");
        Check.Close(G.Load(name, "loss_sum").Item(), (float)ft.LossSum, 2e-6, 1e-6, "scalar fused sum");
    }

    [Theory, MemberData(nameof(SigmoidFocalCases))]
    public void SigmoidFocalLoss_MatchesTorchvision(string name)
    {
        var c = G.Case(name);
        float alpha = G.Float(c, "alpha"), gamma = G.Float(c, "gamma");
        var target = G.Load(name, "target");
        foreach (string r in G.Reductions(c))
        {
            var x = G.Load(name, "input").RequiresGrad_();
            // torchvision's float32 1 − p_t cancels (Xent's float64 does not): allow a few float32 roundings.
            CheckAgainstGolden(name, r, F.SigmoidFocalLoss(x, target, alpha, gamma, ParseReduction(r)), x, 2e-5, 1e-4, 1e-6);
            var m = new Xent.NN.SigmoidFocalLoss(alpha, gamma, ParseReduction(r)).Forward(G.Load(name, "input"), target);
            Check.Close(G.Load(name, "loss_" + r).Data, m.Data, 2e-5, 1e-6, $"{name} module loss_{r}");
        }
        // The kernel agrees bit for bit with itself run one element at a time (same float64 arithmetic per element).
        var xs = G.Load(name, "input").Data.ToArray();
        var ys = target.Data.ToArray();
        var a = new float[xs.Length];
        var b = new float[xs.Length];
        Assert.Equal(SigmoidFocalLossKernel.Forward(xs, ys, alpha, gamma, a),
            ElementwiseReference.Run(xs, ys, b, (xi, yi, li) => SigmoidFocalLossKernel.Forward(xi, yi, alpha, gamma, li)));
        Assert.Equal(a, b);
    }

    [Theory, MemberData(nameof(KlCases))]
    public void KlDiv_MatchesPyTorch(string name)
    {
        var c = G.Case(name);
        bool logTarget = c.GetProperty("log_target").GetBoolean();
        var target = G.Load(name, "target");
        foreach (string r in G.Reductions(c))
        {
            var reduction = r switch { "none" => KlDivReduction.None, "sum" => KlDivReduction.Sum, "batchmean" => KlDivReduction.BatchMean,
                _ => KlDivReduction.Mean };
            var x = G.Load(name, "input").RequiresGrad_();
            CheckAgainstGolden(name, r, F.KlDiv(x, target, reduction, logTarget), x, 1e-5, 1e-5, 1e-7);
            var m = new Xent.NN.KLDivLoss(reduction, logTarget).Forward(G.Load(name, "input"), target);
            Check.Close(G.Load(name, "loss_" + r).Data, m.Data, 1e-5, 1e-6, $"{name} module loss_{r}");
        }
        var loss = new float[target.NumEl];
        KlDivKernel.Forward(G.Load(name, "input").Data, target.Data, logTarget, loss);
        Check.Close(G.Load(name, "loss_none").Data, loss, 1e-5, 1e-6, "scalar loss");
        var dx = new float[loss.Length];
        KlDivKernel.Backward(target.Data, logTarget, [1f], dx);
        Check.Close(G.Load(name, "grad_sum").Data, dx, 1e-6, 0, "scalar grad_sum");
    }

    [Theory, MemberData(nameof(DistillationCases))]
    public void DistillationLoss_MatchesTheFloat64Definition(string name)
    {
        float temperature = G.Float(G.Case(name), "temperature");
        var teacher = G.Load(name, "target").RequiresGrad_();
        var s = G.Load(name, "input").RequiresGrad_();
        CheckAgainstGolden(name, "batchmean", F.DistillationLoss(s, teacher, temperature), s, 1e-5, 1e-4, 1e-6);
        Assert.Null(teacher.Grad); // the teacher is a constant
        var m = new Xent.NN.DistillationLoss(temperature).Forward(G.Load(name, "input"), teacher);
        Check.Close(G.Load(name, "loss_batchmean").Item(), m.Item(), 1e-5, 1e-6, "module");

        float[] x = G.Load(name, "input").Data.ToArray(), t = teacher.Data.ToArray();
        int classes = s.Shape[1], n = s.Shape[0];
        var dx = new float[x.Length];
        double sum = DistillationKernel.ForwardScalar(x, t, classes, temperature, default, temperature / n, dx);
        Check.Close(G.Load(name, "loss_batchmean").Item(), (float)(temperature * temperature * sum / n), 1e-5, 1e-6, "scalar loss");
        float[] expected = G.Load(name, "grad_batchmean").Data.ToArray();
        Check.Close(expected, dx, 1e-4, Check.Scale(expected, 1e-6), "scalar grad");
    }

    /// <summary>(N, C, d…) → rows (N·d…, C), (C) → one row, as the kernels take them.</summary>
    private static float[] Rows(Tensor t, out int rows, out int classes)
    {
        if (t.Rank == 1) { rows = 1; classes = t.Shape[0]; return t.Data.ToArray(); }
        return t.Rank == 2 ? Identity(t, out rows, out classes) : Permuted(t, out rows, out classes);
    }

    private static float[] Identity(Tensor t, out int rows, out int classes)
    {
        rows = t.Shape[0]; classes = t.Shape[1];
        return t.Data.ToArray();
    }

    private static float[] Permuted(Tensor t, out int rows, out int classes)
    {
        classes = t.Shape[1];
        int[] order = [0, .. Enumerable.Range(2, t.Rank - 2), 1];
        var p = t.Permute(order);
        rows = p.NumEl / classes;
        return p.Data.ToArray();
    }
}
