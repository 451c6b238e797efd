using Xent.Autograd;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Core;

/// <summary>
/// The three ways a backward makes a gradient through <see cref="BackwardContext"/>, seen from the leaf: which
/// buffers the engine adopts without a copy, and that a buffer saved in forward survives a retained graph.
/// The op is y = 3x with a hand-written backward, so every expected gradient is a multiple of 3.
/// </summary>
[Collection(BufferPoolCollection.Name)]
public class BackwardContextTests
{
    private static Tensor Leaf() => Tensor.FromArray([1f, -2f, 4f]).RequiresGrad_();

    private static Tensor Triple(Tensor x, Func<Tensor, BackwardContext, Tensor?[]> backward)
    {
        var y = new float[x.NumEl];
        for (int i = 0; i < y.Length; i++) y[i] = 3f * x.Data[i];
        return Tensor.Record(new Tensor(y, x.Shape), "TripleBackward", backward, x);
    }

    private static float[] Times3(Tensor g) => g.ToArray().Select(v => 3f * v).ToArray();

    [Fact]
    public void Adopted_FreshBuffer_BecomesTheLeafGradWithoutACopy()
    {
        var x = Leaf();
        float[]? made = null;
        Triple(x, (g, ctx) => [ctx.Adopt(made = Times3(g), x.Shape)]).Sum().Backward();
        Assert.Same(made, x.Grad!.FloatArray);
        Assert.Equal([3f, 3f, 3f], x.Grad.ToArray());
    }

    [Fact]
    public void PlainTensor_IsCopiedIntoTheLeafGrad()
    {
        var x = Leaf();
        float[]? made = null;
        Triple(x, (g, _) => [new Tensor(made = Times3(g), x.Shape)]).Sum().Backward();
        Assert.NotSame(made, x.Grad!.FloatArray);
        Assert.Equal([3f, 3f, 3f], x.Grad.ToArray());
    }

    [Fact]
    public void HandedOver_SavedBuffer_IsAdoptedOnlyOnTheLastUse()
    {
        var x = Leaf();
        var saved = new[] { 3f, 3f, 3f };   // d(sum 3x)/dx, as if computed in forward
        var loss = Triple(x, (_, ctx) => [ctx.HandOver(saved, x.Shape)]).Sum();
        loss.Backward(retainGraph: true);
        Assert.NotSame(saved, x.Grad!.FloatArray);       // not the last use: copied
        loss.Backward(retainGraph: true);                // accumulates into Grad, not into the saved buffer
        Assert.Equal([3f, 3f, 3f], saved);
        Assert.Equal([6f, 6f, 6f], x.Grad.ToArray());

        var x2 = Leaf();
        var saved2 = new[] { 3f, 3f, 3f };
        Triple(x2, (_, ctx) => [ctx.HandOver(saved2, x2.Shape)]).Sum().Backward();
        Assert.Same(saved2, x2.Grad!.FloatArray);       // last use: handed over
    }

    [Fact]
    public void NewGrad_BuffersFromTheChainGoBackToThePoolAfterUse_AndTheResultIsExact()
    {
        // Three ReLUs over a pooled-size tensor: each intermediate gradient is rented, consumed and returned
        // (filled with NaN on return), so a backward that read one after its return would show NaN.
        int n = BufferPool.MinLength;
        var xs = new float[n];
        for (int i = 0; i < n; i++) xs[i] = i % 3 == 0 ? -1f : i % 7;
        BufferPool.PoisonOnReturn = true;
        try
        {
            var x = Tensor.FromArray(xs).RequiresGrad_();
            (F.Relu(F.Relu(F.Relu(x))) * 2f).Sum().Backward();
            var grad = x.Grad!.ToArray();
            for (int i = 0; i < n; i++) Assert.Equal(xs[i] > 0 ? 2f : 0f, grad[i]);
        }
        finally { BufferPool.PoisonOnReturn = false; }
    }
}
