namespace Xent.IO;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new content, never a
/// half-written file: data goes to <c>path.tmp-&lt;random&gt;</c> in the same directory (same file
/// system, so the rename is atomic), is flushed to disk, and is moved over <c>path</c> by
/// <see cref="Commit"/>. Disposing without committing deletes the temporary file and leaves
/// <c>path</c> untouched. A failure to create, write, flush or rename the temporary file is reported as
/// <c>Cannot write 'path': …</c> with the temporary name replaced by <c>path</c>: the user never asked for that name,
/// and the file is deleted anyway. The temporary file is registered in <see cref="WritesInFlight.Process"/> while it exists, so
/// that a process interrupted by a signal deletes it (the CLI's handler calls <see cref="WritesInFlight.Abandon"/>).
/// A link to a file is written through (the temporary file goes beside the file it names), a link to nothing or in a loop is
/// refused; a device or descriptor path (<c>/dev/null</c>, <c>/dev/stdout</c>), and an existing named pipe or device anywhere, is
/// written in place, with no temporary file, and a socket is refused (<see cref="WriteTarget"/>).
/// </summary>
/// <example><code>
/// using var writer = AtomicFileWriter.Begin(path);
/// Serialize(writer.Stream);
/// writer.Commit();
/// </code></example>
internal sealed class AtomicFileWriter : IDisposable
{
    private readonly Stream _stream;
    private bool _committed;
    private bool _disposed;

    private readonly string _givenPath;

    // Where the temporary file is after a failed rename, when its folder was moved away meanwhile (WhereNow); null otherwise.
    private string? _tempNow;

    // Null for a target written in place: there is no temporary file to remove or rename.
    private readonly WritesInFlight.Entry? _inFlight;

    private AtomicFileWriter(string givenPath, string path, string tempPath, Stream stream, WritesInFlight.Entry? inFlight)
    {
        _givenPath = givenPath;
        _inFlight = inFlight;
        Path = path;
        TempPath = tempPath;
        _stream = stream;
        Stream = new FailureNamingStream(this);
    }

    /// <summary>Opens a new temporary file next to <paramref name="path"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a directory or a link to nothing (or in a loop), or the temporary
    /// file could not be created.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory of <paramref name="path"/> may not be written.</exception>
    public static AtomicFileWriter Begin(string path) => Begin(path, DefaultOpen);

