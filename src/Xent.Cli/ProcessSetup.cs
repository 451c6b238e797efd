using System.Runtime.InteropServices;
using System.Text;
using Xent.IO;

namespace Xent.Cli;

/// <summary>
/// What the process sets up before any command runs, so that its surroundings cannot turn an error into a crash or a
/// message that names nothing: a stdout or stderr that cannot be written, a file-size limit, and an address-space limit.
/// </summary>
internal static partial class ProcessSetup
{
    /// <summary>Applies the guards.</summary>
    public static void Apply()
    {
        Console.SetError(new LossyWriter(Console.Error));
        Console.SetOut(new StdoutWriter(Console.Out));
        IgnoreFileSizeSignal();
        Commands.ProcessMemory.BoundToRange(); // under ulimit -v, a heap at the top of its range dies of SIGSEGV
        FileReading.Waiting = (path, wait) => Console.Error.WriteLine(WaitingText(path, wait));
    }

    /// <summary>
    /// The line on stderr when opening a file has waited <see cref="FileReading.NoteAfter"/>: an input that is a named pipe no
    /// program has opened for writing yet, or an output that is one no program reads yet, where the open waits, as <c>cat</c>'s
    /// and <c>tee</c>'s do, and the command said nothing; or, for a file that is no pipe, a slow file system (a network mount),
    /// which is not called a pipe. It goes on waiting (the other program may be started next); Ctrl-C ends it as it ends any command.
    /// </summary>
    internal static string WaitingText(string path, OpenWait wait) => CliHost.Clean(wait switch
    {
        OpenWait.Writer => $"Waiting for a writer on '{path}' (a named pipe); Ctrl+C stops.",
        OpenWait.Reader => $"Waiting for a reader on '{path}' (a named pipe); Ctrl+C stops.",
        _ => $"Still opening '{path}' (a slow file system?); Ctrl+C stops.",
    });

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

    /// <summary>Passes everything to <paramref name="inner"/> and hands each write that fails to <see cref="Failed"/>.</summary>
    private abstract class GuardedWriter(TextWriter inner) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            try { inner.Write(value); }
            catch (Exception e) when (IsWriteFailure(e)) { Failed(e); }
        }

        public override void Write(char[] buffer, int index, int count)
        {
            try { inner.Write(buffer, index, count); }
            catch (Exception e) when (IsWriteFailure(e)) { Failed(e); }
        }

        public override void Write(string? value)
        {
            try { inner.Write(value); }
            catch (Exception e) when (IsWriteFailure(e)) { Failed(e); }
        }

        public override void WriteLine(string? value)
        {
            try { inner.WriteLine(value); }
            catch (Exception e) when (IsWriteFailure(e)) { Failed(e); }
        }

        public override void Flush()
        {
            try { inner.Flush(); }
            catch (Exception e) when (IsWriteFailure(e)) { Failed(e); }
        }

        /// <summary>What to do about a write that failed (it has not been written).</summary>
        protected abstract void Failed(Exception e);

        // EBADF (a closed descriptor) reads as UnauthorizedAccessException in .NET; ENOSPC and the rest as IOException.
        private static bool IsWriteFailure(Exception e) => e is IOException or UnauthorizedAccessException;
    }

    /// <summary>
    /// stderr that drops what it cannot write: with <c>2&gt;&amp;-</c> or <c>2&gt;/dev/full</c>, a warning or the error line
    /// itself threw again from the error path, and the process aborted (exit 134) instead of exiting with its code.
    /// </summary>
    private sealed class LossyWriter(TextWriter inner) : GuardedWriter(inner)
    {
        protected override void Failed(Exception e)
        {
            // Nowhere to report it: stderr is the place reports go.
        }
    }

    /// <summary>
    /// stdout whose failures say it is stdout: .NET reported a closed one (<c>&gt;&amp;-</c>) as "Access to the path is denied."
    /// and a full one as "No space left on device", naming nothing.
    /// </summary>
    private sealed class StdoutWriter(TextWriter inner) : GuardedWriter(inner)
    {
        private const int EBadF = 9;

        protected override void Failed(Exception e) => throw new IOException(e switch
        {
            UnauthorizedAccessException { InnerException: IOException { HResult: EBadF } } =>
                "cannot write to standard output: it is closed (bad file descriptor); redirect it to a file or /dev/null instead.",
            UnauthorizedAccessException { InnerException: IOException inner } => "cannot write to standard output: " + inner.Message,
            _ => "cannot write to standard output: " + e.Message,
        }, e);
    }
}
