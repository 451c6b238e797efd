namespace Xent.Kernels;

/// <summary>
/// Splits index ranges across threads. Chunk boundaries depend only on the range and the
/// chunk size, never on the thread count, so a kernel that writes disjoint outputs per chunk,
/// or combines per-chunk partial results in chunk order, gives bit-identical results whatever
/// the number of threads.
/// </summary>
internal static class KernelParallel
{
    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>
    /// Most threads <see cref="MaxThreads"/> may be set to: 1024, or the processor count where that is more. Each thread beyond
    /// the calling one is a dedicated OS thread (<see cref="KernelWorkers"/>), so int.MaxValue started one per chunk of a large
    /// kernel, thousands of them.
    /// </summary>
    public static int ThreadLimit { get; } = Math.Max(1024, Environment.ProcessorCount);

    /// <summary>Upper bound on the threads a kernel may use (default: the processor count), from 1 to <see cref="ThreadLimit"/>.</summary>
    public static int MaxThreads
    {
        get => s_maxThreads;
        set => s_maxThreads = value >= 1 && value <= ThreadLimit ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"MaxThreads must be from 1 to {ThreadLimit}.");
    }

    /// <summary>Number of fixed-size chunks that cover <paramref name="length"/> items.</summary>
    public static int ChunkCount(int length, int chunkSize) => length <= 0 ? 0 : (length + chunkSize - 1) / chunkSize;

    /// <summary>
    /// Runs <paramref name="body"/>(chunkIndex, start, end) for each chunk of <paramref name="chunkSize"/>
    /// items of [0, <paramref name="length"/>). Runs inline when one chunk or one thread suffices.
    /// </summary>
    public static void ForChunks(int length, int chunkSize, Action<int, int, int> body) =>
        ForChunks(length, chunkSize, 0, body);

    /// <summary>
    /// Below this much work (items × <c>workPerItem</c>, roughly element-operations) a kernel runs on the
    /// calling thread: waking a pool thread costs tens of microseconds on a quiet machine and
    /// milliseconds on a loaded one, more than a few hundred thousand elements take on one core.
    /// </summary>
    public const long SerialWorkLimit = 1L << 18;

    /// <summary>
    /// <see cref="ForChunks(int, int, Action{int, int, int})"/> that stays on the calling thread when
    /// <paramref name="length"/> × <paramref name="workPerItem"/> is below <see cref="SerialWorkLimit"/>
    /// (0: no estimate, always parallel). The chunks, and so the results, are the same either way.
    /// </summary>
    public static void ForChunks(int length, int chunkSize, long workPerItem, Action<int, int, int> body)
    {
        int chunks = ChunkCount(length, chunkSize);
        if (chunks == 0) return;
        int threads = Math.Min(s_maxThreads, chunks);
        if (workPerItem > 0 && (long)length * workPerItem < SerialWorkLimit) threads = 1;
        if (threads == 1)
        {
            for (int c = 0; c < chunks; c++) body(c, c * chunkSize, Math.Min(length, (c + 1) * chunkSize));
            return;
        }
        // Chunks are handed out dynamically, but each chunk's output is fixed by its index.
        int next = -1;
        void Take()
        {
            int c;
            while ((c = Interlocked.Increment(ref next)) < chunks)
                body(c, c * chunkSize, Math.Min(length, (c + 1) * chunkSize));
        }
        if (!KernelWorkers.TryRun(Take, threads - 1)) Take();
    }
}
