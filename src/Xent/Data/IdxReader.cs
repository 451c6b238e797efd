using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using Xent.IO;

namespace Xent.Data;

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST (<c>train-images-idx3-ubyte</c>, ...),
/// raw or gzip-compressed. Layout: magic <c>0x00 0x00 &lt;type&gt; &lt;ndims&gt;</c>, then <c>ndims</c>
/// big-endian int32 dimensions, then the row-major data. Only type <c>0x08</c> (unsigned byte) is supported.
/// </summary>
public static class IdxReader
{
    private static readonly Dictionary<byte, string> TypeNames = new()
    {
        [0x08] = "unsigned byte", [0x09] = "signed byte", [0x0B] = "int16",
        [0x0C] = "int32", [0x0D] = "float32", [0x0E] = "float64",
    };

    /// <summary>Reads the IDX file at <paramref name="path"/>; gzip is detected by its magic bytes (1f 8b), not the extension.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX file (the message names the file and the
    /// problem).</exception>
    /// <exception cref="NotSupportedException">The IDX element type is not unsigned byte, or the array exceeds .NET array
    /// limits.</exception>
    public static IdxArray Read(string path)
    {
        using var stream = BinaryFile.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads an IDX array, raw or gzip-compressed, from <paramref name="stream"/>'s current position to its end.</summary>
    /// <param name="stream">The stream; a non-seekable one is first copied into memory.</param>
    /// <param name="nameForErrors">Names the source in error messages.</param>
    public static IdxArray Read(Stream stream, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(stream);
        string name = nameForErrors ?? BinaryFile.UnnamedStream;
        stream = BinaryFile.Seekable(stream);
        long start = stream.Position;
        Span<byte> sniff = stackalloc byte[2];
        int n = BinaryFile.ReadUpTo(stream, sniff);
        stream.Position = start;
        if (n == 2 && sniff[0] == 0x1f && sniff[1] == 0x8b)
        {
            // Decompressed first, so that the header's sizes are checked against the data there is before any allocation
            // (a corrupt header could otherwise claim 2 GB).
            using var gz = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
            using var data = new MemoryStream(GzipSizeHint(stream, start));
            try { gz.CopyTo(data); }
            catch (InvalidDataException e) { throw new InvalidDataException($"'{name}': corrupt gzip data: {e.Message}", e); }
            // As a raw file's trailing bytes are (below): GZipStream stops at bytes after the gzip data without a word.
            if (!GzipTrailer.EndsWithTrailerOf(stream, start, data.GetBuffer().AsSpan(0, (int)data.Length)))
                throw Invalid($"'{name}': bytes after the gzip data are not another gzip member (its last bytes are not the trailer " +
                    "of the data before them): the file is damaged, or something was appended to it");
            data.Position = 0;
            return ReadRaw(data, name, " of the decompressed data");
        }
        return ReadRaw(stream, name, "");
    }

    private static IdxArray ReadRaw(Stream s, string name, string where)
    {
        Span<byte> magic = stackalloc byte[4];
        int got = Fill(s, magic, name);
        if (got < 2 || magic[0] != 0 || magic[1] != 0)
            throw Invalid($"'{name}' is not an IDX file: magic bytes {Hex(magic[..Math.Min(got, 2)])} at offset 0{where} (expected 0x00 " +
                "0x00)");
        if (got < 4)
            throw Invalid($"'{name}': truncated header: expected 4 magic bytes at offset 0{where}, found {got}");
        byte type = magic[2];
        int ndims = magic[3];
        if (type != 0x08)
        {
            string typeName = TypeNames.TryGetValue(type, out var t) ? t : "unknown";
            throw new NotSupportedException(
                $"'{name}': IDX element type 0x{type:x2} ({typeName}) at offset 2{where} is not supported; only 0x08 (unsigned byte) is.");
        }

        int headerSize = 4 + 4 * ndims;
        var dimBytes = new byte[4 * ndims];
        got = Fill(s, dimBytes, name);
        if (got < dimBytes.Length)
            throw Invalid($"'{name}': truncated header: expected {dimBytes.Length} bytes of dimensions ({ndims} x int32) at offset " +
                $"4{where}, found {got}");
        var shape = new int[ndims];
        long count = 1;
        for (int i = 0; i < ndims; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(dimBytes.AsSpan(4 * i));
            if (d > int.MaxValue)
                throw Invalid($"'{name}': dimension {i} at offset {4 + 4 * i}{where} is {d}, larger than {int.MaxValue}");
            shape[i] = (int)d;
            count = count > Array.MaxLength ? count : count * d;
        }
        if (count > Array.MaxLength)
            throw new NotSupportedException($"'{name}': the array of shape ({string.Join(", ", shape)}) has more than {Array.MaxLength} " +
                "elements.");

        if (s.CanSeek && count > s.Length - s.Position)
            throw Invalid(
                $"'{name}': truncated data: expected {count} bytes of data after the {headerSize}-byte header{where} " +
                $"(shape {string.Join(" x ", shape)}), found {s.Length - s.Position}");
        var data = new byte[count];
        got = Fill(s, data, name);
        if (got < data.Length)
            throw Invalid(
                $"'{name}': truncated data: expected {count} bytes of data after the {headerSize}-byte header{where} " +
                $"(shape {string.Join(" x ", shape)}), found {got}");
        long extra = CountRemaining(s, name);
        if (extra > 0)
            throw Invalid($"'{name}': {extra} unexpected bytes after the {count} bytes of data, at offset {headerSize + count}{where}");
        return new IdxArray(data, shape);
    }

    /// <summary>The uncompressed size gzip records in its last 4 bytes (modulo 2^32), as a capacity hint; 0 when implausible.</summary>
    private static int GzipSizeHint(Stream stream, long start)
    {
        long position = stream.Position;
        try
        {
            if (stream.Length - start < 18) return 0;
            Span<byte> size = stackalloc byte[4];
            stream.Position = stream.Length - 4;
            if (BinaryFile.ReadUpTo(stream, size) < 4) return 0;
            uint isize = BinaryPrimitives.ReadUInt32LittleEndian(size);
            // Deflate expands at most ~1032:1; a hint beyond that comes from a corrupt trailer.
            return isize <= Math.Min(1 << 30, (stream.Length - start) * 1032L) ? (int)isize : 0;
        }
        finally { stream.Position = position; }
    }

    private static long CountRemaining(Stream s, string name)
    {
        Span<byte> buf = stackalloc byte[4096];
        long total = 0;
        int r;
        while ((r = Fill(s, buf, name)) > 0) total += r;
        return total;
    }

    private static InvalidDataException Invalid(string message) => new(message + ".");

    /// <summary>
    /// Reads up to <paramref name="buffer"/>.Length bytes; GZipStream reports corrupt input as InvalidDataException, which gets the file
    /// name added.
    /// </summary>
    private static int Fill(Stream s, Span<byte> buffer, string name)
    {
        try { return BinaryFile.ReadUpTo(s, buffer); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{name}': corrupt gzip data: {e.Message}", e); }
    }

    private static string Hex(ReadOnlySpan<byte> bytes) =>
        bytes.IsEmpty ? "(none: the data is empty)"
            : string.Join(" ", bytes.ToArray().Select(b => "0x" + b.ToString("x2", CultureInfo.InvariantCulture)));

    /// <summary>
    /// Finds the IDX file <paramref name="baseName"/> (e.g. <c>train-images-idx3-ubyte</c>) in <paramref name="directory"/>,
    /// accepting a <c>.gz</c> suffix and the <c>train-images.idx3-ubyte</c> spelling some mirrors use.
    /// </summary>
    /// <returns>The path of the first candidate that exists: the exact name, then <c>.gz</c>, then the variant spellings.</returns>
    /// <exception cref="DirectoryNotFoundException"><paramref name="directory"/> does not exist.</exception>
    /// <exception cref="FileNotFoundException">No candidate exists; the message lists the names tried.</exception>
    public static string FindFile(string directory, string baseName)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(baseName);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Dataset directory '{directory}' does not exist.");
        var names = new List<string> { baseName, baseName + ".gz" };
        string? variant = baseName.Contains("-idx", StringComparison.Ordinal) ? baseName.Replace("-idx", ".idx", StringComparison.Ordinal)
            : baseName.Contains(".idx", StringComparison.Ordinal) ? baseName.Replace(".idx", "-idx", StringComparison.Ordinal)
            : null;
        if (variant is not null) { names.Add(variant); names.Add(variant + ".gz"); }
        foreach (string candidate in names)
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException(
            $"Could not find '{baseName}' in '{directory}'; tried {string.Join(", ", names.Select(c => $"'{c}'"))}.",
            Path.Combine(directory, baseName));
    }
}
