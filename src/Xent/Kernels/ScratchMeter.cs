namespace Xent.Kernels;

/// <summary>
/// Counts the scratch memory a kernel allocates for itself (bytes currently held and the peak),
/// so that benchmarks and tests can state a kernel's extra memory exactly rather than infer it
/// from the garbage collector. Thread-safe; pass one to a kernel call and read it afterwards.
/// </summary>
internal sealed class ScratchMeter
{
    private long _current, _peak, _total;

    /// <summary>Bytes of scratch held right now.</summary>
    public long CurrentBytes => Interlocked.Read(ref _current);

    /// <summary>Largest number of scratch bytes held at once since construction or <see cref="Reset"/>.</summary>
    public long PeakBytes => Interlocked.Read(ref _peak);

    /// <summary>Sum of every scratch allocation's size (what the garbage collector saw allocated).</summary>
    public long TotalBytes => Interlocked.Read(ref _total);

    /// <summary>Zeroes the counters.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _current, 0);
        Interlocked.Exchange(ref _peak, 0);
        Interlocked.Exchange(ref _total, 0);
    }

    /// <summary>Records that <paramref name="bytes"/> were allocated and are now held.</summary>
    public void Acquire(long bytes)
    {
        Interlocked.Add(ref _total, bytes);
        long now = Interlocked.Add(ref _current, bytes);
        long peak;
        while (now > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak) { }
    }

    /// <summary>Records that <paramref name="bytes"/> are no longer held.</summary>
    public void Release(long bytes) => Interlocked.Add(ref _current, -bytes);
}
