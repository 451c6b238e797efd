using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace Xent.Tests.Fuzz;

/// <summary>
/// Valid 8×8 images of each format ImageSharp writes, and the damage that QA's fuzzing (qa-s17-fuzz) found ImageSharp 2.1 does
/// not refuse in its own words: it throws NullReference, DivideByZero or LINQ's InvalidOperation, or decodes a cut file with
/// black rows. Each case is made from the valid file by a few lines here, so no damaged file is committed.
/// </summary>
internal static class DamagedImages
{
    /// <summary>One damaged file: the test case's name, the file extension, its bytes, and what its refusal must say.</summary>
    public sealed record Case(string Name, string Extension, byte[] Bytes, string Reason)
    {
        public override string ToString() => Name;
    }

    /// <summary>What the refusal says when ImageSharp's decoder itself failed (its exception is not for the user).</summary>
    public const string DecoderFailed = "ImageSharp's decoder failed on it: the file is damaged or cut short";

    /// <summary>An 8×8 colour gradient written with <paramref name="encoder"/>.</summary>
    public static byte[] Encode(IImageEncoder encoder)
    {
        using var image = new Image<Rgb24>(8, 8);
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++) image[x, y] = new Rgb24((byte)(30 * x), (byte)(25 * y), (byte)(x * y));
        using var ms = new MemoryStream();
        image.Save(ms, encoder);
        return ms.ToArray();
    }

    public static byte[] Bmp() => Encode(new BmpEncoder());
    public static byte[] Jpeg() => Encode(new JpegEncoder());
    public static byte[] Gif() => Encode(new GifEncoder());
    public static byte[] Tiff() => Encode(new TiffEncoder());
    public static byte[] Webp() => Encode(new WebpEncoder()); // lossy, the kind ImageSharp decodes cut
    public static byte[] Png() => Encode(new PngEncoder());

    public static IReadOnlyList<Case> All() =>
    [
        // TIFF: a download cut after its 8-byte header, or before its IFD (ImageSharp writes the IFD last): "Sequence contains no
        // elements"; an IFD without BitsPerSample: "Nullable object must have a value."
        new("tiff cut after its header", ".tif", Tiff()[..8], DecoderFailed),
        new("tiff cut before its IFD", ".tif", Tiff() is var t ? t[..(int)BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan(4))] : [],
            DecoderFailed),
        new("tiff without BitsPerSample", ".tif", TiffEntry(Tiff(), 258, (b, e) => b[e] = b[e + 1] = 0x80), DecoderFailed),
        // JPEG: one byte less in the last quantization table, so that the table swallows the frame header (SOF0) after it:
        // NullReferenceException in JpegDecoderCore.Identify.
        new("jpeg missing a byte of its quantization table", ".jpg", Jpeg() is var j ? Remove(j, Find(j, 0xFF, 0xC0) - 10, 1) : [],
            DecoderFailed),
        // BMP: 0 bits per pixel (DivideByZeroException), 8 without a palette (NullReferenceException), 131080 pixels wide
        // (ImageSharp's own InvalidOperationException, whose words are kept).
        new("bmp of 0 bits per pixel", ".bmp", Patch(Bmp(), 28, 0, 0), DecoderFailed),
        new("bmp of 8 bits per pixel without a palette", ".bmp", Patch(Bmp(), 28, 8, 0), DecoderFailed),
        new("bmp 131080 pixels wide", ".bmp", Patch(Bmp(), 18, 0x08, 0x00, 0x02, 0x00),
            "The input bmp '131080x8' is bigger then the max allowed size"),
        // GIF 0 rows high: ImageSharp's argument check ("Parameter \"height\" (System.Int32) must be greater than 0").
        new("gif 0 pixels high", ".gif", Patch(Gif(), 8, 0, 0), "its header gives a size of 0x8 (height x width), an image without pixels"),
        // Cut files ImageSharp decodes with black rows, where PIL says "image file is truncated".
        new("bmp cut after its header", ".bmp", Bmp()[..64], "the file is truncated: it has 64 bytes, but its header"),
        new("webp cut", ".webp", Webp()[..^30], "the file is truncated: it has"),
        new("jpeg cut in its scan", ".jpg", Jpeg()[..^20], "the file is truncated: its image data has no end"),
        new("gif cut in its first frame", ".gif", Gif()[..^10], "the file is truncated: its first frame's image data ends early"),
        // A BMP header no BMP has: PIL says "Unsupported BMP pixel depth (7)", ImageSharp decoded noise.
        new("bmp of 7 bits per pixel", ".bmp", Patch(Bmp(), 28, 7, 0), "its header gives 7 bits per pixel, which no BMP has"),
        // A PNG whose header claims 9 columns where its data holds rows of 8 (8 × 25 bytes): the data ends inside a 28-byte row.
        // ImageSharp filled in the rest; PIL says "image file is truncated".
        new("png whose header claims more columns than its data", ".png", PngHeader(Png(), 8, 9),
            "the file is truncated: its image data holds 200 bytes, which ends inside a row of 28 bytes, but its header (8x9 " +
            "pixels of 24 bits) needs 224"),
        new("tiff strip beyond the end", ".tif",
            TiffEntry(Tiff(), 279, (b, e) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(e + 8), 1000)),
            "the file is truncated: it has"),
    ];

    /// <summary>A PNG with its IHDR's height and width set (and the chunk's CRC-32 made right again, so only the sizes lie).</summary>
    public static byte[] PngHeader(byte[] png, uint height, uint width)
    {
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17))); // over "IHDR" and its 13 bytes
        return png;
    }

    /// <summary>PNG's CRC-32 (ISO 3309, reflected 0xEDB88320), bit by bit.</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    public static Case Get(string name) => All().Single(c => c.Name == name);

    private static byte[] Patch(byte[] bytes, int offset, params byte[] values)
    {
        values.CopyTo(bytes, offset);
        return bytes;
    }

    private static byte[] Remove(byte[] bytes, int offset, int count) => [.. bytes[..offset], .. bytes[(offset + count)..]];

    private static int Find(byte[] bytes, byte a, byte b)
    {
        for (int i = 0; i + 1 < bytes.Length; i++)
            if (bytes[i] == a && bytes[i + 1] == b) return i;
        throw new InvalidOperationException("marker not found");
    }

    /// <summary>Applies <paramref name="edit"/> at the 12-byte IFD entry of <paramref name="tag"/> (a little-endian TIFF).</summary>
    private static byte[] TiffEntry(byte[] tiff, ushort tag, Action<byte[], int> edit)
    {
        int ifd = (int)BinaryPrimitives.ReadUInt32LittleEndian(tiff.AsSpan(4));
        int n = BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan(ifd));
        for (int e = ifd + 2; e < ifd + 2 + 12 * n; e += 12)
            if (BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan(e)) == tag)
            {
                edit(tiff, e);
                return tiff;
            }
        throw new InvalidOperationException($"no tag {tag}");
    }
}
