using System.Buffers.Binary;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;

namespace Xent.Data;

/// <summary>
/// Tells a file cut short (a download or copy that stopped) by what its own structure says it holds. ImageSharp 2.1 decodes a
/// cut BMP, GIF, JPEG, TIFF or lossy WebP without a word, the missing pixels black, where PIL (and so torchvision's
/// ImageFolder) refuses it ("image file is truncated"). A PNG cut inside its data ImageSharp refuses itself, but not one whose
/// header claims more rows or columns than its data holds (<c>ImageTruncation.Png.cs</c>). A BMP header no BMP can have (7 bits per
/// pixel) is refused here too, as PIL refuses it, where ImageSharp decodes noise.
/// </summary>
internal static partial class ImageTruncation
{
    /// <summary>
    /// Why the file in <paramref name="stream"/>, identified as <paramref name="format"/>, is cut short, or null when nothing says
    /// so (a header too damaged to tell is left to the decoder). The stream's position is not kept.
    /// </summary>
    public static string? Problem(Stream stream, IImageFormat format) => format switch
    {
        BmpFormat => Bmp(stream),
        PngFormat => Png(stream),
        WebpFormat => Webp(stream),
        JpegFormat => Jpeg(stream),
        GifFormat => Gif(stream),
        TiffFormat => Tiff(stream),
        _ => null,
    };

    private static string Short(long needed, long length, string what) =>
        $"the file is truncated: it has {length} bytes, but its {what} gives {needed}";

