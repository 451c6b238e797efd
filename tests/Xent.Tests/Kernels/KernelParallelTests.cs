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

    /// <summary>Runs <paramref name="test"/> with <see cref="KernelParallel.MaxThreads"/> set, restoring it after.</summary>
    private static void WithThreads(int threads, Action test)
    {
        int saved = KernelParallel.MaxThreads;
        try
        {
            KernelParallel.MaxThreads = threads;
            test();
        }
        finally
        {
            KernelParallel.MaxThreads = saved;
        }
    }

    /// <summary>Σ over chunks of Σ_{i in chunk} i, each chunk adding into its own slot: n(n−1)/2 when every index ran once.</summary>
    private static long SumOfIndices(int length, int chunkSize)
    {
        var partial = new long[KernelParallel.ChunkCount(length, chunkSize)];
        KernelParallel.ForChunks(length, chunkSize, (c, s, e) =>
        {
            for (int i = s; i < e; i++) partial[c] += i;
        });
        return partial.Sum();
    }

    [Fact]
    public void ManyBackToBackRegions_EachCoverEveryIndexOnce_AcrossThreadCounts()
    {
        // Thousands of short regions, with pauses that let the workers fall asleep between some of them: a lost wake-up would
        // hang here, and a region counted as finished early would give a short sum.
        foreach (int threads in new[] { 2, 3, 2, 1, 4 })
        {
            WithThreads(threads, () =>
            {
                for (int r = 0; r < 3000; r++)
                {
                    int n = 1 + r % 97;
                    Assert.Equal((long)n * (n - 1) / 2, SumOfIndices(n, 1 + r % 5));
                    if (r % 500 == 0) Thread.Sleep(2); // longer than the workers' spin
                }
            });
        }
    }

    [Fact]
    public void RegionsStartedJustAsTheWorkersGoToSleep_AreNotLost()
    {
        // Each region comes after a serial gap as long as the workers' spin, so that many are published in the instant a worker
        // decides to sleep: a wake-up lost there (it was, before the sleep announcement became a full fence) leaves the caller
        // waiting for ever, which the deadline turns into a failure.
        var savedSpin = KernelWorkers.Spin;
        try
        {
            WithThreads(2, () =>
            {
                foreach (int spinUs in new[] { 300, 100 })
                {
                    KernelWorkers.Spin = TimeSpan.FromMicroseconds(spinUs);
                    var run = Task.Run(() =>
                    {
                        for (int r = 0; r < 2000; r++)
                        {
                            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                            while (System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMicroseconds < spinUs) Thread.SpinWait(1);
                            Assert.Equal(3, SumOfIndices(3, 1));
                        }
                    });
                    Assert.True(run.Wait(TimeSpan.FromSeconds(60)),
                        $"a region never finished (spin {spinUs} µs): a worker missed its wake-up");
                    run.GetAwaiter().GetResult();
                }
            });
        }
        finally
        {
            KernelWorkers.Spin = savedSpin;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference RunARegionOverAFreshArray()
    {
        var data = new float[1 << 20];
        KernelParallel.ForChunks(4, 1, (c, _, _) => data[c] = 1f);
        Assert.Equal(4f, data.Take(4).Sum());
        return new WeakReference(data);
    }

    [Fact]
    public void AFinishedRegion_DoesNotKeepWhatItsBodyCapturedAlive()
    {
        WithThreads(2, () =>
        {
            var array = RunARegionOverAFreshArray();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.False(array.IsAlive, "the workers still reference the last region's body and the array it captured");
        });
    }

    [Fact]
    public void AnExceptionInABody_ReachesTheCaller_AndLaterRegionsStillRun()
    {
        WithThreads(2, () =>
        {
            var e = Assert.Throws<AggregateException>(() => KernelParallel.ForChunks(64, 1, (c, _, _) =>
            {
                Thread.SpinWait(1000);
                if (c == 40) throw new InvalidOperationException("chunk 40");
            }));
            Assert.Equal("chunk 40", Assert.IsType<InvalidOperationException>(e.InnerException).Message);
            Assert.Equal(64L * 63 / 2, SumOfIndices(64, 1));
        });
    }

    [Fact]
    public void ARegionInsideABody_AndRegionsFromTwoThreadsAtOnce_GiveTheSameResults()
    {
        WithThreads(2, () =>
        {
            // Nested: each outer chunk runs a whole inner ForChunks (on its own thread, inline).
            var inner = new long[8];
            KernelParallel.ForChunks(8, 1, (c, _, _) => inner[c] = SumOfIndices(1000 + c, 7));
            for (int c = 0; c < 8; c++) Assert.Equal((long)(1000 + c) * (999 + c) / 2, inner[c]);

            // Two callers at once: one may have the workers, the other runs alone; both sums are whole.
            var sums = new long[2];
            Parallel.For(0, 2, k =>
            {
                long total = 0;
                for (int r = 0; r < 200; r++) total += SumOfIndices(5000, 64);
                sums[k] = total;
            });
            Assert.All(sums, x => Assert.Equal(200L * 5000 * 4999 / 2, x));
        });
    }
}
