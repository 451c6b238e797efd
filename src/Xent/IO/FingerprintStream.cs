using System.Security.Cryptography;

namespace Xent.IO;

/// <summary>
/// A read-only view of a stream that hashes (SHA-256) and counts every byte read through it, so that a file read once can be
/// fingerprinted without a second read (a pipe cannot be read twice). It reports the inner stream's length and position, which
/// readers use to refuse a truncated file before allocating for it, but does not seek: a byte skipped would not be hashed.
/// </summary>
internal sealed class FingerprintStream(Stream inner) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>The bytes read through this stream so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>
    /// Reads the rest of a file (bytes a reader left after its data, usually none), so that the fingerprint is the whole file's,
    /// then returns the count of every byte read and their SHA-256 in lower-case hex. Call once. A pipe is not read on: its writer
    /// may keep its end open after the data, and the read would wait for it.
    /// </summary>
    public (long Bytes, string Sha256) Finish()
    {
        if (inner.CanSeek)
        {
            var rest = new byte[1 << 16];
            while (Read(rest) > 0) { }
        }
        return (BytesRead, Convert.ToHexStringLower(_hash.GetHashAndReset()));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read = inner.Read(buffer);
        _hash.AppendData(buffer[..read]);
        BytesRead += read;
        return read;
    }

    public override bool CanRead => true;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => throw ForwardOnly();
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw ForwardOnly();
    public override void SetLength(long value) => throw ReadOnly();
    public override void Write(byte[] buffer, int offset, int count) => throw ReadOnly();

    private static NotSupportedException ForwardOnly() => new("A fingerprint stream reads forward only.");

    private static NotSupportedException ReadOnly() => new("A fingerprint stream is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
