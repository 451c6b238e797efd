using System.Buffers.Binary;

namespace Xent.Data;

/// <summary>
/// Whether a gzip file ends with the trailer of the data decompressed from it. <see cref="System.IO.Compression.GZipStream"/>
/// reads joined members (<c>cat a.gz b.gz</c>), as gzip and Python do, but stops without a word at bytes after a member that do
/// not start another one, where Python's gzip refuses them ("Not a gzipped file"); both allow zero bytes of padding there.
/// </summary>
internal static class GzipTrailer
{
    /// <summary>
    /// True when the gzip file in <paramref name="compressed"/> (from <paramref name="start"/> to its end), which decompressed to
    /// <paramref name="head"/> followed by <paramref name="data"/>, ends with its last member's trailer (CRC-32, then the length
    /// mod 2^32), maybe followed by zero bytes: nothing was left unread. The stream's position is not kept.
    /// </summary>
    /// <remarks>Two parts, so that a reader can keep the header it parsed apart from the data array it returns.</remarks>
    public static bool EndsWithTrailerOf(Stream compressed, long start, ReadOnlySpan<byte> head, ReadOnlySpan<byte> data)
    {
        long length = (long)head.Length + data.Length;
        long end = AfterLastNonZero(compressed, start);
        Span<byte> trailer = stackalloc byte[8];
        // The trailer's own last bytes may be zero (a length of 108 ends in three), so it ends up to 4 bytes into the zeros.
        for (long e = end; e <= Math.Min(end + 4, compressed.Length); e++)
        {
            if (e - start < 18) continue; // a 10-byte header, a deflate block, the 8-byte trailer
            compressed.Position = e - 8;
            compressed.ReadExactly(trailer);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(trailer), size = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
            // One member (the usual file): zlib checked its trailer, so a matching length is that trailer. Joined members: the last
            // one's data ends the output, and its CRC tells a trailer from bytes that happen to hold a small number.
            if (size == (uint)length) return true;
            if (size < length && Crc32OfLast(head, data, size) == crc) return true;
        }
        return false;
    }

    /// <summary>The offset after the last byte that is not zero (<paramref name="start"/> when there is none).</summary>
    private static long AfterLastNonZero(Stream s, long start)
    {
        var buffer = new byte[4096];
        long end = s.Length;
        while (end > start)
        {
            int n = (int)Math.Min(buffer.Length, end - start);
            s.Position = end - n;
            s.ReadExactly(buffer, 0, n);
            int last = Array.FindLastIndex(buffer, n - 1, n, b => b != 0);
            if (last >= 0) return end - n + last + 1;
            end -= n;
        }
        return start;
    }

    private static readonly uint[] s_table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The CRC-32 of the last <paramref name="count"/> bytes of <paramref name="head"/>, then <paramref name="data"/>.</summary>
    private static uint Crc32OfLast(ReadOnlySpan<byte> head, ReadOnlySpan<byte> data, uint count)
    {
        uint c = 0xFFFFFFFF;
        if (count > data.Length) c = Crc32Update(c, head[^(int)(count - data.Length)..]);
        c = Crc32Update(c, data[^(int)Math.Min(count, (uint)data.Length)..]);
        return c ^ 0xFFFFFFFF;
    }

    /// <summary>Runs gzip's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320) over <paramref name="bytes"/>.</summary>
    private static uint Crc32Update(uint c, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes) c = s_table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c;
    }
}
