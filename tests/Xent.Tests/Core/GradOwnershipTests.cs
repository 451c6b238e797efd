using Xent.Tests.Support;
using Xunit;
using static Xent.Tests.Kernels.CeReference;

namespace Xent.Tests.Core;

/// <summary>
/// The engine adopts a fresh gradient buffer as a leaf's Grad instead of copying it (cross-entropy's
/// backward hands over the gradient it computed in forward). These graphs would expose a buffer that
/// is adopted while something else can still read or write it.
/// </summary>
public class GradOwnershipTests
{
    private const int N = 5, C = 7;

    private static (float[] X, long[] T) Data(int seed)
    {
        var rng = new Random(seed);
        return (RandomLogits(rng, N * C), Enumerable.Range(0, N).Select(_ => (long)rng.Next(C)).ToArray());
    }

    /// <summary>d mean-CE / dx in float64: (softmax(x) − onehot(t)) / N.</summary>
    private static float[] ExpectedGrad(float[] x, long[] t, double scale = 1)
    {
        var g = new float[x.Length];
        for (int i = 0; i < N; i++)
        {
            double[] lp = LogSoftmax(ToDouble(x).AsSpan(i * C, C));
            for (int c = 0; c < C; c++) g[i * C + c] = (float)(scale * (Math.Exp(lp[c]) - (c == t[i] ? 1 : 0)) / N);
        }
        return g;
    }

    private static Tensor Leaf(float[] x) => Tensor.FromArray((float[])x.Clone(), N, C).RequiresGrad_();

    [Fact]
    public void RetainedGraph_BackwardThreeTimes_AccumulatesThreeGradients()
    {
        // Were the saved gradient adopted as Grad, later accumulation would write into it and the
        // third call would see 2g instead of g.
        var (xs, ts) = Data(1);
        var x = Leaf(xs);
        var loss = F.CrossEntropy(x, Tensor.FromArray(ts));
        for (int k = 0; k < 3; k++) loss.Backward(retainGraph: true);
        Check.Close(ExpectedGrad(xs, ts, 3), x.Grad!.Data, 1e-5, 1e-7);
    }

    [Fact]
    public void RetainedGraph_UserWritesToGrad_DoNotReachTheSavedGradient()
    {
        var (xs, ts) = Data(2);
        var x = Leaf(xs);
        var loss = F.CrossEntropy(x, Tensor.FromArray(ts));
        loss.Backward(retainGraph: true);
        x.Grad!.Data.Fill(100f);
        loss.Backward();
        var expected = ExpectedGrad(xs, ts).Select(v => v + 100f).ToArray();
        Check.Close(expected, x.Grad.Data, 1e-6, 1e-6);
    }

    [Fact]
    public void ScaledLoss_RetainedAndThenFreed_ScalesEachTimeFromTheOriginalGradient()
    {
        // Upstream 0.5: the retained calls scale into new buffers, the last one in place.
        var (xs, ts) = Data(3);
        var x = Leaf(xs);
        var loss = F.CrossEntropy(x, Tensor.FromArray(ts)) * 0.5f;
        loss.Backward(retainGraph: true);
        loss.Backward(retainGraph: true);
        loss.Backward();
        Check.Close(ExpectedGrad(xs, ts, 1.5), x.Grad!.Data, 1e-5, 1e-7);
    }

    [Fact]
    public void LossAddedToItself_GetsTwiceTheGradient()
    {
        // Add hands the same gradient tensor to both of its inputs (here the same loss twice).
        var (xs, ts) = Data(4);
        var x = Leaf(xs);
        var l = F.CrossEntropy(x, Tensor.FromArray(ts));
        (l + l).Backward();
        Check.Close(ExpectedGrad(xs, ts, 2), x.Grad!.Data, 1e-5, 1e-7);
    }

    [Fact]
    public void TwoLossesOfOneLeaf_AndALeafAddedToItself_Sum()
    {
        var (xs, ts) = Data(5);
        var (_, ts2) = Data(6);
        var x = Leaf(xs);
        var y = x + x; // dy/dx = 2; y's two gradients are one tensor
        (F.CrossEntropy(y, Tensor.FromArray(ts)) + F.CrossEntropy(x, Tensor.FromArray(ts2))).Backward();
        var y2 = xs.Select(v => v + v).ToArray();
        var a = ExpectedGrad(y2, ts, 2);
        var b = ExpectedGrad(xs, ts2);
        Check.Close(a.Zip(b, (p, q) => p + q).ToArray(), x.Grad!.Data, 1e-5, 1e-7);
    }

    [Fact]
    public void GradientsOfSeparateLeaves_DoNotShareStorage()
    {
        var (xs, ts) = Data(7);
        var a = Leaf(xs);
        var b = Leaf(xs);
        var l = F.CrossEntropy(a + b, Tensor.FromArray(ts));
        l.Backward();
        Assert.NotSame(a.Grad, b.Grad);
        a.Grad!.Data[0] = 42f;
        Assert.NotEqual(42f, b.Grad!.Data[0]);
    }

    [Fact]
    public void UserGradient_IsNeverAdoptedOrMutated()
    {
        var x = Tensor.FromArray([1f, 2f, 3f]).RequiresGrad_();
        var gradient = Tensor.FromArray([0.5f, -1f, 2f]);
        x.Backward(gradient);            // the root is the leaf itself
        x.Clone().Backward(gradient);    // CloneBackward passes the gradient through
        (x * 1f).Backward(gradient);
        Assert.Equal([0.5f, -1f, 2f], gradient.ToArray());
        Assert.NotSame(gradient, x.Grad);
        Assert.Equal([1.5f, -3f, 6f], x.Grad!.ToArray());
    }

    [Fact]
    public void AdoptedGrad_IsAPlainTensor_AndAccumulatesOnTheNextStep()
    {
        var (xs, ts) = Data(8);
        var x = Leaf(xs);
        F.CrossEntropy(x, Tensor.FromArray(ts)).Backward();
        var first = x.Grad!;
        Assert.False(first.RequiresGrad);
        Assert.True(first.IsLeaf);
        Assert.Equal(x.Shape, first.Shape);
        F.CrossEntropy(x, Tensor.FromArray(ts)).Backward();
        Assert.Same(first, x.Grad);
        Check.Close(ExpectedGrad(xs, ts, 2), x.Grad!.Data, 1e-5, 1e-7);
    }

    [Fact]
    public void KDimensionalInput_GradIsAdoptedInItsOwnLayout()
    {
        // (N, C, 2): the gradient is moved back from rows into a new buffer.
        var rng = new Random(9);
        float[] xs = RandomLogits(rng, 2 * 3 * 2);
        var x = Tensor.FromArray(xs, 2, 3, 2).RequiresGrad_();
        long[] ts = [0, 2, 1, 1];
        var loss = F.CrossEntropy(x, Tensor.FromArray(ts, 2, 2));
        loss.Backward(retainGraph: true);
        loss.Backward();
        for (int o = 0; o < 2; o++)
            for (int i = 0; i < 2; i++)
            {
                double[] row = [xs[o * 6 + i], xs[o * 6 + 2 + i], xs[o * 6 + 4 + i]];
                double[] lp = LogSoftmax(row);
                for (int c = 0; c < 3; c++)
                {
                    double expected = 2 * (Math.Exp(lp[c]) - (c == ts[o * 2 + i] ? 1 : 0)) / 4;
                    Check.Close(expected, x.Grad!.Data[o * 6 + c * 2 + i], 1e-5, 1e-7);
                }
            }
    }
}
