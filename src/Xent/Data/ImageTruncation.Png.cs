using System.Buffers.Binary;
using System.IO.Compression;

namespace Xent.Data;

internal static partial class ImageTruncation
{
    /// <summary>
    /// A PNG whose image data (its IDAT chunks, inflated) ends before the rows its header gives: inside a row (one filter byte
    /// and ⌈width × bits per pixel / 8⌉ bytes), where PIL refuses it, or anywhere short of the end when interlaced (Adam7's seven
    /// passes), stricter than PIL, which reads some of those (qa-s19-c L4). ImageSharp fills in the missing pixels without a
    /// word. Data that ends between two rows of a plain PNG PIL reads, the missing rows zero, and so does xent (a header's
    /// height raised). Inflated only as far as the header needs.
    /// </summary>
    private static string? Png(Stream stream)
    {
        Span<byte> h = stackalloc byte[29]; // signature, IHDR length and type, its 13 bytes
        if (!ReadAt(stream, 0, h) || !h[12..16].SequenceEqual("IHDR"u8)) return null;
        long width = BinaryPrimitives.ReadUInt32BigEndian(h[16..]), height = BinaryPrimitives.ReadUInt32BigEndian(h[20..]);
        int depth = h[24], interlace = h[28];
        int channels = h[25] switch { 0 or 3 => 1, 4 => 2, 2 => 3, 6 => 4, _ => 0 };
        if (channels == 0 || depth is not (1 or 2 or 4 or 8 or 16) || interlace > 1) return null; // the decoder says how
        // ImageSharp 2.1's Adam7 decoder never returns on 1-pixel-wide images, misplaces pixels at 3 and refuses valid ones at 2
        // and 4 ("Unknown filter type"), where PIL reads them all (qa-s19-c H3): refused in words, never a hang.
        if (interlace == 1 && width < 5)
            return $"it is an interlaced (Adam7) PNG only {width} pixel{(width == 1 ? "" : "s")} wide, which the image decoder xent " +
                "uses (ImageSharp 2.1) cannot read correctly; save it without interlacing";
        long bits = channels * depth, needed = 0;
        long Row(long columns) => columns == 0 ? 0 : 1 + (columns * bits + 7) / 8;
        if (interlace == 0) needed = height * Row(width);
        else
            foreach (var (x0, y0, dx, dy) in Adam7)
                needed += (height - y0 + dy - 1) / dy * Row((width - x0 + dx - 1) / dx);
        long inflated = 0;
        try
        {
            using var data = new ZLibStream(new IdatStream(stream), CompressionMode.Decompress);
            var buffer = new byte[64 * 1024];
            for (int n; inflated < needed && (n = data.Read(buffer)) > 0;) inflated += n;
        }
        catch (InvalidDataException)
        {
            return null; // damaged data: ImageSharp's decoder refuses it in its words
        }
        if (inflated >= needed || (interlace == 0 && inflated % Row(width) == 0)) return null;
        return $"the file is truncated: its image data holds {inflated} bytes, which ends inside " +
            (interlace == 0 ? $"a row of {Row(width)} bytes" : "its interlaced passes") +
            $", but its header ({height}x{width} pixels of {bits} bits) needs {needed}";
    }

    /// <summary>Adam7's passes: first column and row, column and row step.</summary>
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <summary>The data of a PNG's IDAT chunks, one after the other, read from the file as it is consumed.</summary>
    private sealed class IdatStream(Stream file) : Stream
    {
        private long _next = 8; // the first chunk, after the signature
        private long _left; // bytes left in the current IDAT chunk
        private long _at;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            Span<byte> chunk = stackalloc byte[8];
            while (_left == 0) // find the next IDAT chunk; the data ends at IEND or at the end of the file
            {
                if (!ReadAt(file, _next, chunk) || chunk[4..].SequenceEqual("IEND"u8)) return 0;
                long length = BinaryPrimitives.ReadUInt32BigEndian(chunk);
                (_at, _next) = (_next + 8, _next + 12 + length);
                if (chunk[4..].SequenceEqual("IDAT"u8)) _left = Math.Min(length, Math.Max(0, file.Length - _at));
                if (_at >= file.Length) return 0;
            }
            file.Position = _at;
            int n = file.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            if (n == 0) return 0;
            (_at, _left) = (_at + n, _left - n);
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
