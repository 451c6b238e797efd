using System.Globalization;

namespace Xent.IO;

/// <summary>
/// This process's own file descriptors as Linux's /proc shows them: which descriptor a path such as <c>/dev/fd/3</c> names,
/// and the open flags of a descriptor (the octal <c>flags:</c> line of /proc/self/fdinfo/N).
/// </summary>
internal static class ProcessDescriptors
{
    /// <summary>
    /// The N of a path that names this process's descriptor N (/dev/fd/N, /proc/self/fd/N, /proc/thread-self/fd/N, or
    /// /proc/PID/fd/N with this PID), or −1.
    /// </summary>
    public static int Number(string path)
    {
        string pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        foreach (string folder in (string[])["/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/", $"/proc/{pid}/fd/"])
        {
            if (path.StartsWith(folder, StringComparison.Ordinal)
                && int.TryParse(path.AsSpan(folder.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int fd))
                return fd;
        }
        return -1;
    }

    /// <summary>The open flags (O_APPEND, O_CLOEXEC, …) of descriptor <paramref name="fd"/>; null where /proc does not tell.</summary>
    /// <exception cref="FileNotFoundException">The descriptor is not open.</exception>
    public static int? Flags(int fd)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            string? flags = File.ReadLines($"/proc/self/fdinfo/{fd}").FirstOrDefault(l => l.StartsWith("flags:", StringComparison.Ordinal));
            return flags is null ? null : Convert.ToInt32(flags["flags:".Length..].Trim(), 8);
        }
        catch (Exception e) when (e is not FileNotFoundException
            && e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return null;
        }
    }
}
