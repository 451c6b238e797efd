using Xent.Autograd;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Core;

/// <summary>What a full collection's trim keeps: the lengths rented since the previous trim, not the idle ones.</summary>
[Collection(BufferPoolCollection.Name)]
public sealed class BufferPoolTrimTests
{
    [Fact]
    public void TrimUnusedKeepsLengthsRentedSinceTheLastTrimAndDropsTheRest()
    {
        BufferPool.Trim();
        int hot = BufferPool.MinLength + 17, cold = BufferPool.MinLength + 29;
        float[] h = BufferPool.Rent(hot), c = BufferPool.Rent(cold);
        BufferPool.Return(h);
        BufferPool.Return(c);
        Assert.Equal(hot + cold, BufferPool.PooledFloats);

        BufferPool.TrimUnused();            // both were rented in this interval: both stay
        Assert.Equal(hot + cold, BufferPool.PooledFloats);

        float[] again = BufferPool.Rent(hot); // only 'hot' is used in the next interval
        Assert.Same(h, again);
        BufferPool.Return(again);
        BufferPool.TrimUnused();
        Assert.Equal(hot, BufferPool.PooledFloats);
        Assert.Same(h, BufferPool.Rent(hot));

        BufferPool.TrimUnused();            // a rent counts until the next trim
        BufferPool.TrimUnused();            // an idle interval drops it
        Assert.Equal(0, BufferPool.PooledFloats);
        BufferPool.Trim();
    }
}
