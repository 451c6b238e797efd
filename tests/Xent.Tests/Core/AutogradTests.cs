using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Core;

public class AutogradTests
{
    [Fact]
    public void SharedSubexpressionAccumulatesBothPaths()
    {
        // y = x·x + x, with x used three times: dy/dx = 2x + 1.
        var x = Tensor.FromArray(new[] { 1.5f, -2f, 0.25f }).RequiresGrad_();
        var y = (x * x + x).Sum();
        y.Backward();
        Assert.Equal(new[] { 4f, -3f, 1.5f }, x.Grad!.ToArray());
    }

    [Fact]
    public void DiamondGraphVisitsSharedNodeOnce()
    {
        var x = Tensor.FromArray(new[] { 2f }).RequiresGrad_();
        var h = x.Exp();                  // shared
        var y = (h * h + h.Log()).Sum();  // d/dx = 2e^{2x} + 1
        y.Backward();
        Check.Close(2 * Math.Exp(4) + 1, x.Grad!.Item(), 1e-6);
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }).RequiresGrad_();
        (x * 3f).Sum().Backward();
        (x * 3f).Sum().Backward();
        Assert.Equal(new[] { 6f, 6f }, x.Grad!.ToArray());
    }

    [Fact]
    public void BackwardWithExplicitGradient()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f, 3f }).RequiresGrad_();
        var y = x * x;
        y.Backward(Tensor.FromArray(new[] { 1f, 0.5f, -1f }));
        Assert.Equal(new[] { 2f, 2f, -6f }, x.Grad!.ToArray());
    }

    [Fact]
    public void NoGradScopeRecordsNothingAndNests()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        using (Tensor.NoGrad())
        {
            using (Tensor.NoGrad()) { }
            var y = x * 2f;
            Assert.False(y.RequiresGrad);
            Assert.Null(y.GradFn);
        }
        Assert.True((x * 2f).RequiresGrad);
    }

    [Fact]
    public void DetachCutsHistoryButSharesStorage()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var y = x * 2f;
        var d = y.Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);
        d.Data[0] = 7f;
        Assert.Equal(7f, y.Data[0]);
    }

    [Fact]
    public void BackwardOnNonScalarWithoutGradientThrowsNamingShape()
    {
        var x = Tensor.Ones(2, 3).RequiresGrad_();
        var ex = Assert.Throws<InvalidOperationException>(() => (x * 2f).Backward());
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("scalar", ex.Message);
    }

    [Fact]
    public void BackwardTwiceThroughFreedGraphThrows()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var y = (x.Exp() * 2f).Sum();
        y.Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("second time", ex.Message);
    }

    [Fact]
    public void RetainGraphAllowsSecondBackward()
    {
        var x = Tensor.FromArray(new[] { 0.5f }).RequiresGrad_();
        var y = x.Exp().Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Check.Close(2 * Math.Exp(0.5), x.Grad!.Item(), 1e-6);
    }

    [Fact]
    public void BackwardWithoutGradThrows()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Tensor.Ones(1).Sum().Backward());
        Assert.Contains("does not require grad", ex.Message);
    }

    [Fact]
    public void GradientShapeMustMatch()
    {
        var x = Tensor.Ones(2, 2).RequiresGrad_();
        var ex = Assert.Throws<ArgumentException>(() => (x * 2f).Backward(Tensor.Ones(4)));
        Assert.Contains("[4]", ex.Message);
        Assert.Contains("[2, 2]", ex.Message);
    }

    [Fact]
    public void MatMulGivesAGradientOnlyToTheInputThatRequiresOne()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, 2, 2);
        var b = Tensor.FromArray(new[] { 0.5f, -1f, 2f, 0f }, 2, 2).RequiresGrad_();
        a.MatMul(b).Sum().Backward();
        Assert.Null(a.Grad);
        // d Σ(AB) / dB[p, j] = Σ_i A[i, p]: column sums of A, repeated along j.
        Assert.Equal(new[] { 4f, 4f, 6f, 6f }, b.Grad!.ToArray());
    }

    [Fact]
    public void Int64TensorsCannotRequireGrad()
    {
        Assert.Throws<InvalidOperationException>(() => Tensor.Arange(3).RequiresGrad = true);
    }
}
