using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Losses;

/// <summary>
/// F.SigmoidFocalLoss where torchvision's formula leaves the usual range: targets outside [0, 1] (q = 1 − p_t ≤ 0, where the
/// gradient's focusing term was dropped, up to 92 % off) and infinite logits (NaN where torchvision gives ∞, and ∞ where it
/// gives NaN). Expected values are torchvision 0.14's, in float64, from the Python in each test's comment.
/// </summary>
public class SigmoidFocalEdgeTests
{
    private static readonly float[] Logits = [-3f, -1f, -0.25f, 0.5f, 2f, 4f];

    // import torch
    // from torchvision.ops import sigmoid_focal_loss
    // x = torch.tensor([-3, -1, -0.25, 0.5, 2, 4], dtype=torch.float64)
    // for y in (-0.25, 1.5, 2.0):
    //     for alpha, gamma in ((0.25, 1.0), (-1.0, 2.0), (0.6, 3.0)):
    //         xi = x.clone().requires_grad_()
    //         loss = sigmoid_focal_loss(xi, torch.full_like(x, y), alpha=alpha, gamma=gamma)
    //         loss.sum().backward()
    //         print(y, alpha, gamma, loss.tolist(), xi.grad.tolist())   # printed with 10 significant digits
    // (y = 1.5 with alpha = 0.25 is left out: α_t = 0 there.)
    public static TheoryData<float, float, float, double[], double[]> OutsideTargets() => new()
    {
        { -0.25f, 0.25f, 1f, [0.1097735635, 0.008491971565, 0.1827296714, 0.6574984856, 2.46220955, 5.370138517],
            [-0.08813802069, 0.08598529965, 0.4106589138, 0.8609314016, 1.421893164, 1.434763322] },
        { -0.25f, -1f, 2f, [-0.02243912026, 0.001488881672, 0.08494011236, 0.5137422629, 3.014294946, 7.506046272],
            [0.02651802934, 0.01793785436, 0.2679925206, 0.9375785184, 2.183885758, 2.168025131] },
        { -0.25f, 0.6f, 3f, [0.001404720715, 7.994437909e-05, 0.0120918482, 0.1229339763, 1.130114837, 3.213017449],
            [-0.002192271565, 0.001116843818, 0.04912669631, 0.2877381938, 0.9849319561, 0.9976418258] },
        { 1.5f, -1f, 2f, [8.980920155, 1.678480902, 0.3706920388, 0.01457990258, -0.05974562793, -0.4267351187],
            [-4.022998368, -2.511566549, -0.99859487, -0.1108277243, -0.1382911487, -0.1765064535] },
        { 1.5f, 0.6f, 3f, [8.83366699, 1.130426692, 0.162009881, 0.002603342736, 0.01094037498, 0.1386118051],
            [-4.525055555, -2.153508013, -0.5641689162, -0.02458592262, 0.0341053802, 0.0678849196] },
        { 2f, 0.25f, 1f, [-2.809149023, -0.6900319291, -0.1846660387, 0.0008594905925, -0.3008112566, -0.9417487244],
            [1.111776393, 0.8574754127, 0.4667390857, 0.04110404813, -0.3272369444, -0.2935119532] },
        { 2f, -1f, 2f, [20.87447604, 3.293317419, 0.5071147348, -0.0004559494674, -0.7729540571, -3.563733014],
            [-9.784383186, -5.720497565, -1.827151882, -0.01938140358, -1.219855606, -1.310303774] },
        { 2f, 0.6f, 3f, [31.02318506, 3.143605148, 0.2785193814, -4.837514654e-05, 0.3972311284, 2.697151091],
            [-16.80462794, -7.014460324, -1.303078667, -0.001799160942, 0.8216721613, 1.142749668] },
    };

    [Theory, MemberData(nameof(OutsideTargets))]
    public void TargetsOutsideZeroOne_GiveTorchvisionsLossAndGradient(float y, float alpha, float gamma, double[] loss, double[] grad)
    {
        // Each row has logits on both sides of q = 0 (x ≥ 0.69 for y = 2, x ≥ 1.1 for y = 1.5, x ≤ −1.39 for y = −0.25).
        var x = Tensor.FromArray(Logits).RequiresGrad_();
        var target = Tensor.Full(y, Logits.Length);
        var l = F.SigmoidFocalLoss(x, target, alpha, gamma);
        l.Sum().Backward();
        for (int i = 0; i < Logits.Length; i++)
        {
            Check.Close(loss[i], l.Data[i], 2e-6, 1e-7, $"loss at x = {Logits[i]}");
            Check.Close(grad[i], x.Grad!.Data[i], 2e-6, 1e-7, $"grad at x = {Logits[i]}");
        }
    }

