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

    /// <summary>The refusal line for a limit below <see cref="Needed"/>, or null (also where the limit cannot be read).</summary>
    public static string? Refusal() => Refusal(SoftLimit());

    /// <summary>The refusal line for the soft limit <paramref name="limit"/>, or null when it is enough or unknown.</summary>
    internal static string? Refusal(ulong? limit) => limit < Needed
        ? $"error: this process may have only {limit} files open at once (ulimit -n {limit}), and xent needs {Needed}: the .NET " +
          "runtime keeps each library it loads open. Raise the limit, e.g. 'ulimit -n 1024'."
        : null;

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

    /// <summary>The soft RLIMIT_NOFILE, or null where it cannot be read (Windows, no libc) or is unlimited.</summary>
    private static ulong? SoftLimit()
    {
        // RLIMIT_NOFILE is 7 on Linux and 8 on macOS and the BSDs; rlim_t is 64 bits on both.
        int resource = OperatingSystem.IsLinux() ? 7 : OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? 8 : -1;
        if (resource < 0) return null;
        try
        {
            return GetRLimit(resource, out var limit) == 0 && limit.Current != ulong.MaxValue ? limit.Current : null;
        }
        catch (TypeLoadException) // as in Refuse: naming the two subclasses would load System.Runtime.InteropServices
        {
            return null;
        }
    }

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
