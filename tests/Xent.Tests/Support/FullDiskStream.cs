namespace Xent.Tests.Support;

/// <summary>
/// A file stream on a disk that fills up after <paramref name="capacity"/> bytes: writes and flushes past it throw ENOSPC's
/// IOException.
/// </summary>
internal sealed class FullDiskStream(FileStream inner, long capacity) : Stream
{
    private readonly List<byte> _buffered = [];
    private long _onDisk;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _onDisk + _buffered.Count;
    public override long Position { get => Length; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    // Buffered like FileStream: the disk is only touched on Flush (and so on Dispose).
    public override void Write(byte[] buffer, int offset, int count) => _buffered.AddRange(buffer.AsSpan(offset, count).ToArray());

    public override void Flush()
    {
        int fits = (int)Math.Min(_buffered.Count, capacity - _onDisk);
        inner.Write(_buffered.GetRange(0, fits).ToArray());
        _onDisk += fits;
        _buffered.RemoveRange(0, fits);
        if (_buffered.Count > 0) throw new IOException("No space left on device");
    }

    protected override void Dispose(bool disposing)
    {
        try { if (disposing) Flush(); }
        finally { inner.Dispose(); base.Dispose(disposing); }
    }
}
