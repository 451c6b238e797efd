namespace Xent.Data;

/// <summary>
/// Bounds how many pixels are being decoded at once across threads: a decode takes its image's pixel count before it starts and
/// gives it back when done, and waits while the others hold too much. An image of at least the whole budget is decoded alone,
/// while small ones still decode on every core. Each holder takes once and gives back without waiting on anything, so no
/// decode waits forever.
/// </summary>
internal sealed class PixelBudget(long capacity)
{
    private readonly object _gate = new();
    private long _inUse, _peak;

    /// <summary>The most pixels held at once.</summary>
    public long Capacity { get; } = capacity;

    /// <summary>The pixels held now (for tests).</summary>
    public long InUse
    {
        get { lock (_gate) return _inUse; }
    }

    /// <summary>The most pixels held at once so far (for tests).</summary>
    public long Peak
    {
        get { lock (_gate) return _peak; }
    }

    /// <summary>
    /// Waits until <paramref name="pixels"/> (at most <see cref="Capacity"/>) fit, takes them, and returns what was taken.
    /// </summary>
    public long Take(long pixels)
    {
        long n = Math.Clamp(pixels, 0, Capacity);
        lock (_gate)
        {
            while (_inUse + n > Capacity) Monitor.Wait(_gate);
            _inUse += n;
            _peak = Math.Max(_peak, _inUse);
        }
        return n;
    }

    /// <summary>Gives back what <see cref="Take"/> returned.</summary>
    public void Give(long taken)
    {
        lock (_gate)
        {
            _inUse -= taken;
            Monitor.PulseAll(_gate);
        }
    }
}
