using System.Runtime.InteropServices;
using System.Text;

namespace Xent.IO;

/// <summary>The type of file a path leads to, as the file type bits of its status (<c>S_IFMT</c>) give it.</summary>
internal enum FileKind
{
    /// <summary>Not known: the path does not exist or cannot be examined, or the system does not tell (only Linux is asked).</summary>
    Unknown,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A folder.</summary>
    Directory,

    /// <summary>A pipe: a named one (<c>mkfifo</c>), or an anonymous one reached through <c>/proc/self/fd/N</c>.</summary>
    Fifo,

    /// <summary>A character device (<c>/dev/null</c>, a terminal).</summary>
    CharDevice,

    /// <summary>A block device (a disk).</summary>
    BlockDevice,

    /// <summary>A Unix domain socket, which a program connects to and <c>open(2)</c> refuses (ENXIO).</summary>
    Socket,
}

/// <summary>
/// What kind of file a path leads to (its links followed), without opening it. .NET has no call that tells: <see cref="FileInfo"/>
/// gives a named pipe's, a device's and a socket's attributes as <see cref="FileAttributes.Normal"/> and their length as 0, as an
/// empty file's, and <see cref="FileSystemInfo.UnixFileMode"/> keeps only the permission bits. Opening the path would tell, but
/// opening a pipe waits for a program at its other end, and opening it for reading and writing (which does not wait) would end
/// the wait of a reader already there with nothing to read. So Linux is asked with statx(2), whose result has one layout on every
/// architecture (stat's differs between x64 and arm64); elsewhere, or where libc lacks statx (musl before 1.2.5), the kind is
/// <see cref="FileKind.Unknown"/>, which callers take as they took every path before (a file).
/// </summary>
internal static unsafe class FileKinds
{
    /// <summary>Whether libc has statx; cleared by the first call that finds it has not, so that later ones do not try.</summary>
    private static bool s_available = OperatingSystem.IsLinux();

    /// <summary>The kind of file <paramref name="path"/> (absolute, or relative to the current folder) leads to.</summary>
    public static FileKind Of(string path)
    {
        if (!s_available || string.IsNullOrEmpty(path) || path.Contains('\0', StringComparison.Ordinal)) return FileKind.Unknown;
        byte[] name = new byte[Encoding.UTF8.GetByteCount(path) + 1]; // NUL-terminated
        Encoding.UTF8.GetBytes(path, name);
        byte* status = stackalloc byte[StatxSize];
        int result;
        try
        {
            fixed (byte* p = name) result = Statx(AtFdCwd, p, 0, StatxType, status);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_available = false;
            return FileKind.Unknown;
        }
        if (result != 0 || (*(uint*)status & StatxType) == 0) return FileKind.Unknown; // stx_mask: the type was filled in
        return (*(ushort*)(status + ModeOffset) & TypeMask) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharDevice,
            0x6000 => FileKind.BlockDevice,
            0xC000 => FileKind.Socket,
            _ => FileKind.Unknown,
        };
    }

    /// <summary>AT_FDCWD: a relative path is taken from the current folder, as .NET's own calls take it.</summary>
    private const int AtFdCwd = -100;

    /// <summary>STATX_TYPE, the field asked for (and, in stx_mask, the field given).</summary>
    private const uint StatxType = 1;

    /// <summary>The size of struct statx (256 bytes, with its spare fields), and the offset of its 16-bit stx_mode.</summary>
    private const int StatxSize = 256, ModeOffset = 28;

    /// <summary>S_IFMT: the file type bits of a mode.</summary>
    private const int TypeMask = 0xF000;

    // DllImport, not LibraryImport, as OpenFileLimit's: the arguments are blittable, and the runtime's own marshalling loads nothing
    // more. Flags 0: the path's links are followed, as an open follows them.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "statx")]
    private static extern int Statx(int dirFd, byte* path, int flags, uint mask, byte* status);
#pragma warning restore SYSLIB1054
}
