using Xent.NN;
using Xent.Tests.Kernels;
using Xent.Tests.Support;
using Xunit;
using R = Xent.Tests.Kernels.LinearCrossEntropyReference;

namespace Xent.Tests.Functional;

/// <summary>
/// F.LinearCrossEntropy and LinearCrossEntropyLoss: PyTorch goldens through autograd, finite differences, shapes and errors.
/// </summary>
public class LinearCrossEntropyTests
{
    public static IEnumerable<object[]> GoldenCases() => LinearCeGoldenCase.All();

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void MatchesPyTorchThroughAutograd(string name)
    {
        var g = LinearCeGoldenCase.Load(name);
        var target = g.Get("target");
        var classWeight = g.GetOptional("class_weight", g.HasClassWeight);
        // Besides the defaults: small tiles, blocks of one row (a 1-byte training budget) and a budget that holds every row.
        foreach (var options in new LinearCrossEntropyOptions?[]
            {
                null, new() { RowChunk = 7, VocabChunk = 33 }, new() { TrainingScratchBytes = 1 },
                new() { TrainingScratchBytes = 1L << 30 },
            })
        {
            foreach (var (reduction, key) in new[] { (Reduction.None, "none"), (Reduction.Mean, "mean"), (Reduction.Sum, "sum") })
            {
                var h = g.Get("hidden").RequiresGrad_();
                var w = g.Get("weight").RequiresGrad_();
                var b = g.GetOptional("bias", g.HasBias)?.RequiresGrad_();
                var loss = F.LinearCrossEntropy(h, w, target, b, classWeight, g.IgnoreIndex, reduction, g.LabelSmoothing, g.ZLoss,
                    g.Softcap, options);
                string tag = $"{name} {key} chunks {options?.VocabChunk} scratch {options?.TrainingScratchBytes}";
                // (Golden.Load gives 0-d arrays the shape [1]: compare scalars by value.)
                if (reduction == Reduction.None) Check.Close(g.Get("loss_" + key), loss, 1e-5, 1e-6, tag + " loss");
                else
                {
                    Assert.Empty(loss.Shape);
                    Check.Close(g.Get("loss_" + key).Item(), loss.Item(), 1e-5, 1e-6, tag + " loss");
                }
                if (!g.Grads.Contains(key)) continue;
                if (reduction == Reduction.None) (loss * g.Get("grad_output")).Sum().Backward();
                else loss.Backward();
                R.CloseScaled(g.Get("grad_hidden_" + key).Data, h.Grad!.Data, 1e-4, 1e-5, tag + " grad hidden");
                R.CloseScaled(g.Get("grad_weight_" + key).Data, w.Grad!.Data, 1e-4, 1e-5, tag + " grad weight");
                if (b is not null) R.CloseScaled(g.Get("grad_bias_" + key).Data, b.Grad!.Data, 1e-4, 1e-5, tag + " grad bias");
            }
        }
    }

