using Xent.IO;

namespace Xent.Cli.Commands;

/// <summary>
/// Tells a descriptor the program that started xent gave it (<c>3&gt;file</c>, <c>&gt;(…)</c>) from one the process opened itself.
/// The .NET runtime opens descriptors before any of xent's code runs (a pipe at 3 and 4, each library it loads), so
/// <c>--out /dev/fd/3</c>, where the shell opened nothing, would write into the runtime's own pipe and report success, while
/// <c>echo &gt; /dev/fd/3</c> in that shell fails. The rule: every descriptor the runtime opens is close-on-exec, and no inherited
/// one can be (exec closes those), so a close-on-exec descriptor above 2 is the process's own. Known only on Linux, from
/// /proc/self/fdinfo; elsewhere every descriptor counts as given.
/// </summary>
internal static class OwnDescriptors
{
    /// <summary>O_CLOEXEC in the octal <c>flags:</c> line of /proc/self/fdinfo/N.</summary>
    private const int CloseOnExec = 0x80000;

    /// <summary>
    /// The descriptor above 2 that <paramref name="path"/> (absolute, links followed up to /dev or /proc) names in this process
    /// (/dev/fd/N, /proc/self/fd/N, /proc/thread-self/fd/N, /proc/PID/fd/N with this PID) where the process was not given it:
    /// <c>Open</c> when the process opened it itself, not when it is not open at all (the runtime may open one there before the
    /// write: a library, which the write would then replace in place). Null for any other path, or where nothing tells.
    /// </summary>
    public static (int Fd, bool Open)? NotGiven(string path)
    {
        if (!OperatingSystem.IsLinux() || ProcessDescriptors.Number(path) is not (> 2 and var fd)) return null;
        try
        {
            return ProcessDescriptors.Flags(fd) is int flags && (flags & CloseOnExec) != 0 ? (fd, true) : null;
        }
        catch (FileNotFoundException)
        {
            return (fd, false);
        }
    }
}
