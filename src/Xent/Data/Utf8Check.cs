using System.Text;

namespace Xent.Data;

/// <summary>
/// Passes a text file's bytes through and refuses the first byte sequence that is not UTF-8, naming the file and the line. A
/// decoder that replaces such bytes with U+FFFD merged labels that differ only in accented letters (a cp1252 'Orléans' and
/// 'Orlèans' both became 'Orl�ans') without a word. A file that starts with a UTF-16 or UTF-32 byte order mark is passed
/// through unchecked: the reader decodes it by that mark.
/// </summary>
internal sealed class Utf8Check : Stream
{
    private readonly Stream _inner;
    private readonly string _path;
    private readonly Decoder _decoder = new UTF8Encoding(false, throwOnInvalidBytes: true).GetDecoder();
    private readonly char[] _scratch = new char[4096];
    private bool _started, _unchecked;
    private long _newlines, _returns; // '\n' and '\r' bytes before the current read, for the line of an error

    /// <summary>Wraps <paramref name="inner"/>, the text of file <paramref name="path"/> from its start.</summary>
    public Utf8Check(Stream inner, string path)
    {
        _inner = inner;
        _path = path;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read = _inner.Read(buffer);
        Check(buffer[..read]);
        return read;
    }

    private void Check(ReadOnlySpan<byte> bytes)
    {
        if (!_started && bytes.Length > 0)
        {
            _started = true;
            _unchecked = bytes is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..] || bytes is [0, 0, 0xFE, 0xFF, ..];
        }
        if (_unchecked) return;
        var rest = bytes;
        try
        {
            // At the end (a read of nothing), a sequence cut short by the end of the file is an error too.
            if (bytes.IsEmpty) _decoder.Convert(bytes, _scratch, flush: true, out _, out _, out _);
            while (!rest.IsEmpty)
            {
                _decoder.Convert(rest, _scratch, flush: false, out int used, out _, out _);
                rest = rest[used..];
            }
        }
        catch (DecoderFallbackException e)
        {
            // The index is within the bytes of the failing call, and negative when the sequence began in the previous read.
            int at = Math.Clamp(bytes.Length - rest.Length + e.Index, 0, bytes.Length);
            var before = bytes[..at];
            long newlines = _newlines + before.Count((byte)'\n'), returns = _returns + before.Count((byte)'\r');
            long line = 1 + (newlines > 0 ? newlines : returns); // lines end in "\n" or "\r\n"; old Mac files in '\r' alone
            string what = e.BytesUnknown is { Length: > 0 } b ? $"byte 0x{b[0]:X2}" : "a byte";
            throw new InvalidDataException($"'{_path}' is not UTF-8 text: line {line} holds {what}, which is not valid UTF-8 (a file " +
                "saved as Latin-1 or Windows-1252, as Excel's plain \"CSV\" is, has such bytes). Save it as UTF-8 (in Excel: \"CSV " +
                "UTF-8\"); xent does not guess encodings.", e);
        }
        _newlines += bytes.Count((byte)'\n');
        _returns += bytes.Count((byte)'\r');
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("It reads forward only.");

    public override long Position
    {
        get => throw new NotSupportedException("It reads forward only.");
        set => throw new NotSupportedException("It reads forward only.");
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("It reads forward only.");
    public override void SetLength(long value) => throw new NotSupportedException("It is read-only.");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("It is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
