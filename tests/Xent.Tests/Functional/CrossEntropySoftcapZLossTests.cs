using Xent.Tests.Kernels;
using Xent.Tests.Support;
using Xunit;
using R = Xent.Tests.Kernels.LinearCrossEntropyReference;

namespace Xent.Tests.Functional;

/// <summary>
/// F.CrossEntropy's softcap and zLossScale options: the unfused Xent path F.Linear → F.CrossEntropy against the
/// linear cross-entropy goldens (PyTorch's unfused formulas) and against F.LinearCrossEntropy.
/// </summary>
public class CrossEntropySoftcapZLossTests
{
    public static IEnumerable<object[]> GoldenCases() => LinearCeGoldenCase.All();

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void UnfusedXentPathMatchesPyTorchAndTheFusedPath(string name)
    {
        var g = LinearCeGoldenCase.Load(name);
        var target = g.Get("target");
        var classWeight = g.GetOptional("class_weight", g.HasClassWeight);
        foreach (var (reduction, key) in new[] { (Reduction.None, "none"), (Reduction.Mean, "mean"), (Reduction.Sum, "sum") })
        {
            var h = g.Get("hidden").RequiresGrad_();
            var w = g.Get("weight").RequiresGrad_();
            var b = g.GetOptional("bias", g.HasBias)?.RequiresGrad_();
            var logits = F.Linear(h, w, b);
            var loss = F.CrossEntropy(logits, target, classWeight, g.IgnoreIndex, reduction, g.LabelSmoothing, g.ZLoss, g.Softcap);
            var fused = F.LinearCrossEntropy(h.Detach(), w.Detach(), target, b?.Detach(), classWeight, g.IgnoreIndex, reduction,
                g.LabelSmoothing, g.ZLoss, g.Softcap);
            string tag = $"{name} {key}";
            if (reduction == Reduction.None)
            {
                Check.Close(g.Get("loss_none"), loss, 1e-5, 1e-6, tag + " loss");
                Check.Close(fused, loss, 1e-5, 1e-6, tag + " fused vs unfused");
            }
            else
            {
                Check.Close(g.Get("loss_" + key).Item(), loss.Item(), 1e-5, 1e-6, tag + " loss");
                Check.Close(fused.Item(), loss.Item(), 1e-5, 1e-6, tag + " fused vs unfused");
            }
            if (!g.Grads.Contains(key)) continue;
            if (reduction == Reduction.None) (loss * g.Get("grad_output")).Sum().Backward();
            else loss.Backward();
            R.CloseScaled(g.Get("grad_hidden_" + key).Data, h.Grad!.Data, 1e-4, 1e-5, tag + " grad hidden");
            R.CloseScaled(g.Get("grad_weight_" + key).Data, w.Grad!.Data, 1e-4, 1e-5, tag + " grad weight");
            if (b is not null) R.CloseScaled(g.Get("grad_bias_" + key).Data, b.Grad!.Data, 1e-4, 1e-5, tag + " grad bias");
        }
    }

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void CrossEntropyLossModuleCarriesSoftcapAndZLoss(string name)
    {
        var g = LinearCeGoldenCase.Load(name);
        var criterion = new Xent.NN.CrossEntropyLoss(g.GetOptional("class_weight", g.HasClassWeight), g.IgnoreIndex, Reduction.Sum,
            g.LabelSmoothing, g.ZLoss, g.Softcap);
        var logits = F.Linear(g.Get("hidden"), g.Get("weight"), g.GetOptional("bias", g.HasBias));
        Check.Close(g.Get("loss_sum").Item(), criterion.Forward(logits, g.Get("target")).Item(), 1e-5, 1e-5, name);
    }

    [Fact]
    public void ProbabilityTargetsWithSoftcapAndZLoss()
    {
        const int n = 4, c = 7;
        const float cap = 2.5f, z = 0.02f, eps = 0.1f;
        var x = Tensor.Randn([n, c], new Generator(9)) * 3f;
        var q = Tensor.Randn([n, c], new Generator(10)).Exp();
        q = q / q.Sum(1, keepDim: true);
        var loss = F.CrossEntropy(x, q, reduction: Reduction.None, labelSmoothing: eps, zLossScale: z, softcap: cap);
        Assert.Equal([n], loss.Shape);
        for (int i = 0; i < n; i++)
        {
            var y = Enumerable.Range(0, c).Select(k => cap * Math.Tanh(x.Data[i * c + k] / (double)cap)).ToArray();
            double m = y.Max(), lse = m + Math.Log(y.Sum(v => Math.Exp(v - m)));
            double expected = z * lse * lse;
            for (int k = 0; k < c; k++) expected -= (q.Data[i * c + k] * (1 - eps) + eps / c) * (y[k] - lse);
            Check.Close(expected, loss.Data[i], 1e-5, 1e-6, $"row {i}");
        }
        GradCheck.Check(t => F.CrossEntropy(t[0], q, labelSmoothing: eps, zLossScale: z, softcap: cap), [x.Detach().Clone()]);
    }

    [Fact]
    public void RejectsBadOptions()
    {
        var x = Tensor.Randn([3, 4]);
        var t = Tensor.FromArray(new long[] { 0, 1, 2 }, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(x, t, softcap: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(x, t, zLossScale: float.NaN));
    }
}
