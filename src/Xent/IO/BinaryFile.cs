namespace Xent.IO;

/// <summary>
/// The file-reading boilerplate the binary readers (<see cref="Npy"/>, <see cref="SafeTensors"/>,
/// <see cref="Data.IdxReader"/>) share, so they open files and name their sources the same way.
/// </summary>
internal static class BinaryFile
{
    /// <summary>What error messages call a stream read without a name.</summary>
    public const string UnnamedStream = "<stream>";

    /// <summary>
    /// Opens <paramref name="path"/> for reading (shared read access, 64 KiB buffer).
    /// A missing file raises <see cref="FileNotFoundException"/>, whose message names the path.
    /// </summary>
    public static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Opening a folder fails with "Access to the path is denied", which sends the user looking at permissions.
        if (Directory.Exists(path)) throw new IOException($"'{path}' is a folder, not a file.");
        return FileReading.OpenRead(path, bufferSize: 1 << 16);
    }

    /// <summary>
    /// <paramref name="stream"/> itself when it can seek, else a memory copy of the rest of it (readers that need the length or to rewind).
    /// </summary>
    public static Stream Seekable(Stream stream)
    {
        if (stream.CanSeek) return stream;
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }

    /// <summary>
    /// Reads until <paramref name="buffer"/> is full or the stream ends, and returns how many bytes were read, so the
    /// caller can say in its own words what was truncated, at which offset, and how much was found.
    /// </summary>
    public static int ReadUpTo(Stream stream, Span<byte> buffer) =>
        stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
}
