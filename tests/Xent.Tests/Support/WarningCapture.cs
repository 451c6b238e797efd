using Xent.Diagnostics;

namespace Xent.Tests.Support;

/// <summary>
/// The library warnings an action gives (<see cref="Warnings"/>, whose once-per-process memory is reset first), collected
/// from any thread; the previous handler is restored afterwards. Tests that use it belong to a collection that keeps
/// warnings from running in parallel (<c>WarningsCollection</c>).
/// </summary>
public static class WarningCapture
{
    public static List<string> During(Action action)
    {
        var messages = new List<string>();
        var saved = Warnings.Handler;
        Warnings.Reset();
        Warnings.Handler = m => { lock (messages) messages.Add(m); };
        try
        {
            action();
        }
        finally
        {
            Warnings.Handler = saved;
        }
        return messages;
    }
}
