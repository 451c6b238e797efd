using System.Text.Json;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Losses;

/// <summary>
/// Every golden case PyTorch 1.13 wrote (tools/golden/data/ce from gen_ce.py, and ce_functional from
/// gen_ce_functional.py) run through the functional API with the case's options: loss (rtol 1e-5) and
/// input gradient (rtol 1e-4) for each reduction.
/// </summary>
public class CrossEntropyGoldenTests
{
    private const double LossRtol = 1e-5, GradRtol = 1e-4;
    private static readonly string[] Areas = ["ce", "ce_functional"];

    private static readonly Lazy<Dictionary<string, JsonElement>> s_cases = new(() =>
    {
        var all = new Dictionary<string, JsonElement>();
        foreach (var area in Areas)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Golden.PathOf(area, "cases.json")));
            foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
                all.Add(area + "/" + c.GetProperty("name").GetString(), c.Clone());
        }
        return all;
    });

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var key in s_cases.Value.Keys) data.Add(key);
        return data;
    }

    [Fact]
    public void BothGoldenSetsArePresent()
    {
        Assert.True(s_cases.Value.Keys.Count(k => k.StartsWith("ce/", StringComparison.Ordinal)) >= 30);
        Assert.True(s_cases.Value.Keys.Count(k => k.StartsWith("ce_functional/", StringComparison.Ordinal)) >= 10);
    }

    [Theory, MemberData(nameof(Cases))]
    public void MatchesPyTorch(string key)
    {
        var c = s_cases.Value[key];
        string area = key[..key.IndexOf('/')], name = key[(key.IndexOf('/') + 1)..];
        string function = c.GetProperty("function").GetString()!;
        // gen_ce.py saves 0-d arrays as (1,) (np.ascontiguousarray): give every array the shape cases.json records.
        int[] inputShape = Shape(c, "input_shape");
        int[] lossShape = function switch
        {
            "cross_entropy" or "nll_loss" when c.GetProperty("target_kind").GetString() == "index" => Shape(c, "target_shape"),
            "cross_entropy" or "nll_loss" => [.. inputShape[..Math.Min(1, inputShape.Length - 1)],
                .. inputShape[Math.Min(2, inputShape.Length)..]],
            _ => inputShape,
        };
        Tensor Load(string file)
        {
            var t = Golden.Load(area, name + "/" + file);
            int[] shape = file switch
            {
                "input" or "output" or "grad_output" or "grad_input" or "grad_none" or "grad_mean" or "grad_sum" => inputShape,
                "target" => c.TryGetProperty("target_shape", out _) ? Shape(c, "target_shape") : inputShape,
                "loss_none" => lossShape,
                "loss_mean" or "loss_sum" => [],
                _ => t.Shape,
            };
            return t.Reshape(shape);
        }

        if (function is "log_softmax" or "softmax")
        {
            int dim = c.GetProperty("dim").GetInt32();
            var x = Load("input").RequiresGrad_();
            var y = function == "log_softmax" ? F.LogSoftmax(x, dim) : F.Softmax(x, dim);
            Check.Close(Load("output"), y, LossRtol, 1e-6, "output");
            (y * Load("grad_output")).Sum().Backward();
            var expectedGrad = Load("grad_input");
            Check.Close(expectedGrad, x.Grad!, GradRtol, AtolFor(expectedGrad, 1e-6), "grad_input");
            return;
        }

        var target = Load("target");
        var weight = c.GetProperty("has_weight").GetBoolean() ? Load("weight") : null;
        var posWeight = c.GetProperty("has_pos_weight").GetBoolean() ? Load("pos_weight") : null;
        long ignore = c.GetProperty("ignore_index").GetInt64();
        float eps = (float)c.GetProperty("label_smoothing").GetDouble();
        var grads = c.GetProperty("grads").EnumerateArray().Select(e => e.GetString()).ToHashSet();
        foreach (var r in c.GetProperty("reductions").EnumerateArray().Select(e => e.GetString()!))
        {
            var reduction = r switch { "none" => Reduction.None, "sum" => Reduction.Sum, _ => Reduction.Mean };
            var x = Load("input").RequiresGrad_();
            var loss = function switch
            {
                "cross_entropy" => F.CrossEntropy(x, target, weight, ignore, reduction, eps),
                "nll_loss" => F.NllLoss(x, target, weight, ignore, reduction),
                "binary_cross_entropy" => F.BinaryCrossEntropy(x, target, weight, reduction),
                "binary_cross_entropy_with_logits" => F.BinaryCrossEntropyWithLogits(x, target, weight, reduction, posWeight),
                _ => throw new InvalidOperationException($"unknown function {function}"),
            };
            Check.Close(Load("loss_" + r), loss, LossRtol, 1e-6, $"loss_{r}");
            if (!grads.Contains(r)) continue;
            (reduction == Reduction.None ? loss.Sum() : loss).Backward();
            var expectedGrad = Load("grad_" + r);
            int classes = x.Rank == 0 ? 1 : x.Size(x.Rank == 1 ? 0 : 1);
            // With C = 50000 PyTorch's own float32 log-sum-exp is off by ~3e-6 of the largest gradient (see the kernel tests).
            Check.Close(expectedGrad, x.Grad!, GradRtol, AtolFor(expectedGrad, classes > 10000 ? 1e-5 : 1e-6), $"grad_{r}");
        }
    }

    private static int[] Shape(JsonElement c, string property) =>
        c.GetProperty(property).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>An absolute tolerance as a fraction of the largest finite |gradient| (cancellation leaves tiny entries inexact).</summary>
    private static double AtolFor(Tensor expected, double fraction)
    {
        double m = 0;
        foreach (float v in expected.Data) if (float.IsFinite(v)) m = Math.Max(m, Math.Abs(v));
        return Math.Max(fraction * m, 1e-7);
    }
}
