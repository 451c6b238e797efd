using System.Runtime.InteropServices;
using System.Text;

namespace Xent.Cli;

/// <summary>
/// The process's limit on open files (<c>ulimit -n</c>), checked before anything else runs. The .NET runtime keeps each
/// library it loads open, and a command uses up to about 75 descriptors (train); below that, loading one failed with EMFILE
/// partway through the command, which .NET reports as "Could not load file or assembly 'System.IO.Pipelines' … The system
/// cannot find the file specified." Below about 21 the runtime fails while starting (its own JIT and System.Runtime), before
/// this check can run.
/// </summary>
internal static class OpenFileLimit
{
    /// <summary>The limit xent asks for: its commands' needs with room for data loaders, MPI and the runtime's own files.</summary>
    public const int Needed = 128;

    /// <summary>
    /// The refusal line when the process may not open <see cref="Needed"/> files, or null (also where the limit cannot be read).
    /// The .NET runtime raises the soft limit to the hard limit as it starts, so what is compared is in effect the hard limit,
    /// which only root can raise.
    /// </summary>
    public static string? Refusal()
    {
        int resource = Resource();
        if (resource < 0) return null;
        try
        {
            if (GetRLimit(resource, out var limit) != 0 || limit.Current >= Needed) return null;
            return Refusal(limit.Current, limit.Maximum);
        }
        catch (TypeLoadException) // no libc to call (DllNotFoundException, EntryPointNotFoundException): naming the two subclasses
        {                         // would load System.Runtime.InteropServices
            return null;
        }
    }

    /// <summary>The refusal line for the soft limit <paramref name="soft"/> under the hard limit <paramref name="hard"/>.</summary>
    internal static string Refusal(ulong soft, ulong hard) =>
        $"error: this process may have only {soft} files open at once (ulimit -n {soft}; its hard limit is {hard}), and xent " +
        $"needs {Needed}: the .NET runtime keeps each library it loads open. Start xent from a shell whose hard limit is higher " +
        "(ulimit -Hn; only root can raise it).";

    /// <summary>
    /// Writes <paramref name="line"/> to stderr directly (System.Console is itself a library that may not load) and returns
    /// <see cref="ExitCodes.BadInput"/>.
    /// </summary>
    public static int Refuse(string line)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line + "\n");
        try
        {
            Write(2, bytes, bytes.Length); // one short write; a closed or full stderr fails it, and the exit code still says it
        }
        catch (TypeLoadException) // no libc to call (DllNotFoundException, EntryPointNotFoundException)
        {
        }
        return ExitCodes.BadInput;
    }

    /// <summary>RLIMIT_NOFILE: 7 on Linux, 8 on macOS and the BSDs (rlim_t is 64 bits on both); -1 elsewhere.</summary>
    private static int Resource() => OperatingSystem.IsLinux() ? 7 : OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? 8 : -1;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    // DllImport, not LibraryImport: the source-generated stubs load System.Runtime.InteropServices and System.Memory, two more
    // files to open; the runtime's own marshalling of these blittable arguments needs none.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "getrlimit")]
    private static extern int GetRLimit(int resource, out RLimit limit);

    [DllImport("libc", EntryPoint = "write")]
    private static extern nint Write(int fd, byte[] buffer, nint count);
#pragma warning restore SYSLIB1054
}
