using Xent.Tests.Support;
using System.Collections.Concurrent;
using Xent.Kernels;
using Xunit;

namespace Xent.Tests.Kernels;

[Collection(KernelThreadingCollection.Name)]
public class KernelParallelTests
{
    private static List<(int Chunk, int Start, int End, int Thread)> Record(int length, int chunkSize, long workPerItem)
    {
        var seen = new ConcurrentBag<(int, int, int, int)>();
        KernelParallel.ForChunks(length, chunkSize, workPerItem, (c, s, e) =>
        {
            seen.Add((c, s, e, Environment.CurrentManagedThreadId));
            Thread.SpinWait(20000); // long enough that a second thread would pick up chunks
        });
        return [.. seen.OrderBy(x => x.Item1)];
    }

    [Fact]
    public void SmallWork_RunsEveryChunkOnTheCallingThread_WithTheSameBoundaries()
    {
        int saved = KernelParallel.MaxThreads;
        try
        {
            KernelParallel.MaxThreads = 2;
            int caller = Environment.CurrentManagedThreadId;
            // 8192 rows × 10 classes: far below the limit, so no hand-off to a pool thread.
            var small = Record(8192, 1638, 10);
            Assert.All(small, x => Assert.Equal(caller, x.Thread));
            var chunks = small.Select(x => (x.Chunk, x.Start, x.End)).ToList();
            // Same chunks as without a work estimate (which may use both threads).
            var big = Record(8192, 1638, 0).Select(x => (x.Chunk, x.Start, x.End)).ToList();
            Assert.Equal(big, chunks);
            Assert.Equal(Enumerable.Range(0, 6).ToList(), chunks.Select(x => x.Chunk).ToList());
            Assert.Equal(8192, chunks[^1].End);
            Assert.Equal(0, chunks[0].Start);
            for (int k = 1; k < chunks.Count; k++) Assert.Equal(chunks[k - 1].End, chunks[k].Start);
        }
        finally
        {
            KernelParallel.MaxThreads = saved;
        }
    }

    [Fact]
    public void LargeWork_MayUseSeveralThreads_AndCoversEachChunkOnce()
    {
        int saved = KernelParallel.MaxThreads;
        try
        {
            KernelParallel.MaxThreads = 2;
            long perItem = KernelParallel.SerialWorkLimit; // one item is already over the limit
            var seen = Record(10, 3, perItem);
            Assert.Equal([(0, 0, 3), (1, 3, 6), (2, 6, 9), (3, 9, 10)], seen.Select(x => (x.Chunk, x.Start, x.End)).ToList());
        }
        finally
        {
            KernelParallel.MaxThreads = saved;
        }
    }
}