    [Fact]
    public void IgnoredRowsGiveZeroLossAndGradientWithReductionNone()
    {
        // Liger-Kernel's fused linear cross-entropy once returned garbage here (reduction="none" with ignore_index).
        var g = LinearCeGoldenCase.Load("ignore");
        var h = g.Get("hidden").RequiresGrad_();
        var t = g.Get("target");
        var loss = F.LinearCrossEntropy(h, g.Get("weight"), t, g.Get("bias"), reduction: Reduction.None);
        loss.Sum().Backward();
        var ids = t.ToInt64Array();
        int d = h.Size(1), ignored = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i] != -100) continue;
            ignored++;
            Assert.Equal(0f, loss.Data[i]);
            for (int k = 0; k < d; k++) Assert.Equal(0f, h.Grad!.Data[i * d + k]);
        }
        Assert.True(ignored > 0);
    }

    [Fact]
    public void GradientsMatchFiniteDifferencesWithEveryOption()
    {
        var rnd = new Random(5);
        var t = Tensor.FromArray(new long[] { 2, -1, 0, 5, 3 }, 5);
        var cw = Tensor.FromArray(Enumerable.Range(0, 6).Select(_ => (float)(rnd.NextDouble() + 0.5)).ToArray(), 6);
        Tensor[] inputs = [Tensor.Randn([5, 4], new Generator(1)) * 2f, Tensor.Randn([6, 4], new Generator(2)),
            Tensor.Randn([6], new Generator(3))];
        GradCheck.Check(x => F.LinearCrossEntropy(x[0], x[1], t, x[2], cw, ignoreIndex: -1, reduction: Reduction.None,
            labelSmoothing: 0.2f, zLossScale: 0.05f, softcap: 3f), inputs, eps: 1e-2, rtol: 2e-3, atol: 2e-3);
        foreach (var x in inputs) x.Grad = null;
        GradCheck.Check(x => F.LinearCrossEntropy(x[0], x[1], t, x[2], cw, ignoreIndex: -1, labelSmoothing: 0.1f, zLossScale: 0.01f,
            options: new LinearCrossEntropyOptions { RowChunk = 2, VocabChunk = 4, Partitions = 2 }), inputs, eps: 1e-2, rtol: 2e-3,
            atol: 2e-3);
    }

    [Fact]
    public void MatchesTheUnfusedFloat64PathOnBatchedHidden()
    {
        // (B, T, D) hidden with (B, T) targets is the flattened (N, D) problem.
        var p = LinearCeProblem.Random(8, 2 * 9, 6, 40, bias: true, classWeight: false, ignored: 4, eps: 0.1f, z: 1e-2f, cap: 4f);
        var h = Tensor.FromArray(p.Hidden, 2, 9, 6).RequiresGrad_();
        var w = Tensor.FromArray(p.Weight, 40, 6).RequiresGrad_();
        var b = Tensor.FromArray(p.Bias, 40).RequiresGrad_();
        var t = Tensor.FromArray(p.Targets, 2, 9);
        var loss = F.LinearCrossEntropy(h, w, t, b, reduction: Reduction.None, labelSmoothing: 0.1f, zLossScale: 1e-2f, softcap: 4f);
        Assert.Equal([2, 9], loss.Shape);
        loss.Sum().Backward();
        var expected = R.Compute(p, Enumerable.Repeat(1.0, p.N).ToArray());
        R.CloseScaled(R.ToFloat(expected.Loss), loss.Data, 1e-5, 1e-6, "loss");
        R.CloseScaled(R.ToFloat(expected.GradHidden), h.Grad!.Data, 1e-4, 1e-5, "grad hidden");
        R.CloseScaled(R.ToFloat(expected.GradWeight), w.Grad!.Data, 1e-4, 1e-5, "grad weight");
        R.CloseScaled(R.ToFloat(expected.GradBias), b.Grad!.Data, 1e-4, 1e-5, "grad bias");
        Assert.Equal([2, 9, 6], h.Grad!.Shape);
    }

    [Fact]
    public void BackwardScalesTheGradientsComputedInForwardAndSurvivesARetainedGraph()
    {
        // Training ('mean' with grads) computes the gradients in forward; backward must apply the upstream
        // gradient (here 3 through a Mul), and a retained graph must hand out the same values twice.
        var p = LinearCeProblem.Random(9, 33, 7, 90, bias: true, classWeight: true, ignored: 5, eps: 0.05f, z: 1e-3f);
        var h = Tensor.FromArray(p.Hidden, p.N, p.D).RequiresGrad_();
        var w = Tensor.FromArray(p.Weight, p.V, p.D).RequiresGrad_();
        var b = Tensor.FromArray(p.Bias, p.V).RequiresGrad_();
        var loss = F.LinearCrossEntropy(h, w, Tensor.FromArray(p.Targets, p.N), b, Tensor.FromArray(p.ClassWeight, p.V),
            labelSmoothing: 0.05f, zLossScale: 1e-3f);
        var scaled = loss * 3f;
        scaled.Backward(retainGraph: true);
        scaled.Backward();
        var probe = R.Compute(p, new double[p.N]);
        var expected = R.Compute(p, Enumerable.Repeat(2 * 3.0 / probe.Denominator, p.N).ToArray()); // two backward calls accumulate
        Check.Close(probe.Loss.Sum() / probe.Denominator, loss.Item(), 1e-5, 1e-6, "mean loss");
        R.CloseScaled(R.ToFloat(expected.GradHidden), h.Grad!.Data, 1e-4, 1e-5, "grad hidden");
        R.CloseScaled(R.ToFloat(expected.GradWeight), w.Grad!.Data, 1e-4, 1e-5, "grad weight");
        R.CloseScaled(R.ToFloat(expected.GradBias), b.Grad!.Data, 1e-4, 1e-5, "grad bias");
    }

    [Fact]
    public void ModuleHoldsTheOptions()
    {
        var g = LinearCeGoldenCase.Load("all_options");
        var module = new LinearCrossEntropyLoss(g.Get("class_weight"), g.IgnoreIndex, Reduction.Sum, g.LabelSmoothing, g.ZLoss, g.Softcap);
        var loss = module.Forward(g.Get("hidden"), g.Get("weight"), g.Get("target"), g.Get("bias"));
        Check.Close(g.Get("loss_sum").Item(), loss.Item(), 1e-5, 1e-5, "module sum");
        Assert.Empty(module.Parameters());
        Assert.Throws<NotSupportedException>(() => module.Forward(g.Get("hidden")));
    }

    [Fact]
    public void GradientsOnlyForInputsThatRequireThem()
    {
        var g = LinearCeGoldenCase.Load("bias");
        var h = g.Get("hidden").RequiresGrad_();
        var w = g.Get("weight");
        var b = g.Get("bias");
        F.LinearCrossEntropy(h, w, g.Get("target"), b).Backward();
        R.CloseScaled(g.Get("grad_hidden_mean").Data, h.Grad!.Data, 1e-4, 1e-5, "grad hidden");
        Assert.Null(w.Grad);
        Assert.Null(b.Grad);
        using (Tensor.NoGrad())
            Assert.Null(F.LinearCrossEntropy(h, w, g.Get("target"), b).GradFn);
    }

    [Theory]
    [InlineData(Reduction.Mean, float.PositiveInfinity)] // training: gradients in the forward pass
    [InlineData(Reduction.Sum, float.NaN)]
    [InlineData(Reduction.None, float.PositiveInfinity)] // recomputed in backward
    public void AWeightOfInfOrNaNOnAClassNoTargetNamesLeavesTheGradientsFinite(Reduction reduction, float unused)
    {
        // PyTorch reads only w[t_i] without smoothing, so the float64 reference with a finite weight there is the expected result.
        var p = LinearCeProblem.Random(12, 37, 5, 70, bias: true, classWeight: true, ignored: 3);
        for (int i = 0; i < p.N; i++) if (p.Targets[i] == p.V - 1) p.Targets[i] = 0;
        var weight = (float[])p.ClassWeight.Clone();
        weight[p.V - 1] = unused;
        var h = Tensor.FromArray(p.Hidden, p.N, p.D).RequiresGrad_();
        var w = Tensor.FromArray(p.Weight, p.V, p.D).RequiresGrad_();
        var b = Tensor.FromArray(p.Bias, p.V).RequiresGrad_();
        var loss = F.LinearCrossEntropy(h, w, Tensor.FromArray(p.Targets, p.N), b, Tensor.FromArray(weight, p.V), reduction: reduction);
        (reduction == Reduction.None ? loss.Sum() : loss).Backward();
        var probe = R.Compute(p, new double[p.N]);
        double rowGrad = reduction == Reduction.Mean ? 1 / probe.Denominator : 1;
        var expected = R.Compute(p, Enumerable.Repeat(rowGrad, p.N).ToArray());
        Check.Close(probe.Loss.Sum() * rowGrad, (reduction == Reduction.None ? loss.Sum() : loss).Item(), 1e-5, 1e-6, "loss");
        R.CloseScaled(R.ToFloat(expected.GradHidden), h.Grad!.Data, 1e-4, 1e-5, "grad hidden");
        R.CloseScaled(R.ToFloat(expected.GradWeight), w.Grad!.Data, 1e-4, 1e-5, "grad weight");
        R.CloseScaled(R.ToFloat(expected.GradBias), b.Grad!.Data, 1e-4, 1e-5, "grad bias");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SmoothedMeanOverTargetsOfWeightZeroIsNaNAsInPyTorch(bool grad)
    {
        // PyTorch divides the cross-entropy sum (0) and the smoothing sum by Σ w[t] = 0 separately: NaN, not +inf.
        var h = Tensor.Randn([3, 4], new Generator(6));
        if (grad) h.RequiresGrad_();
        var loss = F.LinearCrossEntropy(h, Tensor.Randn([5, 4], new Generator(7)), Tensor.FromArray([1, 1, 1]),
            weight: Tensor.FromArray([1f, 0f, 1f, 1f, 1f]), labelSmoothing: 0.2f);
        Assert.True(float.IsNaN(loss.Item()), $"{loss.Item()}");
        // Weights that only cancel (Σ w[t] = 0, not all 0): the same value as cross-entropy of the materialised logits (whose
        // rule CrossEntropyBehaviourTests checks against PyTorch), for each sign pattern and ε = 1.
        var linearWeight = Tensor.Randn([5, 4], new Generator(7));
        foreach (var (targets, eps) in new[] { (new long[] { 1, 2, 2 }, 0.2f), ([2, 1, 1], 0.2f), ([1, 2, 2], 1f), ([2, 2, 1], 0.5f) })
        {
            var t = Tensor.FromArray(targets, 3);
            var w = Tensor.FromArray([1f, 2f, -1f, 1f, 1f]);
            float unfused;
            using (Tensor.NoGrad()) unfused = F.CrossEntropy(F.Linear(h.Detach(), linearWeight), t, w, labelSmoothing: eps).Item();
            Assert.Equal(unfused, F.LinearCrossEntropy(h, linearWeight, t, weight: w, labelSmoothing: eps).Item());
        }
    }

    [Fact]
    public void AllIgnoredMeanIsNaNWithZeroGradients()
    {
        var h = Tensor.Randn([3, 4], new Generator(4)).RequiresGrad_();
        var w = Tensor.Randn([5, 4], new Generator(5)).RequiresGrad_();
        var loss = F.LinearCrossEntropy(h, w, Tensor.Full(-100, [3]).ToInt64(), zLossScale: 1e-3f);
        Assert.True(float.IsNaN(loss.Item()));
        loss.Backward();
        Assert.All(h.Grad!.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(w.Grad!.ToArray(), v => Assert.Equal(0f, v));
    }

    // import torch, torch.nn.functional as F
    // for red in ("mean", "sum", "none"):
    //     h = torch.zeros(0, 4, requires_grad=True); W = torch.ones(5, 4, requires_grad=True)
    //     b = torch.tensor([0.5, -1.0, 2.0, 0.0, 1.0], requires_grad=True); t = torch.zeros(0, dtype=torch.long)
    //     loss = F.cross_entropy(F.linear(h, W, b), t, reduction=red); loss.sum().backward()
    //     print(red, loss.tolist(), h.grad.shape, W.grad.shape, W.grad.abs().sum().item(), b.grad.tolist())
    // mean nan, sum 0.0, none []; every time h.grad (0, 4), W.grad zeros (5, 4), b.grad zeros (5).
    [Theory]
    [InlineData(Reduction.Mean)] // training path: gradients computed in the forward pass
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)] // gradients recomputed in backward
    public void EmptyHiddenGetsAnEmptyGradientAsInPyTorch(Reduction reduction)
    {
        // An empty gradient was taken for "not requested", so hidden.Grad stayed null where PyTorch gives a (0, D) tensor.
        var h = Tensor.Zeros(0, 4).RequiresGrad_();
        var w = Tensor.Ones(5, 4).RequiresGrad_();
        var b = Tensor.FromArray([0.5f, -1f, 2f, 0f, 1f]).RequiresGrad_();
        var loss = F.LinearCrossEntropy(h, w, Tensor.FromArray(Array.Empty<long>()), b, reduction: reduction);
        Assert.Equal(reduction == Reduction.None ? [0] : [], loss.Shape);
        if (reduction == Reduction.Mean) Assert.True(float.IsNaN(loss.Item()));
        if (reduction == Reduction.Sum) Assert.Equal(0f, loss.Item());
        loss.Sum().Backward();
        Assert.Equal([0, 4], h.Grad!.Shape);
        Assert.Equal([5, 4], w.Grad!.Shape);
        Assert.All(w.Grad.ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(new float[5], b.Grad!.ToArray());
    }

    // import torch, torch.nn.functional as F
    // for red in ("mean", "sum", "none"):
    //     h = torch.zeros(3, 0, requires_grad=True); W = torch.zeros(5, 0, requires_grad=True)
    //     b = torch.tensor([0.5, -1.0, 2.0, 0.0, 1.0], requires_grad=True); t = torch.tensor([0, 2, 4])
    //     loss = F.cross_entropy(F.linear(h, W, b), t, reduction=red); loss.sum().backward()
    //     print(red, loss.tolist(), h.grad.shape, W.grad.shape, b.grad.tolist())
    // (and without b, 'mean': ln 5 = 1.6094379425048828)
    [Theory]
    [InlineData(Reduction.Mean, new[] { 1.4077714681625366f },
        new[] { -0.20770636200904846f, 0.02803117409348488f, 0.2296878546476364f, 0.07619662582874298f, -0.12620942294597626f })]
    [InlineData(Reduction.Sum, new[] { 4.22331428527832f },
        new[] { -0.623119056224823f, 0.08409351855516434f, 0.689063549041748f, 0.22858987748622894f, -0.37862831354141235f })]
    [InlineData(Reduction.None, new[] { 2.0744380950927734f, 0.5744380354881287f, 1.5744380950927734f },
        new[] { -0.623119056224823f, 0.08409351855516434f, 0.689063549041748f, 0.22858987748622894f, -0.37862831354141235f })]
    public void AZeroHiddenSizeGivesTheBiasAloneAsInPyTorch(Reduction reduction, float[] expectedLoss, float[] expectedBiasGrad)
    {
        // D = 0 makes every logit its class's bias: PyTorch's linear gives zeros plus the bias, and cross_entropy goes on from there.
        var h = Tensor.Zeros(3, 0).RequiresGrad_();
        var w = Tensor.Zeros(5, 0).RequiresGrad_();
        var b = Tensor.FromArray([0.5f, -1f, 2f, 0f, 1f]).RequiresGrad_();
        var loss = F.LinearCrossEntropy(h, w, Tensor.FromArray(new long[] { 0, 2, 4 }), b, reduction: reduction);
        Check.Close(Tensor.FromArray(expectedLoss), loss.Reshape(-1), 1e-6, 1e-6, "loss");
        loss.Sum().Backward();
        Assert.Equal([3, 0], h.Grad!.Shape);
        Assert.Equal([5, 0], w.Grad!.Shape);
        Check.Close(Tensor.FromArray(expectedBiasGrad), b.Grad!, 1e-6, 1e-6, "bias grad");

        var plain = F.LinearCrossEntropy(Tensor.Zeros(3, 0), Tensor.Zeros(5, 0), Tensor.FromArray(new long[] { 0, 2, 4 }));
        Assert.Equal(1.6094379425048828, plain.Item(), 1e-6);
    }

    [Fact]
    public void RejectsBadInputsWithPyTorchsWording()
    {
        var h = Tensor.Randn([4, 3]);
        var w = Tensor.Randn([6, 3]);
        var e1 = Assert.Throws<ArgumentException>(() => F.LinearCrossEntropy(h, w, Tensor.FromArray(new long[] { 0, 1, 2 }, 3)));
        Assert.Contains("Expected input batch_size (4) to match target batch_size (3).", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() =>
            F.LinearCrossEntropy(h, Tensor.Randn([6, 2]), Tensor.FromArray(new long[] { 0, 1, 2, 3 }, 4)));
        Assert.Contains("mat1 and mat2 shapes cannot be multiplied (4x3 and 2x6)", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() =>
            F.LinearCrossEntropy(h, w, Tensor.FromArray(new long[] { 0, 1, 6, 3 }, 4)));
        Assert.Contains("Target 6 is out of bounds.", e3.Message);
        Assert.Throws<ArgumentException>(() => F.LinearCrossEntropy(h, w, Tensor.FromArray(new float[] { 0, 1, 2, 3 }, 4)));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            F.LinearCrossEntropy(h, w, Tensor.FromArray(new long[] { 0, 1, 2, 3 }, 4), softcap: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            F.LinearCrossEntropy(h, w, Tensor.FromArray(new long[] { 0, 1, 2, 3 }, 4), zLossScale: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            F.LinearCrossEntropy(h, w, Tensor.FromArray(new long[] { 0, 1, 2, 3 }, 4),
                options: new LinearCrossEntropyOptions { VocabChunk = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            F.LinearCrossEntropy(h, w, Tensor.FromArray(new long[] { 0, 1, 2, 3 }, 4),
                options: new LinearCrossEntropyOptions { TrainingScratchBytes = 0 }));
    }
}
