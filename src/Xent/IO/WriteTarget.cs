using Microsoft.Win32.SafeHandles;

namespace Xent.IO;

/// <summary>
/// Where a write to a path the user gave really goes. A path that is, or links to, a device or a process's file descriptor
/// (<c>/dev/null</c>, <c>/dev/stdout</c>, <c>/dev/fd/63</c> from <c>&gt;(…)</c>, anything under <c>/proc</c>) is written
/// in place: renaming a temporary file over it would replace the device node (as root) or cut the pipe it stands for. So is an
/// existing named pipe (<c>mkfifo</c>) or device anywhere else (<c>mkfifo p; xent predict … --out p &amp; cat p</c>, as <c>tee p</c>
/// writes into it; <see cref="FileKinds"/>), and a socket, which cannot be opened as a file, is refused rather than replaced.
/// A symbolic link to a file is followed, so that the file it names gets the new content and the link stays a link. A link that
/// leads nowhere (to nothing, or round a loop) is not written through, nor replaced, as cp refuses it: <see cref="Refusal"/>.
/// </summary>
/// <param name="Path">The file to write (absolute).</param>
/// <param name="InPlace">Whether it is written in place rather than through a temporary file.</param>
/// <param name="Refusal">Why it may not be written (a link to nothing, or in a loop), or null.</param>
internal readonly record struct WriteTarget(string Path, bool InPlace, string? Refusal = null)
{
    /// <summary>The target of <paramref name="fullPath"/> (absolute).</summary>
    public static WriteTarget Of(string fullPath)
    {
        // Stopped at /dev and /proc, so that a link to /dev/stdout stops there (one hop further is /proc/self/fd/1, then "pipe:[…]").
        var walk = LinkWalk.Of(fullPath, IsSpecial);
        if (IsSpecial(walk.Path)) return new(walk.Path, InPlace: File.Exists(walk.Path));
        if (walk.Loop)
            return new(fullPath, false,
                "it is a symbolic link in a loop, or in a chain of more than 40 (Too many levels of symbolic links)");
        // Beyond PATH_MAX once its links are followed: the kernel still follows the path as given, so a new or plain file is
        // written there (the temporary file beside it); a link at its end would be replaced by the rename, not written through.
        if (walk.TooLong)
            return new FileInfo(fullPath).LinkTarget is null ? ByKind(fullPath, walk.Exists) : new(fullPath, false, LinkTooLong);
        // Writing through a link to nothing would create a file wherever it leads, and through a link into a folder out of reach
        // the rename would replace the link itself: both are refused, and the link stays as it is.
        if (walk.Link is { } link)
        {
            string which = link == fullPath ? "it is" : $"'{link}' on its way is";
            return new(fullPath, false, walk.Unreadable
                ? $"{which} a symbolic link into '{walk.Stop}', which this user may not reach (Permission denied)"
                : $"{which} a symbolic link to '{walk.Stop}', which does not exist; create it first, or remove the link");
        }
        // A folder out of reach on the path as given: the write fails.
        return walk.Unreadable ? new(fullPath, false) : ByKind(walk.Path, walk.Exists);
    }

    /// <summary>
    /// The target <paramref name="path"/> (links followed) as the kind of file there calls for: a pipe or a device is written in place,
    /// as /dev's are, a socket refused (<see cref="SocketRefusal"/>), and a regular file, a new one, or one whose kind cannot be told
    /// (not Linux) replaced by the temporary file. Only a path that exists is asked about.
    /// </summary>
    private static WriteTarget ByKind(string path, bool exists) => (exists ? FileKinds.Of(path) : FileKind.Unknown) switch
    {
        FileKind.Fifo or FileKind.CharDevice or FileKind.BlockDevice => new(path, InPlace: true),
        FileKind.Socket => new(path, false, SocketRefusal),
        _ => new(path, false),
    };

    /// <summary>Why a socket is not written: open(2) refuses it, and a rename over it would remove it from under its program.</summary>
    internal const string SocketRefusal =
        "it is a socket, which a program connects to and no file can be written into; name a file, or remove the socket";

    /// <summary>
    /// Why a link whose target, with its links followed, is longer than PATH_MAX is not written through: the file it leads to has no
    /// path a rename takes.
    /// </summary>
    internal static string LinkTooLong =>
        $"it is a symbolic link, and the path it leads to is longer than one path may be (PATH_MAX {LinkWalk.PathMax}) once its " +
        "links are followed, so xent cannot replace the file there and keep the link; name that file by a shorter path, or remove " +
        "the link";

    /// <summary>Whether the target is this process's standard output (written in place, through the console's stream).</summary>
    public bool IsStandardOutput => InPlace && NamesStandardStream(Path, 1);

    /// <summary>
    /// Whether <paramref name="path"/>, as written (no link followed), names this process's standard output (<paramref name="fd"/>
    /// 1: /dev/stdout) or error (2: /dev/stderr), or that descriptor as /dev/fd/N or /proc/…/fd/N.
    /// </summary>
    internal static bool NamesStandardStream(string path, int fd) =>
        path == (fd == 1 ? "/dev/stdout" : "/dev/stderr") || ProcessDescriptors.Number(path) == fd;

    /// <summary>
    /// Paths under /proc and under /dev (other than /dev/shm, a plain file system) stand for devices, pipes and descriptors.
    /// </summary>
    internal static bool IsSpecial(string path) =>
        (path.StartsWith("/dev/", StringComparison.Ordinal) && path != "/dev/shm"
            && !path.StartsWith("/dev/shm/", StringComparison.Ordinal))
        || path.StartsWith("/proc/", StringComparison.Ordinal);

    /// <summary>
    /// Opens an in-place target for writing: the process's own standard output or error stream where the path names it (so
    /// that what the command writes there and what it prints share one position), otherwise the path itself, which must exist.
    /// Opening a named pipe waits for a reader, as <c>tee</c>'s open does: after a second it is told, under the name
    /// <paramref name="shown"/> (the path as the user gave it), as an input's wait is (<see cref="FileReading.Opening{T}"/>).
    /// </summary>
    public Stream OpenInPlace(string shown) => Path switch
    {
        _ when IsStandardOutput => new KeepOpenStream(StandardStream(1, Console.OpenStandardOutput)),
        _ when NamesStandardStream(Path, 2) => new KeepOpenStream(StandardStream(2, Console.OpenStandardError)),
        // A descriptor the shell opened for appending (exec 5>>log.csv; --out /dev/fd/5) is appended to, as /dev/stdout opened
        // with >> is: opened again by its path, it was written from its start (qa-s20-b L5).
        _ => Open(Path, shown),
    };

    private static FileStream Open(string path, string shown) =>
        FileReading.Opening(shown, forWriting: true, () => new FileStream(path, Appends(path) ? FileMode.Append : FileMode.Open,
            FileAccess.Write, FileShare.ReadWrite, bufferSize: 1 << 16));

    /// <summary>O_APPEND in the octal <c>flags:</c> line of /proc/self/fdinfo/N.</summary>
    private const int AppendFlag = 0x400;

    /// <summary>
    /// Whether <paramref name="path"/> names one of this process's descriptors (/dev/fd/N, /proc/self/fd/N) that is open with
    /// O_APPEND; false for any other path, or where /proc does not tell.
    /// </summary>
    internal static bool Appends(string path)
    {
        if (ProcessDescriptors.Number(path) is not (>= 0 and var fd)) return false;
        try
        {
            return ProcessDescriptors.Flags(fd) is int flags && (flags & AppendFlag) != 0;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// A stream on the standard descriptor <paramref name="fd"/>. A pipe (or terminal, socket) is written through the descriptor
    /// itself, whose writes fail with EPIPE when the reader has closed it: the console's stream drops such writes silently, so
    /// <c>--out /dev/stdout | head -1</c> claimed the whole file was written. A file stays with the console's stream
    /// (<paramref name="console"/>), which writes at the descriptor's shared position; a FileStream would keep its own, and
    /// what the shell writes after the command would overwrite the output.
    /// </summary>
    private static Stream StandardStream(int fd, Func<Stream> console)
    {
        if (OperatingSystem.IsWindows()) return console();
        FileStream? stream = null;
        try
        {
            stream = new FileStream(new SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, bufferSize: 0);
            if (!stream.CanSeek) return stream;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // A closed descriptor: the console's stream reports it as before.
        }
        stream?.Dispose(); // the descriptor is not closed: the handle does not own it
        return console();
    }

    /// <summary>Writes through to the process's standard stream and flushes, but never closes it.</summary>
    private sealed class KeepOpenStream(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Flush() => inner.Flush();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        protected override void Dispose(bool disposing) => inner.Flush();
    }
}
