using System.Buffers.Binary;
using System.IO.Compression;

namespace Xent.Data;

/// <summary>
/// Decompresses a .gz file and, at its end, checks the length against the gzip trailer's ISIZE (the uncompressed length mod
/// 2^32, the file's last four bytes). <see cref="GZipStream"/> ends a truncated file (a partial download) without an error, so a
/// CSV cut in the middle was read as fewer rows, silently. A file of several gzip members joined (<c>cat a.gz b.gz</c>) has the
/// last member's length there and is refused the same way, with the hint to decompress it first.
/// </summary>
internal sealed class GzipLengthCheck : Stream
{
    private readonly GZipStream _gzip;
    private readonly string _path;
    private readonly uint? _expected;
    private long _read;

    /// <summary>Wraps <paramref name="compressed"/>, the stream of file <paramref name="path"/> read from its start.</summary>
    public GzipLengthCheck(Stream compressed, string path)
    {
        _path = path;
        // The trailer is read through a second handle, so the stream the caller passes (with its progress) is read once, in order.
        using (var file = File.OpenRead(path))
            if (file.Length >= 18) // a 10-byte header, an empty deflate block at least, and the 8-byte trailer
            {
                Span<byte> size = stackalloc byte[4];
                file.Seek(-4, SeekOrigin.End);
                file.ReadExactly(size);
                _expected = BinaryPrimitives.ReadUInt32LittleEndian(size);
            }
        _gzip = new GZipStream(compressed, CompressionMode.Decompress);
    }

    public override int Read(byte[] buffer, int offset, int count) => Check(_gzip.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Check(_gzip.Read(buffer));

    private int Check(int read)
    {
        _read += read;
        if (read == 0 && _expected is uint expected && (uint)_read != expected)
            throw new InvalidDataException($"'{_path}' is cut short or damaged: it decompresses to {_read} bytes, but its gzip trailer " +
                $"records {expected} (mod 2^32). A partial download? Fetch it again; if it is several .gz files joined, decompress it " +
                "first (gunzip).") { Data = { [TruncatedKey] = true } };
        return read;
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