    /// <summary>Reads exactly <paramref name="buffer"/>'s length at <paramref name="offset"/>; false at the end of the file.</summary>
    private static bool ReadAt(Stream stream, long offset, Span<byte> buffer)
    {
        if (offset < 0 || offset + buffer.Length > stream.Length) return false;
        stream.Position = offset;
        return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) == buffer.Length;
    }

    /// <summary>
    /// An uncompressed BMP's pixel rows must all be in the file: from the data offset, |height| rows of width × bits per pixel,
    /// each padded to 4 bytes. RLE, JPEG and PNG compressed ones vary in length and are not told.
    /// </summary>
    private static string? Bmp(Stream stream)
    {
        Span<byte> h = stackalloc byte[34];
        if (!ReadAt(stream, 0, h)) return null;
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(h[10..]);
        int headerSize = BinaryPrimitives.ReadInt32LittleEndian(h[14..]);
        long width, height;
        int bits;
        uint compression = 0;
        if (headerSize == 12) // OS/2 1.x: 16-bit sizes
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(h[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(h[20..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(h[24..]);
        }
        else
        {
            width = BinaryPrimitives.ReadInt32LittleEndian(h[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(h[22..])); // negative: rows top-down
            bits = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            if (headerSize >= 20) compression = BinaryPrimitives.ReadUInt32LittleEndian(h[30..]);
        }
        // BI_RGB; BI_BITFIELDS and BI_ALPHABITFIELDS in Windows headers (OS/2's 64-byte one uses 3 for Huffman coding).
        bool uncompressed = compression == 0 || (compression is 3 or 6 && headerSize is 40 or 52 or 56 or 108 or 124);
        if (bits is not (0 or 1 or 2 or 4 or 8 or 16 or 24 or 32 or 64)) // 0: JPEG or PNG inside; 64: ImageSharp's decoder says
            return $"its header gives {bits} bits per pixel, which no BMP has (1, 2, 4, 8, 16, 24 or 32)";
        if (!uncompressed || width < 1 || bits is not (1 or 2 or 4 or 8 or 16 or 24 or 32)) return null;
        Int128 needed = offset + (Int128)((width * bits + 31) / 32 * 4) * height; // a damaged header's sizes can overflow a long
        return stream.Length < needed ? Short((long)Int128.Min(needed, long.MaxValue), stream.Length, "header (pixel data offset and size)")
            : null;
    }

    /// <summary>A WebP file is one RIFF chunk, whose size field counts every byte after it; libwebp refuses a file shorter.</summary>
    private static string? Webp(Stream stream)
    {
        Span<byte> h = stackalloc byte[8];
        if (!ReadAt(stream, 0, h)) return null;
        long needed = 8L + BinaryPrimitives.ReadUInt32LittleEndian(h[4..]);
        return stream.Length < needed ? Short(needed, stream.Length, "RIFF header") : null;
    }

    /// <summary>
    /// A JPEG's image data ends with the EOI marker (FF D9) after its first scan (SOS); the markers before it are walked by their
    /// lengths, since an EXIF thumbnail holds SOS and EOI markers of its own. libjpeg stops at the end of a file without it.
    /// </summary>
    private static string? Jpeg(Stream stream)
    {
        Span<byte> m = stackalloc byte[4];
        long p = 2; // after SOI
        while (true)
        {
            if (!ReadAt(stream, p, m)) return "the file is truncated: it ends before the image data (no SOS marker)";
            if (m[0] != 0xFF) return null; // damaged: the decoder says how
            if (m[1] == 0xFF) { p++; continue; } // fill byte
            if (m[1] == 0xDA) break; // SOS
            if (m[1] is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7)) { p += 2; continue; } // markers without a length
            p += 2 + BinaryPrimitives.ReadUInt16BigEndian(m[2..]);
        }
        // Scan data escapes FF as FF 00, so FF D9 after the scan starts is the end. Searched from the file's end, where it is.
        var buffer = new byte[64 * 1024];
        long end = stream.Length;
        while (end > p)
        {
            long start = Math.Max(p, end - buffer.Length);
            int n = (int)(end - start);
            if (!ReadAt(stream, start, buffer.AsSpan(0, n))) return null;
            for (int i = n - 1; i > 0; i--)
                if (buffer[i] == 0xD9 && buffer[i - 1] == 0xFF) return null;
            end = start + 1; // FF D9 may straddle two reads
            if (start == p) break;
        }
        return "the file is truncated: its image data has no end (no EOI marker after the scan)";
    }

    /// <summary>
    /// A GIF's first frame must be whole: the blocks before it, and its image data sub-blocks. As PIL, a frame whose data
    /// sub-blocks are whole is read without the terminator and trailer after it, and later frames are not looked at.
    /// </summary>
    private static string? Gif(Stream stream)
    {
        const string Cut = "the file is truncated: its first frame's image data ends early";
        Span<byte> b = stackalloc byte[13];
        if (!ReadAt(stream, 0, b)) return null;
        long p = 13 + ColorTable(b[10]);
        Span<byte> descriptor = stackalloc byte[10];
        while (true)
        {
            if (!ReadAt(stream, p, descriptor[..1])) return Cut;
            if (descriptor[0] == 0x21) // an extension: its label, then sub-blocks
            {
                if (SubBlocks(stream, p + 2).End is not { } next) return Cut;
                p = next;
                continue;
            }
            if (descriptor[0] != 0x2C) return null; // the trailer before any image, or damage: the decoder says how
            if (!ReadAt(stream, p, descriptor)) return Cut;
            p += 10 + ColorTable(descriptor[9]) + 1; // the descriptor, a local colour table, the LZW code size
            var (end, blocks) = SubBlocks(stream, p);
            return end is null && blocks <= 0 ? Cut : null;
        }
    }

    /// <summary>The bytes of the colour table a GIF packed-fields byte announces.</summary>
    private static long ColorTable(byte packed) => (packed & 0x80) == 0 ? 0 : 3L << ((packed & 7) + 1);

    /// <summary>
    /// Walks sub-blocks (a length byte, then that many bytes) from <paramref name="p"/>: the offset after the zero-length one that
    /// ends them, or null when the file ends first; and how many whole sub-blocks there were, or -1 when the file ends inside one.
    /// </summary>
    private static (long? End, int Blocks) SubBlocks(Stream stream, long p)
    {
        Span<byte> size = stackalloc byte[1];
        for (int blocks = 0; ; blocks++)
        {
            if (!ReadAt(stream, p, size)) return (null, blocks);
            if (size[0] == 0) return (p + 1, blocks);
            if (p + 1 + size[0] > stream.Length) return (null, -1);
            p += 1 + size[0];
        }
    }

    /// <summary>
    /// A classic TIFF's first image must have all its strips (or tiles) in the file: the IFD lists each one's offset and byte count.
    /// BigTIFF, and an IFD too damaged to read, are left to the decoder.
    /// </summary>
    private static string? Tiff(Stream stream)
    {
        Span<byte> h = stackalloc byte[8];
        if (!ReadAt(stream, 0, h)) return null;
        bool little = h[0] == (byte)'I';
        ushort U16(ReadOnlySpan<byte> b) => little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b);
        uint U32(ReadOnlySpan<byte> b) => little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);
        if (U16(h[2..]) != 42) return null;
        long ifd = U32(h[4..]);
        Span<byte> count = stackalloc byte[2];
        if (!ReadAt(stream, ifd, count)) return null;
        var entries = new byte[12 * U16(count)];
        if (!ReadAt(stream, ifd + 2, entries)) return null;
        long[]? Values(ushort tag)
        {
            for (int e = 0; e < entries.Length; e += 12)
            {
                var entry = entries.AsSpan(e, 12);
                if (U16(entry) != tag) continue;
                int size = U16(entry[2..]) switch { 3 => 2, 4 => 4, _ => 0 }; // SHORT or LONG
                long n = U32(entry[4..]);
                if (size == 0 || n is 0 or > 1 << 20) return null;
                var bytes = new byte[n * size];
                if (bytes.Length <= 4) entry.Slice(8, bytes.Length).CopyTo(bytes);
                else if (!ReadAt(stream, U32(entry[8..]), bytes)) return null;
                return Enumerable.Range(0, (int)n).Select(i => size == 2 ? U16(bytes.AsSpan(2 * i)) : (long)U32(bytes.AsSpan(4 * i)))
                    .ToArray();
            }
            return null;
        }
        var (offsets, counts) = Values(273) is { } strips ? (strips, Values(279)) : (Values(324), Values(325)); // strips, or tiles
        if (offsets is null || counts is null || offsets.Length != counts.Length) return null;
        long needed = offsets.Zip(counts, (o, c) => o + c).Max();
        return stream.Length < needed ? Short(needed, stream.Length, "IFD (the offsets and sizes of its strips)") : null;
    }
}
