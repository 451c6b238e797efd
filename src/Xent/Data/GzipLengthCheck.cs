using System.Buffers.Binary;
using System.IO.Compression;
using Xent.IO;

namespace Xent.Data;

/// <summary>
/// Decompresses a .gz file and, at its end, checks the length against the gzip trailer's ISIZE (the uncompressed length mod
/// 2^32, the file's last four bytes). <see cref="GZipStream"/> ends a truncated file (a partial download) without an error, so a
/// CSV cut in the middle was read as fewer rows, silently. A file of several gzip members joined (<c>cat a.gz b.gz</c>) has the
/// last member's length there and is refused the same way, with the hint to decompress it first. Zero bytes after the trailer
/// (padding, which gzip, Python and xent's IDX reader accept, <see cref="GzipTrailer"/>) are allowed, and a gzip file too short
/// to hold a trailer at all is called cut short, not empty.
/// </summary>
internal sealed class GzipLengthCheck : Stream
{
    private readonly GZipStream _gzip;
    private readonly string _path;
    private readonly uint[] _expected; // the ISIZE of each place the trailer may end, zero padding allowed; none when too short
    private readonly long _length;
    private readonly bool _isGzip;
    private long _read;

    /// <summary>Wraps <paramref name="compressed"/>, the stream of file <paramref name="path"/> read from its start.</summary>
    public GzipLengthCheck(Stream compressed, string path)
    {
        _path = path;
        // The trailer is read through a second handle, so the stream the caller passes (with its progress) is read once, in order.
        using (var file = FileReading.OpenRead(path))
        {
            Span<byte> bytes = stackalloc byte[4];
            _isGzip = file.ReadAtLeast(bytes[..2], 2, throwOnEndOfStream: false) == 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
            _length = file.Length;
            // The trailer ends after the last byte that is not zero, or up to 4 bytes into the zeros (its length may end in them).
            long end = AfterLastNonZero(file);
            var expected = new List<uint>();
            for (long e = end; e <= Math.Min(end + 4, _length); e++)
            {
                if (e < 18) continue; // a 10-byte header, an empty deflate block at least, and the 8-byte trailer
                file.Position = e - 4;
                file.ReadExactly(bytes);
                expected.Add(BinaryPrimitives.ReadUInt32LittleEndian(bytes));
            }
            _expected = [.. expected];
        }
        _gzip = new GZipStream(compressed, CompressionMode.Decompress);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read;
        try { read = _gzip.Read(buffer); }
        catch (InvalidDataException e) when (_isGzip) { throw Damaged(_path, e); }
        return Check(read);
    }

    private int Check(int read)
    {
        _read += read;
        if (read != 0 || !_isGzip || _expected.Contains((uint)_read)) return read;
        // Cut under 18 bytes (GZipStream gives nothing, which the CSV reader called "empty; expected a header row").
        if (_expected.Length == 0)
            throw new InvalidDataException($"'{_path}' is cut short or damaged: its {_length} bytes are too few for gzip data and the " +
                "8-byte trailer that ends it (18 bytes at least). A partial download? Fetch it again.")
            {
                Data = { [TruncatedKey] = true },
            };
        throw new InvalidDataException($"'{_path}' is cut short or damaged: it decompresses to {_read} bytes, but its gzip trailer " +
            $"records {_expected[0]} (mod 2^32). A partial download? Fetch it again; if it is several .gz files joined, decompress it " +
            "first (gunzip).") { Data = { [TruncatedKey] = true } };
    }

    /// <summary>The offset after the last byte of <paramref name="file"/> that is not zero (0 when there is none).</summary>
    private static long AfterLastNonZero(FileStream file)
    {
        var buffer = new byte[4096];
        long end = file.Length;
        while (end > 0)
        {
            int n = (int)Math.Min(buffer.Length, end);
            file.Position = end - n;
            file.ReadExactly(buffer, 0, n);
            int last = Array.FindLastIndex(buffer, n - 1, n, b => b != 0);
            if (last >= 0) return end - n + last + 1;
            end -= n;
        }
        return 0;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("A decompressing stream has no length.");

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException("It reads forward only.");
    }

    private const string TruncatedKey = "xent.gzip-truncated";
    private const string DamagedKey = "xent.gzip-damaged";

    /// <summary>
    /// The error for gzip data that zlib refuses in file <paramref name="name"/>: a compressed block, or the CRC-32 or length that
    /// ends the data, is wrong. .NET's own text for it, "compressed using an unsupported compression method", misleads.
    /// </summary>
    public static InvalidDataException Damaged(string name, Exception inner) =>
        new($"'{name}' is damaged: its gzip data does not decompress (a compressed block, or the checksum or length that ends it, is " +
            "wrong). A corrupted download? Fetch it again.", inner) { Data = { [DamagedKey] = true } };

    /// <summary>Whether <paramref name="e"/> is <see cref="Damaged"/>'s.</summary>
    public static bool IsDamage(Exception e) => e.Data.Contains(DamagedKey);

    /// <summary>Whether <paramref name="e"/> is this check's (the decompressed length disagrees with the trailer).</summary>
    public static bool IsTruncation(Exception e) => e.Data.Contains(TruncatedKey);

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("It reads forward only.");
    public override void SetLength(long value) => throw new NotSupportedException("It is read-only.");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("It is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing) _gzip.Dispose();
        base.Dispose(disposing);
    }
}
