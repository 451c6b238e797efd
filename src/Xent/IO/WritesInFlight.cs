namespace Xent.IO;

/// <summary>
/// What the writes in progress have put on disk so far (an <see cref="AtomicFileWriter"/>'s temporary file, a folder made for an
/// output), each with the action that removes it, so that a process interrupted by Ctrl-C or SIGTERM can remove them before it
/// ends: <see cref="Abandon"/> runs those actions and stops every later write. The steps that create such a thing or complete a
/// write (creating the temporary file, renaming it over its destination) run under the same lock as <see cref="Abandon"/>: a
/// rename is either done before the handler looks (the destination is whole, nothing is left to remove) or never done.
/// </summary>
internal sealed class WritesInFlight
{
    /// <summary>
    /// The process's writes. <see cref="Abandon"/> is called only as the process ends on a signal, so after it every write waits
    /// for that end instead of going on.
    /// </summary>
    public static WritesInFlight Process { get; } = new(() => Thread.Sleep(Timeout.Infinite));

    private readonly Lock _lock = new();
    private readonly List<Entry> _entries = [];
    private readonly Action _stopped;
    private bool _abandoned;

    /// <param name="stopped">What a write does once <see cref="Abandon"/> has run (the process waits for its end); when it
    /// returns (tests), the write throws <see cref="OperationCanceledException"/>.</param>
    internal WritesInFlight(Action stopped) => _stopped = stopped;

    /// <summary>One thing a write put on disk, and how to remove it (compared by reference).</summary>
    internal sealed class Entry(string? destination, Action remove)
    {
        /// <summary>The file the write is for (as the caller named it), or null for a folder.</summary>
        public string? Destination { get; } = destination;

        /// <summary>Removes it; does not throw for a file or folder that is already gone.</summary>
        public Action Remove { get; } = remove;
    }

    /// <summary>
    /// Registers <paramref name="remove"/> and runs <paramref name="create"/>, which puts the thing on disk, both before
    /// <see cref="Abandon"/> can run; when <paramref name="create"/> throws, <paramref name="remove"/> runs at once (it may have
    /// created part of it). After <see cref="Abandon"/>, nothing is created.
    /// </summary>
    public (T Result, Entry Entry) Start<T>(string? destination, Func<T> create, Action remove)
    {
        lock (_lock)
        {
            if (!_abandoned)
            {
                var entry = new Entry(destination, remove);
                _entries.Add(entry);
                try
                {
                    return (create(), entry);
                }
                catch
                {
                    _entries.Remove(entry);
                    remove();
                    throw;
                }
            }
        }
        throw Stopped();
    }

    /// <summary>
    /// Runs <paramref name="complete"/> (the rename that finishes the write, or nothing) and forgets <paramref name="entry"/>,
    /// unless <see cref="Abandon"/> has run: then the write is not completed. When <paramref name="complete"/> throws, the
    /// entry stays registered, for the caller's <see cref="Remove"/>.
    /// </summary>
    public void Finish(Entry entry, Action? complete = null)
    {
        lock (_lock)
        {
            if (!_abandoned)
            {
                complete?.Invoke();
                _entries.Remove(entry);
                return;
            }
        }
        throw Stopped();
    }

    /// <summary>Removes what <paramref name="entry"/> put on disk now (a write that failed), unless that was done already.</summary>
    public void Remove(Entry entry)
    {
        lock (_lock)
        {
            if (_entries.Remove(entry)) entry.Remove();
        }
    }

    /// <summary>
    /// Removes everything the writes in progress put on disk, newest first (a temporary file before the folder made for it), and
    /// stops every later write; returns the destinations of the files that were not written. Never throws: a file that cannot be
    /// removed is left.
    /// </summary>
    public IReadOnlyList<string> Abandon()
    {
        lock (_lock)
        {
            _abandoned = true;
            var unwritten = new List<string>();
            for (int i = _entries.Count - 1; i >= 0; i--)
            {
                if (_entries[i].Destination is { } destination) unwritten.Insert(0, destination);
                try
                {
                    _entries[i].Remove();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The process ends anyway; what could not be removed stays.
                }
            }
            _entries.Clear();
            return unwritten;
        }
    }

    private OperationCanceledException Stopped()
    {
        _stopped();
        return new OperationCanceledException("The process was interrupted; its writes were abandoned.");
    }
}
