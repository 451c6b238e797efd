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
        if (n == 2 && sniff[0] == 0x1f && sniff[1] == 0x8b) return ReadGzip(stream, start, name);
        return ReadRaw(stream, name);
    }

    private const string Decompressed = " of the decompressed data";

    /// <summary>Deflate expands at most 1032 times (zlib's documented limit): a gzip file holds at most this many bytes per byte.</summary>
    private const long DeflateMaxRatio = 1032;

    /// <summary>
    /// Reads a gzip IDX file as it decompresses: the header, then exactly the bytes it declares, then a short look-ahead for
    /// trailing data. A header that declares more than the file can hold is refused before anything is allocated, and the data
    /// array grows with what is there unless the gzip trailer confirms the declared size (a small file cannot make it take
    /// gigabytes for data it does not have).
    /// </summary>
    private static IdxArray ReadGzip(Stream stream, long start, string name)
    {
        using var gz = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
        byte[] head = ReadHeaderBytes(gz, name);
        // The data ended inside the header: if the gzip data stopped before the file's end, that is what to report (as below).
        if (head.Length < 4 || head.Length < 4 + 4 * head[3]) RequireTrailer(stream, start, head, [], name);
        var (shape, count, headerSize) = ReadHeader(new MemoryStream(head), name, Decompressed);

        long compressed = stream.Length - start;
        if (headerSize + count > compressed * DeflateMaxRatio)
            throw Invalid($"'{name}': truncated data: expected {count} bytes of data after the {headerSize}-byte header{Decompressed} " +
                $"(shape {string.Join(" x ", shape)}), but a {compressed}-byte gzip file inflates to at most " +
                $"{compressed * DeflateMaxRatio} bytes");
        bool sizeConfirmed = GzipRecordedSize(stream, start) == (uint)(headerSize + count);
        var data = new byte[sizeConfirmed ? count : Math.Min(count, 1 << 24)];
        int got = 0;
        while (true)
        {
            int r = Fill(gz, data.AsSpan(got), name);
            got += r;
            if (got < data.Length || data.Length == count) break; // the data ended, or all of it is in
            Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
        }
        if (got < count)
        {
            RequireTrailer(stream, start, head, data.AsSpan(0, got), name);
            throw Invalid($"'{name}': truncated data: expected {count} bytes of data after the {headerSize}-byte header{Decompressed} " +
                $"(shape {string.Join(" x ", shape)}), found {got}");
        }
        // A look-ahead, not a count to the end: the bytes after the data could inflate to gigabytes.
        var (extra, more) = CountRemaining(gz, name, limit: 1 << 16);
        if (extra > 0)
            throw Invalid($"'{name}': {(more ? "more than " : "")}{extra} unexpected bytes after the {count} bytes of data, at offset " +
                $"{headerSize + count}{Decompressed}");
        RequireTrailer(stream, start, head, data, name);
        return new IdxArray(data, shape);
    }

    /// <summary>
    /// The header's bytes (4 magic bytes, then 4 per dimension), fewer when the data ends first; nothing is checked yet.
    /// </summary>
    private static byte[] ReadHeaderBytes(Stream s, string name)
    {
        var head = new byte[4 + 4 * 255];
        int got = Fill(s, head.AsSpan(0, 4), name);
        if (got == 4) got += Fill(s, head.AsSpan(4, 4 * head[3]), name);
        return head[..got];
    }

    /// <summary>
    /// As a raw file's trailing bytes are refused: GZipStream stops without a word at bytes after the gzip data that do not
    /// start another member, so the file's last bytes must be the trailer of the data decompressed (<see cref="GzipTrailer"/>).
    /// </summary>
    private static void RequireTrailer(Stream stream, long start, ReadOnlySpan<byte> head, ReadOnlySpan<byte> data, string name)
    {
        if (!GzipTrailer.EndsWithTrailerOf(stream, start, head, data))
            // Cut short (an interrupted download, the usual damage) or followed by bytes that are not another member: either
            // way the file's last bytes are not the trailer of what it decompressed to.
            throw Invalid($"'{name}': the gzip data does not end with its trailer (the file's last bytes are not the trailer of " +
                "the data decompressed from it): the file was cut short or damaged, or something was appended to it");
    }

    /// <summary>Reads the magic bytes and dimensions and checks them; <paramref name="where"/> follows each offset in messages.</summary>
    private static (int[] Shape, long Count, int HeaderSize) ReadHeader(Stream s, string name, string where)
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
        return (shape, count, headerSize);
    }

    private static IdxArray ReadRaw(Stream s, string name)
    {
        var (shape, count, headerSize) = ReadHeader(s, name, "");
        if (count > s.Length - s.Position)
            throw Invalid(
                $"'{name}': truncated data: expected {count} bytes of data after the {headerSize}-byte header " +
                $"(shape {string.Join(" x ", shape)}), found {s.Length - s.Position}");
        var data = new byte[count];
        int got = Fill(s, data, name);
        if (got < data.Length)
            throw Invalid(
                $"'{name}': truncated data: expected {count} bytes of data after the {headerSize}-byte header " +
                $"(shape {string.Join(" x ", shape)}), found {got}");
        long extra = s.Length - s.Position;
        if (extra > 0)
            throw Invalid($"'{name}': {extra} unexpected bytes after the {count} bytes of data, at offset {headerSize + count}");
        return new IdxArray(data, shape);
    }

    /// <summary>The uncompressed size gzip records in its last 4 bytes (modulo 2^32); null when the file is too short for one.</summary>
    private static uint? GzipRecordedSize(Stream stream, long start)
    {
        long position = stream.Position;
        try
        {
            if (stream.Length - start < 18) return null;
            Span<byte> size = stackalloc byte[4];
            stream.Position = stream.Length - 4;
            return BinaryFile.ReadUpTo(stream, size) < 4 ? null : BinaryPrimitives.ReadUInt32LittleEndian(size);
        }
        finally { stream.Position = position; }
    }

    /// <summary>How many bytes are left in <paramref name="s"/>, counting no further than <paramref name="limit"/> (then More).</summary>
    private static (long Count, bool More) CountRemaining(Stream s, string name, long limit)
    {
        Span<byte> buf = stackalloc byte[4096];
        long total = 0;
        int r;
        while ((r = Fill(s, buf, name)) > 0)
            if ((total += r) > limit) return (limit, true);
        return (total, false);
    }

    private static InvalidDataException Invalid(string message) => new(message + ".");

    /// <summary>
    /// Reads up to <paramref name="buffer"/>.Length bytes; GZipStream reports corrupt input as InvalidDataException, in words that
    /// mislead (<see cref="GzipLengthCheck.Damaged"/>).
    /// </summary>
    private static int Fill(Stream s, Span<byte> buffer, string name)
    {
        try { return BinaryFile.ReadUpTo(s, buffer); }
        catch (InvalidDataException e) { throw GzipLengthCheck.Damaged(name, e); }
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
