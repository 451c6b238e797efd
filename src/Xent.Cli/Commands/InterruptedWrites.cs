using System.Globalization;
using System.Runtime.InteropServices;
using Xent.IO;

namespace Xent.Cli.Commands;

/// <summary>
/// Ctrl-C (SIGINT) or SIGTERM while export, predict, eval, calibrate or loss runs: the process still ends with 128 + the signal (130,
/// 143), as <c>xent train</c> does, but first removes what its unfinished writes put on disk (the temporary file beside each
/// destination, the folders made for it; <see cref="WritesInFlight.Abandon"/>), so that a destination is either the file that was
/// there before or the whole new one, and prints one line saying so.
/// </summary>
internal static class InterruptedWrites
{
    /// <summary>
    /// The test hook's environment variable: a number of milliseconds to pause for (after one line on stderr) before each rename
    /// of a finished temporary file over its destination, so that a test can signal the command while its output is unfinished.
    /// </summary>
    public const string PauseVariable = "XENT_TEST_PAUSE_BEFORE_RENAME";

    /// <summary>Handles SIGINT and SIGTERM until disposed (and sets up the test hook when <see cref="PauseVariable"/> is set).</summary>
    public static IDisposable Handle()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(PauseVariable), NumberStyles.None, CultureInfo.InvariantCulture,
                out int pause))
        {
            AtomicFileWriter.BeforeRename = path =>
            {
                Console.Error.WriteLine($"{PauseVariable}: pausing {pause} ms before renaming over '{path}'.");
                Thread.Sleep(pause);
            };
        }
        return new Registrations(
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));
    }

    // Not cancelled: the runtime ends the process with the signal's usual exit code once the handler returns.
    private static void OnSignal(PosixSignalContext context)
    {
        var unwritten = WritesInFlight.Process.Abandon();
        Console.Error.WriteLine(CliHost.Clean(unwritten.Count switch
        {
            0 => "error: interrupted.",
            1 => $"error: interrupted; '{unwritten[0]}' was not written (a file of that name is as it was).",
            _ => $"error: interrupted; {string.Join(", ", unwritten.Select(p => $"'{p}'"))} were not written (files of those names " +
                "are as they were).",
        }));
    }

    private sealed class Registrations(params PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var r in registrations) r.Dispose();
        }
    }
}
