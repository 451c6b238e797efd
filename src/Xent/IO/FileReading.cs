using System.Text;

namespace Xent.IO;

/// <summary>
/// Where the library opens the files it reads (data, labels, images, checkpoints, a run's metrics), so that an open that waits can
/// be told to the user by the caller, not by the library: opening a named pipe (FIFO) for reading waits in the kernel until a
/// program opens it for writing, as <c>cat</c> does, and a command given one without a writer sat silent. Opening one for writing
/// waits for a reader the same way (an output written in place, <see cref="WriteTarget.OpenInPlace"/>, goes through
/// <see cref="Opening{T}"/> too). The open is not moved to another thread: a timer says when it has taken <see cref="NoteAfter"/>,
/// so a regular file opens as before (no thread hop and no extra system call: a FIFO cannot be told from a file before it is
/// opened without one — FileInfo gives a FIFO's attributes as Normal, and a link's own length rather than its target's — so the
/// kind of file, <see cref="FileKinds"/>, is asked only once the second has passed), and a signal (Ctrl-C) ends the waiting
/// process as it always did.
/// </summary>
internal static class FileReading
{
    /// <summary>How long an open may wait before <see cref="Waiting"/> is told.</summary>
    public static readonly TimeSpan NoteAfter = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Called once per open, on a thread-pool thread and with the path as the caller gave it, when opening a file has not returned
    /// after <see cref="NoteAfter"/>, with what the open waits for (<see cref="OpenWait"/>); the open goes on waiting. Null (the
    /// default, a library in someone's app): nothing is timed. The CLI sets it to print a line on stderr. On a local disk only a
    /// FIFO waits that long; a slow file system (a network mount that does not answer) is the other cause.
    /// </summary>
    internal static Action<string, OpenWait>? Waiting { get; set; }

    /// <summary>Opens <paramref name="path"/> as <see cref="File.OpenRead"/> does (shared read access), with the given buffer.</summary>
    public static FileStream OpenRead(string path, int bufferSize = 4096) =>
        Waiting is null ? Open(path, bufferSize) : Opening(path, forWriting: false, () => Open(path, bufferSize));

    /// <summary>
    /// Runs <paramref name="open"/>, an open of <paramref name="path"/> (for writing when <paramref name="forWriting"/>), on this
    /// thread, and tells <see cref="Waiting"/> when it has not returned after <see cref="NoteAfter"/>: a FIFO's other end is waited
    /// for (<see cref="OpenWait.Writer"/> for a read, <see cref="OpenWait.Reader"/> for a write), anything else is a slow file
    /// system (<see cref="OpenWait.SlowFileSystem"/>). Which it is, is asked then, not before: a file that opens at once costs no
    /// more than its open.
    /// </summary>
    internal static T Opening<T>(string path, bool forWriting, Func<T> open)
    {
        if (Waiting is not { } note) return open();
        var pending = new Pending(path, forWriting, note);
        using (new Timer(Pending.Elapsed, pending, NoteAfter, Timeout.InfiniteTimeSpan))
        {
            try
            {
                return open();
            }
            finally
            {
                pending.Done = true; // an open that returns as the timer fires says nothing
            }
        }
    }

    /// <summary>
    /// A reader of <paramref name="path"/>'s text, as <see cref="File.OpenText"/> (UTF-8 unless a byte-order mark says otherwise).
    /// </summary>
    public static StreamReader OpenText(string path) => new(OpenRead(path), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);

    /// <summary>
    /// The lines of <paramref name="path"/>, as <see cref="File.ReadLines(string)"/>: the file is opened at once, read as the lines
    /// are enumerated, and closed at their end.
    /// </summary>
    public static IEnumerable<string> ReadLines(string path)
    {
        var reader = OpenText(path);
        return Lines(reader);

        static IEnumerable<string> Lines(StreamReader reader)
        {
            using (reader)
                while (reader.ReadLine() is { } line) yield return line;
        }
    }

    private static FileStream Open(string path, int bufferSize) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize);

    private sealed class Pending(string path, bool forWriting, Action<string, OpenWait> note)
    {
        public volatile bool Done;

        public static void Elapsed(object? state)
        {
            var pending = (Pending)state!;
            if (!pending.Done) pending.Note();
        }

        // A pipe only where the path leads to one: a network mount that is slow to answer waits as long, for no other program.
        private void Note() => note(path, FileKinds.Of(path) != FileKind.Fifo ? OpenWait.SlowFileSystem
            : forWriting ? OpenWait.Reader : OpenWait.Writer);
    }
}

/// <summary>What an open that has waited <see cref="FileReading.NoteAfter"/> waits for (<see cref="FileReading.Waiting"/>).</summary>
internal enum OpenWait
{
    /// <summary>A named pipe opened for reading, whose open waits for a program to open it for writing.</summary>
    Writer,

    /// <summary>A named pipe opened for writing, whose open waits for a program to open it for reading.</summary>
    Reader,

    /// <summary>Not a pipe: the file system is slow to answer (a network mount), or the kind of file cannot be told.</summary>
    SlowFileSystem,
}
