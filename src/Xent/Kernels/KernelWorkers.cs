using System.Diagnostics;

namespace Xent.Kernels;

/// <summary>
/// The threads <see cref="KernelParallel.ForChunks(int, int, long, Action{int, int, int})"/> runs regions on: the calling thread
/// plus up to <see cref="KernelParallel.MaxThreads"/> − 1 dedicated workers, one region at a time.
/// </summary>
/// <remarks>
/// The .NET thread pool, used before, let several of its threads take turns at a kernel's second share: after each region
/// the thread that ran it spun looking for work while another was woken for the next one, so on a 2-core machine three or
/// four threads were runnable during a product and one of the two cores' worth of work was often descheduled (a 2048³ SGEMM
/// took 84–90 ms in most runs and 110–150 ms in one of four). Dedicated workers keep exactly one thread per share: each spins
/// briefly after a region, so the next one (kernels run them back to back) starts without a wake-up, then sleeps.
/// A region started inside a region (a kernel calling a parallel kernel from its body), or on a second thread while one is
/// running, runs on its calling thread alone; the chunks, and so the results, are the same.
/// </remarks>
internal static class KernelWorkers
{
    private static long s_spinTicks = Stopwatch.Frequency / 20_000;

    /// <summary>
    /// How long a worker keeps checking for the next region before it sleeps (50 µs: kernels run regions back to back, and
    /// a longer spin would take a core from whatever else the process runs between them). Tests shorten and lengthen it.
    /// </summary>
    internal static TimeSpan Spin
    {
        get => Stopwatch.GetElapsedTime(0, Volatile.Read(ref s_spinTicks));
        set => Volatile.Write(ref s_spinTicks, (long)(value.TotalSeconds * Stopwatch.Frequency));
    }

    private static readonly object s_gate = new();
    private static Worker[] s_workers = [];
    /// <summary>The latest region; a worker takes part in each new one whose helper count covers its index.</summary>
    private static Region? s_region;
    [ThreadStatic] private static bool t_inRegion;

    /// <summary>
    /// One region: its body (cleared once every helper has finished, so that the workers' and this class's references to the
    /// last region do not keep the arrays its closure captured alive), how many workers help, how many have yet to finish,
    /// and the first exception.
    /// </summary>
    private sealed class Region(Action job, int helpers)
    {
        public Action? Job = job;
        public readonly int Helpers = helpers;
        public int Pending = helpers;
        public Exception? Error;

        public void Run()
        {
            try
            {
                Job!();
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref Error, e, null);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="job"/> on the calling thread and on <paramref name="helpers"/> workers at once and returns when all
    /// have finished; the first exception any of them threw is rethrown, inside an <see cref="AggregateException"/> as
    /// Parallel.For does. Returns false, having run nothing, when this thread is already inside a region or another thread's
    /// region holds the workers: the caller then runs the work itself.
    /// </summary>
    public static bool TryRun(Action job, int helpers)
    {
        if (t_inRegion || !Monitor.TryEnter(s_gate)) return false;
        try
        {
            EnsureWorkers(helpers);
            var region = new Region(job, helpers);
            Volatile.Write(ref s_region, region);
            for (int i = 0; i < helpers; i++) s_workers[i].Wake();
            t_inRegion = true;
            try
            {
                region.Run();
            }
            finally
            {
                t_inRegion = false;
            }
            var spin = new SpinWait();
            while (Volatile.Read(ref region.Pending) > 0) spin.SpinOnce(sleep1Threshold: -1);
            region.Job = null; // every helper is done, and workers outside Helpers never call it
            if (region.Error is Exception error) throw new AggregateException(error);
            return true;
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    private static void EnsureWorkers(int count)
    {
        if (s_workers.Length >= count) return;
        var grown = new Worker[count];
        Array.Copy(s_workers, grown, s_workers.Length);
        for (int i = s_workers.Length; i < count; i++) grown[i] = new Worker(i, Volatile.Read(ref s_region));
        s_workers = grown;
    }

    /// <summary>One dedicated thread: runs each region it is a helper of, spins briefly, then sleeps until woken.</summary>
    private sealed class Worker
    {
        private readonly int _index;
        private readonly SemaphoreSlim _wake = new(0);
        private Region? _seen;
        private int _sleeping;

        public Worker(int index, Region? current)
        {
            _index = index;
            _seen = current;
            // UnsafeStart: the worker lives for the process and must not capture the ExecutionContext of the call that
            // happened to create it (its no-grad scope or StepArena would stay reachable from it for good).
            new Thread(Loop) { IsBackground = true, Name = $"Xent kernel worker {index + 1}" }.UnsafeStart();
        }

        /// <summary>Releases the thread if it is asleep (exactly once per sleep).</summary>
        public void Wake()
        {
            if (Interlocked.CompareExchange(ref _sleeping, 0, 1) == 1) _wake.Release();
        }

        private void Loop()
        {
            t_inRegion = true; // a region started from a job's body runs inline
            while (true)
            {
                var region = WaitForNext();
                _seen = region;
                if (_index >= region.Helpers) continue; // a smaller region: not this worker's
                region.Run();
                Interlocked.Decrement(ref region.Pending);
            }
        }

        /// <summary>The next region: spins for <see cref="Spin"/>, then sleeps on the semaphore.</summary>
        private Region WaitForNext()
        {
            long start = Stopwatch.GetTimestamp();
            while (true)
            {
                var r = Volatile.Read(ref s_region);
                if (r != _seen) return r!;
                if (Stopwatch.GetTimestamp() - start < Volatile.Read(ref s_spinTicks))
                {
                    Thread.SpinWait(20);
                    continue;
                }
                // Announce the sleep, then look once more: a region published in between either is seen here or wakes us. The
                // announcement is a full fence (Interlocked), as Wake's exchange is: with a plain store the look below could be
                // served before the store left this core's store buffer, Wake would read 0 and release nothing, and the worker
                // would sleep through the region (it did, reliably, when a region came just as the spin ran out).
                Interlocked.Exchange(ref _sleeping, 1);
                r = Volatile.Read(ref s_region);
                if (r != _seen)
                {
                    if (Interlocked.CompareExchange(ref _sleeping, 0, 1) == 0) _wake.Wait(); // Wake() already released: consume it
                    return r!;
                }
                _wake.Wait();
                start = Stopwatch.GetTimestamp();
            }
        }
    }
}