    /// <summary>
    /// As <see cref="Begin(string)"/>, with the temporary file opened by <paramref name="open"/> (tests wrap it to fail like a full disk).
    /// </summary>
    internal static AtomicFileWriter Begin(string path, Func<string, Stream> open)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var target = WriteTarget.Of(System.IO.Path.GetFullPath(path));
        if (target.Refusal is { } refusal) throw new IOException($"Cannot write '{path}': {refusal}.");
        string full = target.Path;
        if (target.InPlace)
        {
            try
            {
                return new AtomicFileWriter(path, full, full, target.OpenInPlace(path), null);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Named(e, path, full);
            }
        }
        string temp = TempPathFor(full);
        // Registered as it is created: a process interrupted from here on deletes the file (WritesInFlight.Abandon).
        var (stream, entry) = WritesInFlight.Process.Start(path, () => Open(path, full, temp, open), () => TryDelete(temp));
        return new AtomicFileWriter(path, full, temp, stream, entry);
    }

    /// <summary>Most bytes a file name may have (Linux's and macOS's NAME_MAX).</summary>
    private const int NameMax = 255;

    /// <summary>
    /// <c>full.tmp-xxxxxxxxxxxx</c> beside <paramref name="full"/>; for a name within 17 bytes of <see cref="NameMax"/>, its start is
    /// kept instead of all of it, so that a legal destination name never makes an illegal temporary one.
    /// </summary>
    internal static string TempPathFor(string full)
    {
        string suffix = ".tmp-" + Guid.NewGuid().ToString("N")[..12];
        string name = System.IO.Path.GetFileName(full);
        int room = NameMax - suffix.Length;
        if (System.Text.Encoding.UTF8.GetByteCount(name) <= room) return full + suffix;
        int keep = name.Length;
        while (keep > 0 && System.Text.Encoding.UTF8.GetByteCount(name.AsSpan(0, keep)) > room) keep--;
        if (keep > 0 && char.IsHighSurrogate(name[keep - 1])) keep--; // never half of a surrogate pair
        return System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full) ?? "", name[..keep] + suffix);
    }

    private static Stream Open(string path, string full, string temp, Func<string, Stream> open)
    {
        string? dir = System.IO.Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
            throw new DirectoryNotFoundException(File.Exists(dir)
                ? $"Cannot write '{path}': '{dir}' is a file, not a folder."
                : $"Cannot write '{path}': directory '{dir}' does not exist.");
        if (Directory.Exists(full))
            throw new IOException($"Cannot write '{path}': it is a directory.");
        try
        {
            return open(temp);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // The folder exists (checked above), so the file system refused to create a file in it (/proc, /sys).
            throw new IOException($"Cannot write '{path}': could not create a file in '{dir}'.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Named(e, path, temp);
        }
    }

    /// <summary>
    /// <paramref name="e"/> as <c>Cannot write 'path': reason</c>, the reason's mentions of the temporary file replaced by
    /// <paramref name="path"/> (and .NET's <c>No space left on device : 'file'</c> cut to its reason), of the same kind
    /// (<see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>; EFBIG, which .NET raises as
    /// <see cref="ArgumentOutOfRangeException"/>, becomes an <see cref="IOException"/>), with <paramref name="e"/> as the inner exception.
    /// A file written in place (metrics.csv's rows) passes its own name as <paramref name="temp"/>.
    /// </summary>
    internal static Exception Named(Exception e, string path, string temp)
    {
        // .NET reports EFBIG (a write past `ulimit -f` or the file system's largest file) as ArgumentOutOfRangeException("value").
        if (e is ArgumentOutOfRangeException)
            return new IOException($"Cannot write '{path}': the file would be larger than this process may write (ulimit -f) or the "
                + "file system allows.", e);
        // EPIPE: the program reading a pipe (`| head`, `>(…)`) exited before reading everything; .NET's message is a bare "Broken pipe".
        if (e is IOException { HResult: BrokenPipe } && !OperatingSystem.IsWindows())
            return new IOException($"Cannot write '{path}': the program reading it closed the pipe before everything was written "
                + "(broken pipe); the output is incomplete.", e);
        string reason = e.Message.Replace($" : '{temp}'", "", StringComparison.Ordinal).Replace(temp, path, StringComparison.Ordinal);
        string message = $"Cannot write '{path}': {reason}";
        return e is UnauthorizedAccessException ? new UnauthorizedAccessException(message, e) : new IOException(message, e);
    }

    /// <summary>EPIPE, the errno of a write to a pipe that no process reads any more (Linux and macOS).</summary>
    private const int BrokenPipe = 32;

    /// <summary>Runs <paramref name="write"/>, reporting a failure under the destination's name (<see cref="Named"/>).</summary>
    private void Naming(Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException { ParamName: "value" })
        {
            throw Named(e, _givenPath, TempPath);
        }
    }

    // FileMode.CreateNew: never reuse (or follow) an existing file of the same name.
    private static FileStream DefaultOpen(string temp) =>
        new(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);

    /// <summary>
    /// A test hook, called with the destination after the temporary file is flushed and closed, just before the rename: the CLI
    /// sets it from <c>XENT_TEST_PAUSE_BEFORE_RENAME</c> to pause there, so that a test can interrupt it mid-write.
    /// </summary>
    internal static Action<string>? BeforeRename { get; set; }

    /// <summary>The destination path (absolute; the file a link names, where the path given is a link).</summary>
    public string Path { get; }

    /// <summary>The temporary file being written (<see cref="Path"/> itself where it is written in place).</summary>
    public string TempPath { get; }

    /// <summary>Where to write the content: the temporary file, whose write failures name <see cref="Path"/>.</summary>
    public Stream Stream { get; }

    /// <summary>
    /// Flushes the temporary file to disk and renames it over <see cref="Path"/> (a target written in place is only flushed).
    /// </summary>
    /// <exception cref="IOException">The flush or the rename failed (e.g. the disk is full); <see cref="Path"/> is untouched,
    /// and <see cref="Dispose"/> deletes the temporary file.</exception>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed) throw new InvalidOperationException("The file was already committed.");
        Naming(() =>
        {
            // A device or pipe written in place has no disk to flush to (fsync on /dev/null fails) and nothing to rename.
            if (_stream is FileStream file && _inFlight is not null) file.Flush(flushToDisk: true);
            else _stream.Flush();
            // On Linux the temporary file stays open through the rename: when the rename fails because its folder was moved away
            // at that moment, the open file tells where it is now, and Dispose removes it there, not at the name it had.
            bool keepOpen = _inFlight is not null && _stream is FileStream && OperatingSystem.IsLinux();
            if (!keepOpen) _stream.Dispose();
            if (_inFlight is null) return;
            try
            {
                BeforeRename?.Invoke(Path);
                // Not after an interruption's WritesInFlight.Abandon, which deleted the temporary file and keeps Path as it was.
                WritesInFlight.Process.Finish(_inFlight, () => File.Move(TempPath, Path, overwrite: true));
            }
            catch (Exception e) when (keepOpen)
            {
                _tempNow = WhereNow((FileStream)_stream);
                // .NET says only "Could not find file 'run/checkpoint.safetensors'" when the folder went (qa-s20-b L5).
                string folder = System.IO.Path.GetDirectoryName(Path)!;
                if (e is FileNotFoundException or DirectoryNotFoundException && (_tempNow is not null || !Directory.Exists(folder)))
                {
                    string shown = System.IO.Path.GetDirectoryName(_givenPath) is { Length: > 0 } given ? given : folder;
                    throw new IOException($"its folder '{shown}' was moved or removed while xent wrote into it; nothing was left there.",
                        e);
                }
                throw;
            }
            finally
            {
                if (keepOpen) _stream.Dispose();
            }
        });
        _committed = true;
    }

    /// <summary>
    /// Closes the stream and, unless committed, deletes the temporary file. Never throws for an uncommitted file:
    /// its content is being thrown away, so a failing final flush (a full disk) must not keep it on disk or hide the
    /// exception that stopped the writer.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            _stream.Dispose();
        }
        catch (Exception e) when (!_committed && e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            // The buffered tail could not be written; the stream still released its handle.
        }
        finally
        {
            if (!_committed && _inFlight is not null)
            {
                WritesInFlight.Process.Remove(_inFlight); // deletes the temporary file
                if (_tempNow is { } moved) TryDelete(moved);
            }
        }
    }

    /// <summary>
    /// Where the open file <paramref name="file"/> is now, when that is not <see cref="TempPath"/> (its folder was renamed since),
    /// from the descriptor's link under /proc/self/fd; null when it is still there, is deleted, or cannot be told.
    /// </summary>
    private string? WhereNow(FileStream file)
    {
        try
        {
            string? now = new FileInfo($"/proc/self/fd/{file.SafeFileHandle.DangerousGetHandle()}").LinkTarget;
            return now is null || now == TempPath || now.EndsWith(" (deleted)", StringComparison.Ordinal) ? null : now;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return null;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { } // Best effort: the original exception matters more.
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>The temporary file's stream, write-only, whose IO failures name the destination (<see cref="Naming"/>).</summary>
    private sealed class FailureNamingStream(AtomicFileWriter owner) : Stream
    {
        private Stream Inner => owner._stream;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => Inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Flush() => owner.Naming(Inner.Flush);
        public override void Write(byte[] buffer, int offset, int count) => owner.Naming(() => Inner.Write(buffer, offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                Inner.Write(buffer);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException { ParamName: "value" })
            {
                throw Named(e, owner._givenPath, owner.TempPath);
            }
        }

        public override void WriteByte(byte value) => owner.Naming(() => Inner.WriteByte(value));
    }
}