    [Fact]
    public void TargetsOutsideZeroOne_GradientMatchesFiniteDifferences()
    {
        // Independent of torchvision: the gradient is the derivative of Xent's own loss, on both sides of q = 0.
        var y = Tensor.FromArray(new float[,] { { -0.25f, 1.5f, 2f, -1f }, { 2f, 3f, -0.5f, 1.25f } });
        var x = Tensor.FromArray(new float[,] { { -2.5f, 1.7f, 1.2f, -0.8f }, { 2.2f, 0.9f, -1.6f, 2.7f } });
        GradCheck.Check(a => F.SigmoidFocalLoss(a[0], y, 0.25f, 2f), [x.Detach()], eps: 1e-2, rtol: 2e-3, atol: 1e-4);
        GradCheck.Check(a => F.SigmoidFocalLoss(a[0], y, -1f, 3f, Reduction.Sum), [x.Detach()], eps: 1e-2, rtol: 2e-3, atol: 1e-4);
        GradCheck.Check(a => F.SigmoidFocalLoss(a[0], y, 0.4f, 1f, Reduction.Mean), [x.Detach()], eps: 1e-2, rtol: 2e-3, atol: 1e-4);
    }

    // import torch
    // from torchvision.ops import sigmoid_focal_loss
    // inf = float("inf")
    // x = torch.tensor([-inf, -inf, -inf, -inf, inf, inf, inf, inf], dtype=torch.float64)
    // y = torch.tensor([0, 0.25, 1, 2, 0, 0.25, 1, 2], dtype=torch.float64)
    // for alpha, gamma in ((0.25, 0.0), (-1.0, 0.0), (0.25, 2.0), (-1.0, 0.5)):
    //     xi = x.clone().requires_grad_()
    //     loss = sigmoid_focal_loss(xi, y, alpha=alpha, gamma=gamma)
    //     loss.sum().backward()
    //     print(alpha, gamma, loss.tolist(), xi.grad.tolist())
    // (float32 gives the same.)
    private const float Inf = float.PositiveInfinity, NaN = float.NaN;

    public static TheoryData<float, float, float[], float[]> InfiniteLogitCases() => new()
    {
        { 0.25f, 0f, [NaN, NaN, NaN, NaN, Inf, Inf, NaN, Inf], [0f, -0.15625f, -0.25f, 0.5f, 0.75f, 0.46875f, 0f, 0.25f] },
        { -1f, 0f, [NaN, NaN, NaN, NaN, Inf, Inf, NaN, -Inf], [0f, -0.25f, -1f, -2f, 1f, 0.75f, 0f, -1f] },
        { 0.25f, 2f, [NaN, NaN, NaN, NaN, Inf, Inf, NaN, Inf], [NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN] },
        { -1f, 0.5f, [NaN, NaN, NaN, NaN, Inf, Inf, NaN, NaN], [NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN] },
    };

    [Theory, MemberData(nameof(InfiniteLogitCases))]
    public void InfiniteLogits_GiveTorchvisionsValues(float alpha, float gamma, float[] loss, float[] grad)
    {
        var x = Tensor.FromArray([-Inf, -Inf, -Inf, -Inf, Inf, Inf, Inf, Inf]).RequiresGrad_();
        var y = Tensor.FromArray([0f, 0.25f, 1f, 2f, 0f, 0.25f, 1f, 2f]);
        var l = F.SigmoidFocalLoss(x, y, alpha, gamma);
        l.Sum().Backward();
        Check.Close(loss, l.Data, 0, 0, "loss");
        Check.Close(grad, x.Grad!.Data, 0, 0, "grad");
    }

    [Fact]
    public void GammaZeroWithoutAlpha_IsBinaryCrossEntropyWithLogits_AlsoAtInfiniteLogits()
    {
        // The identity the XML doc states; at ±∞ it held for neither (+∞, 0) (NaN against ∞) nor (−∞, 1) (∞ against NaN).
        var x = Tensor.FromArray([-Inf, -Inf, -Inf, Inf, Inf, Inf, -30f, 0.5f, 30f]);
        var y = Tensor.FromArray([0f, 0.5f, 1f, 0f, 0.5f, 1f, 1f, 0.3f, 0f]);
        var a = x.Detach().RequiresGrad_();
        var b = x.Detach().RequiresGrad_();
        var focal = F.SigmoidFocalLoss(a, y, -1f, 0f);
        var bce = F.BinaryCrossEntropyWithLogits(b, y, reduction: Reduction.None);
        focal.Sum().Backward();
        bce.Sum().Backward();
        Check.Close(bce.Data, focal.Data, 1e-6, 0, "loss");
        Check.Close(b.Grad!.Data, a.Grad!.Data, 1e-6, 0, "grad");
    }

    [Fact]
    public void SaturatedCorrectLogits_GammaBelowOne_GiveTheLimitZero()
    {
        // σ(x) is 0 or 1 in float64 here, so q = 0 and dq/dx = σ(x)·σ(−x)·(1 − 2y) = 0: the gradient's focusing term is
        // γ·ce·q^(γ−1)·dq/dx → 0 (ce → 0 as well), where torchvision's autograd computes ∞·0 = NaN. The loss is exactly 0.
        var x = Tensor.FromArray([-1e30f, 1e30f, -800f, 800f]).RequiresGrad_();
        var y = Tensor.FromArray([0f, 1f, 0f, 1f]);
        var l = F.SigmoidFocalLoss(x, y, 0.25f, 0.5f);
        l.Sum().Backward();
        Check.Close(new float[4], l.Data, 0, 0, "loss");
        Check.Close(new float[4], x.Grad!.Data, 0, 0, "grad");
    }
}
