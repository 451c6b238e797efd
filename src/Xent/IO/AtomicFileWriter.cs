namespace Xent.IO;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new content, never a
/// half-written file: data goes to <c>path.tmp-&lt;random&gt;</c> in the same directory (same file
/// system, so the rename is atomic), is flushed to disk, and is moved over <c>path</c> by
/// <see cref="Commit"/>. Disposing without committing deletes the temporary file and leaves
/// <c>path</c> untouched.
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

    private AtomicFileWriter(string path, string tempPath, Stream stream)
    {
        Path = path;
        TempPath = tempPath;
        _stream = stream;
    }

    /// <summary>Opens a new temporary file next to <paramref name="path"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a directory.</exception>
    public static AtomicFileWriter Begin(string path) => Begin(path, DefaultOpen);

    /// <summary>
    /// As <see cref="Begin(string)"/>, with the temporary file opened by <paramref name="open"/> (tests wrap it to fail like a full disk).
    /// </summary>
    internal static AtomicFileWriter Begin(string path, Func<string, Stream> open)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        string? dir = System.IO.Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
            throw new DirectoryNotFoundException(File.Exists(dir)
                ? $"Cannot write '{path}': '{dir}' is a file, not a folder."
                : $"Cannot write '{path}': directory '{dir}' does not exist.");
        if (Directory.Exists(full))
            throw new IOException($"Cannot write '{path}': it is a directory.");
        string temp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..12];
        return new AtomicFileWriter(full, temp, open(temp));
    }

    // FileMode.CreateNew: never reuse (or follow) an existing file of the same name.
    private static FileStream DefaultOpen(string temp) =>
        new(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);

    /// <summary>The destination path (absolute).</summary>
    public string Path { get; }

    /// <summary>The temporary file being written.</summary>
    public string TempPath { get; }

    /// <summary>Where to write the content.</summary>
    public Stream Stream => _stream;

    /// <summary>Flushes the temporary file to disk and renames it over <see cref="Path"/>.</summary>
    /// <exception cref="IOException">The flush or the rename failed (e.g. the disk is full); <see cref="Path"/> is untouched,
    /// and <see cref="Dispose"/> deletes the temporary file.</exception>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed) throw new InvalidOperationException("The file was already committed.");
        if (_stream is FileStream file) file.Flush(flushToDisk: true);
        else _stream.Flush();
        _stream.Dispose();
        File.Move(TempPath, Path, overwrite: true);
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
            if (!_committed) TryDelete(TempPath);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { } // Best effort: the original exception matters more.
        catch (UnauthorizedAccessException) { }
    }
}
