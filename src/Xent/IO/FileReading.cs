using System.Text;

namespace Xent.IO;

/// <summary>
/// Where the library opens the files it reads (data, labels, images, checkpoints, a run's metrics), so that an open that waits can
/// be told to the user by the caller, not by the library: opening a named pipe (FIFO) for reading waits in the kernel until a
/// program opens it for writing, as <c>cat</c> does, and a command given one without a writer sat silent. The open is not moved
/// to another thread: a timer says when it has taken <see cref="NoteAfter"/>, so a regular file opens as before (no thread hop and
/// no extra system call: a FIFO cannot be told from a file before it is opened without one — FileInfo gives a FIFO's attributes as
/// Normal, and a link's own length rather than its target's), and a signal (Ctrl-C) ends the waiting process as it always did.
/// </summary>
internal static class FileReading
{
    /// <summary>How long an open may wait before <see cref="WaitingForWriter"/> is told.</summary>
    public static readonly TimeSpan NoteAfter = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Called once per open, on a thread-pool thread and with the path as the caller gave it, when opening a file for reading has
    /// not returned after <see cref="NoteAfter"/>; the open goes on waiting. Null (the default, a library in someone's app):
    /// nothing is timed. The CLI sets it to print a line on stderr. Only a FIFO without a writer waits that long on a local disk.
    /// </summary>
    internal static Action<string>? WaitingForWriter { get; set; }

    /// <summary>Opens <paramref name="path"/> as <see cref="File.OpenRead"/> does (shared read access), with the given buffer.</summary>
    public static FileStream OpenRead(string path, int bufferSize = 4096)
    {
        if (WaitingForWriter is not { } note) return Open(path, bufferSize);
        var pending = new Pending(path, note);
        using (new Timer(Pending.Elapsed, pending, NoteAfter, Timeout.InfiniteTimeSpan))
        {
            try
            {
                return Open(path, bufferSize);
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

    private sealed class Pending(string path, Action<string> note)
    {
        public volatile bool Done;

        public static void Elapsed(object? state)
        {
            var pending = (Pending)state!;
            if (!pending.Done) pending.Note();
        }

        private void Note() => note(path);
    }
}
