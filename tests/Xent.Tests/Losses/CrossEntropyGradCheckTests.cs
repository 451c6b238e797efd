using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Losses;

/// <summary>
/// Input gradients of every loss and option against central finite differences (float64 objective),
/// on small cases. Mean and Sum with a grad-requiring input take the fused forward+backward path; the
/// finite differences run without grad, through the plain forward path, so the two are checked against each other too.
/// </summary>
public class CrossEntropyGradCheckTests
{
    private static Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed));
    private static Tensor Targets(int seed, long classes, params int[] shape) => Tensor.RandInt(classes, shape, new Generator(seed));
    private static readonly Reduction[] All = [Reduction.None, Reduction.Mean, Reduction.Sum];

    public static TheoryData<string> CrossEntropyOptions =>
        ["plain", "weight", "ignore", "ignore-valid-class", "smoothing", "weight-ignore-smoothing"];

    private static (Tensor? Weight, long Ignore, float Eps) Options(string option, int classes) => option switch
    {
        "weight" => (Tensor.Rand([classes], new Generator(3)) + 0.5f, -100, 0f),
        "ignore" => (null, 1, 0f),
        "ignore-valid-class" => (null, 3, 0f),
        "smoothing" => (null, -100, 0.2f),
        "weight-ignore-smoothing" => (Tensor.Rand([classes], new Generator(4)) + 0.5f, 2, 0.3f),
        _ => (null, -100, 0f),
    };

    [Theory, MemberData(nameof(CrossEntropyOptions))]
    public void CrossEntropy_IndexTargets_2D(string option)
    {
        var (w, ignore, eps) = Options(option, 5);
        var t = Tensor.FromArray([0, 3, 1, 4, 2, 3], 6);
        foreach (var r in All)
            GradCheck.Check(x => F.CrossEntropy(x[0], t, w, ignore, r, eps), [Randn(1, 6, 5)]);
    }

    [Theory, MemberData(nameof(CrossEntropyOptions))]
    public void CrossEntropy_IndexTargets_KDim(string option)
    {
        var (w, ignore, eps) = Options(option, 4);
        var t = Targets(5, 4, 2, 3, 2);
        foreach (var r in All)
            GradCheck.Check(x => F.CrossEntropy(x[0], t, w, ignore, r, eps), [Randn(2, 2, 4, 3, 2)]);
    }

    [Theory, MemberData(nameof(CrossEntropyOptions))]
    public void CrossEntropy_IndexTargets_Unbatched(string option)
    {
        var (w, ignore, eps) = Options(option, 5);
        foreach (var r in All)
            GradCheck.Check(x => F.CrossEntropy(x[0], Tensor.Scalar(4L), w, ignore, r, eps), [Randn(3, 5)]);
    }

    [Theory]
    [InlineData(false, 0f)]
    [InlineData(true, 0.15f)]
    public void CrossEntropy_ProbabilityTargets(bool weighted, float eps)
    {
        var w = weighted ? Tensor.Rand([4], new Generator(8)) + 0.5f : null;
        var q2 = F.Softmax(Randn(9, 3, 4), 1).Detach();
        var qk = F.Softmax(Randn(10, 2, 4, 3), 1).Detach();
        var q1 = F.Softmax(Randn(11, 4), 0).Detach();
        foreach (var r in All)
        {
            GradCheck.Check(x => F.CrossEntropy(x[0], q2, w, reduction: r, labelSmoothing: eps), [Randn(12, 3, 4)]);
            GradCheck.Check(x => F.CrossEntropy(x[0], qk, w, reduction: r, labelSmoothing: eps), [Randn(13, 2, 4, 3)]);
            GradCheck.Check(x => F.CrossEntropy(x[0], q1, w, reduction: r, labelSmoothing: eps), [Randn(14, 4)]);
        }
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("weight")]
    [InlineData("ignore")]
    [InlineData("ignore-valid-class")]
    public void NllLoss_AllShapes(string option)
    {
        var (w, ignore, _) = Options(option, 4);
        var t2 = Targets(20, 4, 5);
        var tk = Targets(21, 4, 2, 3);
        foreach (var r in All)
        {
            GradCheck.Check(x => F.NllLoss(F.LogSoftmax(x[0], 1), t2, w, ignore, r), [Randn(22, 5, 4)]);
            GradCheck.Check(x => F.NllLoss(x[0], tk, w, ignore, r), [Randn(23, 2, 4, 3)]);
            GradCheck.Check(x => F.NllLoss(x[0], Tensor.Scalar(0L), w, ignore, r), [Randn(24, 4)]);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BinaryCrossEntropy(bool weighted)
    {
        // Probabilities kept inside (0.15, 0.85) so that ±eps stays a valid input.
        var p = Tensor.Rand([3, 4], new Generator(30)) * 0.7f + 0.15f;
        var y = Tensor.Rand([3, 4], new Generator(31));
        var w = weighted ? Tensor.Rand([4], new Generator(32)) + 0.5f : null;
        foreach (var r in All)
            GradCheck.Check(x => F.BinaryCrossEntropy(x[0], y, w, r), [p.Clone().Detach()], eps: 1e-3);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void BinaryCrossEntropyWithLogits(bool weighted, bool posWeighted)
    {
        var y = Tensor.Rand([2, 3, 4], new Generator(40));
        var w = weighted ? Tensor.Rand([3, 1], new Generator(41)) + 0.5f : null;
        var pw = posWeighted ? Tensor.Rand([4], new Generator(42)) * 3f + 0.2f : null;
        foreach (var r in All)
            GradCheck.Check(x => F.BinaryCrossEntropyWithLogits(x[0], y, w, r, pw), [Randn(43, 2, 3, 4) * 3f]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void LogSoftmaxAndSoftmax_AnyDim(int dim)
    {
        GradCheck.Check(x => F.LogSoftmax(x[0], dim), [Randn(50, 2, 3, 4)]);
        GradCheck.Check(x => F.Softmax(x[0], dim), [Randn(51, 2, 3, 4)]);
    }
}
