using Xent.NN;
using Xent.Optim;
using Xunit;

namespace Xent.Tests.Core;

/// <summary>Bad arguments of the library API: refused early, with the caller's parameter named.</summary>
public class ApiArgumentTests
{
    [Fact]
    public void LinearWithNoInputFeaturesGivesTheBiasAndZeroGradients()
    {
        // PyTorch 1.13: nn.Linear(0, 3)(zeros(2, 0)) is the bias on every row; x.grad (2, 0), weight.grad (3, 0),
        // bias.grad = the row count (2) per output. It used to leak the GEMM's internal 'lda' argument.
        var layer = new Linear(0, 3);
        new[] { 0.5f, -1f, 2f }.CopyTo(layer.Bias!.Data);
        var x = Tensor.Zeros(2, 0).RequiresGrad_();
        var y = layer.Forward(x);
        Assert.Equal([2, 3], y.Shape);
        Assert.Equal([0.5f, -1f, 2f, 0.5f, -1f, 2f], y.ToArray());
        y.Sum().Backward();
        Assert.Equal([2, 0], x.Grad!.Shape);
        Assert.Equal([3, 0], layer.Weight.Grad!.Shape);
        Assert.Equal([2f, 2f, 2f], layer.Bias.Grad!.ToArray());

        Assert.Equal(new float[6], new Linear(0, 3, bias: false).Forward(Tensor.Zeros(2, 0)).ToArray());
        // And no output features: an empty (2, 0) output and a zero input gradient, as PyTorch.
        var x3 = Tensor.Ones(2, 3).RequiresGrad_();
        var empty = new Linear(3, 0).Forward(x3);
        Assert.Equal([2, 0], empty.Shape);
        empty.Sum().Backward();
        Assert.Equal(new float[6], x3.Grad!.ToArray());
    }

    [Fact]
    public void MessagesNameTheCallersParameter()
    {
        var t = Tensor.FromArray([0L, 0L]);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => F.CrossEntropy(Tensor.Zeros(2, 0), t)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => F.NllLoss(Tensor.Zeros(2, 0), t)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => F.FocalLoss(Tensor.Zeros(2, 0), t)).ParamName);
        var logits = Tensor.Randn(2, 3);
        Assert.Equal("softcap", Assert.Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(logits, t, softcap: 0f)).ParamName);
    }

    [Fact]
    public void ReductionsOutsideTheEnumAreRefused()
    {
        // They used to fall through the reductions' switches into the mean.
        var x = Tensor.Randn(2, 3);
        var t = Tensor.FromArray([0L, 2L]);
        var p = Tensor.Rand(2, 3);
        var bad = (Reduction)99;
        void Refused(Func<Tensor> loss)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => loss());
            Assert.Equal("reduction", e.ParamName);
        }
        Refused(() => F.CrossEntropy(x, t, reduction: bad));
        Refused(() => F.NllLoss(x, t, reduction: bad));
        Refused(() => F.FocalLoss(x, t, reduction: bad));
        Refused(() => F.BinaryCrossEntropy(p, p, reduction: bad));
        Refused(() => F.BinaryCrossEntropyWithLogits(x, p, reduction: bad));
        Refused(() => F.SigmoidFocalLoss(x, p, reduction: bad));
        Refused(() => F.LinearCrossEntropy(x, Tensor.Randn(4, 3), t, reduction: bad));
        Refused(() => F.KlDiv(x, p, (KlDivReduction)9));
        Refused(() => F.KlDiv(x, p, (KlDivReduction)(-1)));
        Assert.Equal("mode", Assert.Throws<ArgumentOutOfRangeException>(
            () => Init.KaimingUniform_(Tensor.Zeros(2, 2), mode: (FanMode)5)).ParamName);
    }

    [Fact]
    public void LearningRateSetterRefusesWhatTheConstructorsRefuse()
    {
        var opt = new Sgd([new Parameter(Tensor.Zeros(2))], lr: 0.1);
        Assert.StartsWith("Invalid learning rate: -1", Assert.Throws<ArgumentException>(() => opt.LearningRate = -1).Message);
        Assert.Throws<ArgumentException>(() => opt.LearningRate = double.NaN);
        Assert.Equal(0.1, opt.LearningRate);
        opt.LearningRate = 0;
        Assert.Equal(0, opt.LearningRate);
    }

    [Fact]
    public void GradSetterRefusesAnotherShapeOrDType()
    {
        var a = Tensor.Zeros(3).RequiresGrad_();
        var shape = Assert.Throws<ArgumentException>(() => a.Grad = Tensor.Ones(4));
        Assert.Contains("shape [4] but the tensor has shape [3]", shape.Message);
        var dtype = Assert.Throws<ArgumentException>(() => a.Grad = Tensor.FromArray([1L, 2L, 3L]));
        Assert.Contains("dtype int64", dtype.Message);
        Assert.Null(a.Grad);
        a.Grad = Tensor.Ones(3);
        Assert.Equal([1f, 1f, 1f], a.Grad.ToArray());
        a.Grad = null;
        Assert.Null(a.Grad);
    }

    [Fact]
    public void ArangeRefusesNonFiniteBounds()
    {
        // PyTorch 1.13: "unsupported range: 0 -> nan" (also for inf and a NaN start).
        Assert.Equal("end", Assert.Throws<ArgumentException>(() => Tensor.Arange(0f, float.NaN)).ParamName);
        Assert.Equal("end", Assert.Throws<ArgumentException>(() => Tensor.Arange(0f, float.PositiveInfinity)).ParamName);
        Assert.Equal("start", Assert.Throws<ArgumentException>(() => Tensor.Arange(float.NaN, 3f)).ParamName);
        Assert.Equal("step", Assert.Throws<ArgumentException>(() => Tensor.Arange(0f, 3f, float.NaN)).ParamName);
        Assert.Equal([0f, 0.5f, 1f, 1.5f], Tensor.Arange(0f, 2f, 0.5f).ToArray());
    }

    [Fact]
    public void DropoutMessagePrintsTheProbabilityAsWritten()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(-0.1f));
        Assert.StartsWith("dropout probability has to be between 0 and 1, but got -0.1", e.Message);
        Assert.DoesNotContain("-0.10000000149", e.Message);
        Assert.Contains("but got 1.1", Assert.Throws<ArgumentOutOfRangeException>(() => F.Dropout(Tensor.Ones(2), 1.1)).Message);
    }
}
