using System.Collections.Concurrent;

namespace Xent.Diagnostics;

/// <summary>
/// Once-per-key warnings, like Python's <c>warnings.warn</c> with its default "once per location" filter:
/// PyTorch-compatible behaviour that PyTorch itself warns about (e.g. 2-D input to <c>dropout2d</c>) is
/// reported the first time it happens, not on every batch.
/// </summary>
public static class Warnings
{
    private static readonly ConcurrentDictionary<string, byte> s_seen = new();
    private static Action<string> s_handler = DefaultHandler;

    /// <summary>The default sink: writes <c>Warning: message</c> to <see cref="Console.Error"/>.</summary>
    public static void DefaultHandler(string message) => Console.Error.WriteLine("Warning: " + message);

    /// <summary>
    /// Receives each warning's message (default <see cref="DefaultHandler"/>). Tests and the CLI set it to
    /// capture or format warnings; setting null restores the default.
    /// </summary>
    public static Action<string> Handler
    {
        get => s_handler;
        set => s_handler = value ?? DefaultHandler;
    }

    /// <summary>
    /// Sends <paramref name="message"/> to <see cref="Handler"/> unless a warning with the same
    /// <paramref name="key"/> was already sent. Returns true when the warning was sent.
    /// </summary>
    public static bool Warn(string key, string message)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (t_muted > 0 || !s_seen.TryAdd(key, 0)) return false;
        s_handler(message);
        return true;
    }

    /// <summary>Forgets which keys have warned, so each warns again once (for tests and long-lived hosts).</summary>
    public static void Reset() => s_seen.Clear();

    [ThreadStatic] private static int t_muted;

    /// <summary>
    /// Until disposed, this thread's warnings are neither sent nor remembered: a check that runs the model on a made-up input
    /// (<see cref="Training.Predictor"/>'s) stays silent, and the first real input still warns.
    /// </summary>
    internal static MutedScope Mute()
    {
        t_muted++;
        return default;
    }

    /// <summary>Ends a <see cref="Mute"/> scope.</summary>
    internal readonly struct MutedScope : IDisposable
    {
        public void Dispose() => t_muted--;
    }
}
