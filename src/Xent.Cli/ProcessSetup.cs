using System.Runtime.InteropServices;
using System.Text;

namespace Xent.Cli;

/// <summary>
/// What the process sets up before any command runs, so that its surroundings cannot turn an error into a crash: a stderr
/// that cannot be written, and a file-size limit.
/// </summary>
internal static partial class ProcessSetup
{
    /// <summary>Applies both guards.</summary>
    public static void Apply()
    {
        Console.SetError(new LossyWriter(Console.Error));
        IgnoreFileSizeSignal();
    }

    /// <summary>
    /// With <c>ulimit -f</c>, a write past the limit raises SIGXFSZ, whose default action kills the process at once and leaves
    /// its temporary files. Ignored (as CPython does), the write fails with EFBIG instead, and the ordinary error path
    /// reports it and removes them.
    /// </summary>
    private static void IgnoreFileSizeSignal()
    {
        if (!OperatingSystem.IsLinux()) return;
        const int SigXfsz = 25, SigIgn = 1;
        try
        {
            Signal(SigXfsz, SigIgn);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No libc to ask: the default action stays, as before.
        }
    }

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint Signal(int signal, nint handler);

    /// <summary>
    /// stderr that drops what it cannot write: with <c>2&gt;&amp;-</c> or <c>2&gt;/dev/full</c>, a warning or the error line
    /// itself threw again from the error path, and the process aborted (exit 134) instead of exiting with its code.
    /// </summary>
    private sealed class LossyWriter(TextWriter inner) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value) => Try(() => inner.Write(value));

        public override void Write(char[] buffer, int index, int count) => Try(() => inner.Write(buffer, index, count));

        public override void Write(string? value) => Try(() => inner.Write(value));

        public override void WriteLine(string? value) => Try(() => inner.WriteLine(value));

        public override void Flush() => Try(inner.Flush);

        private static void Try(Action write)
        {
            try
            {
                write();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) // EBADF reads as access denied
            {
                // Nowhere to report it: stderr is the place reports go.
            }
        }
    }
}
