namespace Xent.Data;

/// <summary>
/// A read-only view of a file stream that tells <c>progress</c> (megabytes read, megabytes in all, the last rounded up) each
/// time a read crosses a megabyte, and (all, all) at the end: how far a long CSV read is, whatever reads the text.
/// </summary>
internal sealed class ProgressStream(FileStream file, Action<int, int> progress) : Stream
{
    private const int Megabyte = 1 << 20;
    private readonly int _total = (int)Math.Max(1, (file.Length + Megabyte - 1) / Megabyte);
    private int _reported = -1;

    public override int Read(byte[] buffer, int offset, int count) => Tell(file.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Tell(file.Read(buffer));

    private int Tell(int read)
    {
        int done = read == 0 ? _total : (int)Math.Min(_total, file.Position / Megabyte);
        if (done > _reported)
        {
            _reported = done;
            progress(done, _total);
        }
        return read;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => file.Length;

    public override long Position
    {
        get => file.Position;
        set => throw new NotSupportedException("A progress stream reads forward only.");
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A progress stream reads forward only.");
    public override void SetLength(long value) => throw new NotSupportedException("A progress stream is read-only.");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A progress stream is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing) file.Dispose();
        base.Dispose(disposing);
    }
}
