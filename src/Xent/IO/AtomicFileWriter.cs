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
public sealed class AtomicFileWriter : IDisposable
{
    private readonly FileStream _stream;
    private bool _committed;
    private bool _disposed;

    private AtomicFileWriter(string path, string tempPath, FileStream stream)
    {
        Path = path;
        TempPath = tempPath;
        _stream = stream;
    }

    /// <summary>Opens a new temporary file next to <paramref name="path"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory of <paramref name="path"/> does not exist.</exception>
    public static AtomicFileWriter Begin(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        string? dir = System.IO.Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
            throw new DirectoryNotFoundException($"Cannot write '{path}': directory '{dir}' does not exist.");
        // FileMode.CreateNew: never reuse (or follow) an existing file of the same name.
        string temp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..12];
        var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        return new AtomicFileWriter(full, temp, stream);
    }

    /// <summary>The destination path (absolute).</summary>
    public string Path { get; }

    /// <summary>The temporary file being written.</summary>
    public string TempPath { get; }

    /// <summary>Where to write the content.</summary>
    public Stream Stream => _stream;

    /// <summary>Flushes the temporary file to disk and renames it over <see cref="Path"/>.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed) throw new InvalidOperationException("The file was already committed.");
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(TempPath, Path, overwrite: true);
        _committed = true;
    }

    /// <summary>Closes the stream and, unless committed, deletes the temporary file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stream.Dispose();
        if (!_committed)
        {
            try { File.Delete(TempPath); }
            catch (IOException) { } // Best effort: the original exception matters more.
            catch (UnauthorizedAccessException) { }
        }
    }
}
