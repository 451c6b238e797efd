using System.Collections.Concurrent;

namespace Xent.Diagnostics;

/// <summary>
/// One-time warnings about likely mistakes (PyTorch's <c>warnings.warn</c> with its once-per-location
/// default): each <c>key</c> is reported at most once per process.
/// </summary>
public static class Warnings
{
    private static readonly ConcurrentDictionary<string, bool> s_seen = new();

    /// <summary>Receives each warning's text; when null, warnings go to <see cref="Console.Error"/>.</summary>
    public static Action<string>? Handler { get; set; }

    /// <summary>Reports <paramref name="message"/> unless a warning with <paramref name="key"/> was already reported.</summary>
    public static void Warn(string key, string message)
    {
        if (!s_seen.TryAdd(key, true)) return;
        var handler = Handler;
        if (handler is not null) handler(message);
        else Console.Error.WriteLine("warning: " + message);
    }

    /// <summary>Forgets which keys were reported, so each can be reported again (for tests).</summary>
    public static void Reset() => s_seen.Clear();
}
