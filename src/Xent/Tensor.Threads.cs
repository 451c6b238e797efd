using Xent.Kernels;

namespace Xent;

public partial class Tensor
{
    /// <summary>
    /// Sets how many threads Xent's kernels may use, like <c>torch.set_num_threads</c> (default: the processor count; the
    /// CLI's <c>--threads</c>). Results do not depend on it: the work is cut into chunks by the problem's size, never by the
    /// thread count. A server handling many requests at once may prefer 1: only one call at a time uses the kernel workers,
    /// and the others compute on their own threads anyway.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1, or more than 1024 (or the
    /// processor count where that is more): each thread beyond the calling one is a thread of its own.</exception>
    public static void SetNumThreads(int threads)
    {
        if (threads < 1)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, $"Number of threads must be positive, got {threads}.");
        if (threads > KernelParallel.ThreadLimit)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, $"Number of threads must be at most " +
                $"{KernelParallel.ThreadLimit} (each one beyond the calling thread is a thread of its own), got {threads}.");
        KernelParallel.MaxThreads = threads;
    }

    /// <summary>How many threads Xent's kernels may use (<see cref="SetNumThreads"/>), like <c>torch.get_num_threads</c>.</summary>
    public static int GetNumThreads() => KernelParallel.MaxThreads;
}
