using System.Buffers.Binary;

namespace Xent.Tests.Fuzz;

/// <summary>
/// Seeded random damage to a valid file: bit flips, truncations, insertions, deletions, and overwrites with random
/// bytes, boundary integers (0, -1, int.MaxValue, 2^31, …) or digits, half of them aimed at the header, where a
/// reader's sizes, offsets and types live. One to three mutations per case; the same seed gives the same bytes.
/// </summary>
internal static class Mutator
{
    private static readonly long[] Boundaries =
        [0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, int.MaxValue, int.MinValue, uint.MaxValue, long.MaxValue, 1L << 31, 1L << 32, 28, 784,
        60000];

    /// <summary>
    /// The random seed of case <paramref name="index"/> of format <paramref name="format"/>: the same on every run and machine
    /// (not <see cref="HashCode"/>, which is randomised per process), so a failing case can be replayed.
    /// </summary>
    public static int CaseSeed(string format, int index)
    {
        int h = 17;
        foreach (char c in format) h = unchecked(h * 31 + c);
        return unchecked(h * 1_000_003 + index);
    }

    public static byte[] Mutate(byte[] sample, Random rng, int headerBytes)
    {
        var bytes = new List<byte>(sample);
        int rounds = 1 + rng.Next(3);
        for (int r = 0; r < rounds; r++) MutateOnce(bytes, rng, headerBytes);
        return [.. bytes];
    }

    private static int Position(List<byte> bytes, Random rng, int headerBytes, bool end = false)
    {
        int limit = bytes.Count + (end ? 1 : 0);
        if (limit == 0) return 0;
        // Half the time inside the header, where damage changes what the reader believes about the rest.
        int header = Math.Min(headerBytes, limit);
        return header > 0 && rng.Next(2) == 0 ? rng.Next(header) : rng.Next(limit);
    }

    private static void MutateOnce(List<byte> bytes, Random rng, int headerBytes)
    {
        switch (rng.Next(8))
        {
            case 0: // flip 1-4 bits
                for (int k = 1 + rng.Next(4); k > 0 && bytes.Count > 0; k--)
                {
                    int p = Position(bytes, rng, headerBytes);
                    bytes[p] ^= (byte)(1 << rng.Next(8));
                }
                break;
            case 1: // truncate
                bytes.RemoveRange(rng.Next(bytes.Count + 1) is var keep && keep < bytes.Count ? keep : bytes.Count,
                    bytes.Count - Math.Min(keep, bytes.Count));
                break;
            case 2: // insert 1-16 random bytes
            {
                var extra = new byte[1 + rng.Next(16)];
                rng.NextBytes(extra);
                bytes.InsertRange(Position(bytes, rng, headerBytes, end: true), extra);
                break;
            }
            case 3: // delete 1-16 bytes
            {
                if (bytes.Count == 0) break;
                int p = Position(bytes, rng, headerBytes);
                bytes.RemoveRange(p, Math.Min(1 + rng.Next(16), bytes.Count - p));
                break;
            }
            case 4: // overwrite 1-8 bytes with random ones
            {
                if (bytes.Count == 0) break;
                int p = Position(bytes, rng, headerBytes);
                for (int k = 0, n = 1 + rng.Next(8); k < n && p + k < bytes.Count; k++) bytes[p + k] = (byte)rng.Next(256);
                break;
            }
            case 5: // a boundary integer, 4 or 8 bytes, little- or big-endian
            {
                if (bytes.Count == 0) break;
                long v = Boundaries[rng.Next(Boundaries.Length)];
                var buf = new byte[rng.Next(2) == 0 ? 4 : 8];
                if (buf.Length == 4) { if (rng.Next(2) == 0) BinaryPrimitives.WriteInt32LittleEndian(buf, (int)v);
                    else BinaryPrimitives.WriteInt32BigEndian(buf, (int)v); }
                else { if (rng.Next(2) == 0) BinaryPrimitives.WriteInt64LittleEndian(buf, v);
                    else BinaryPrimitives.WriteInt64BigEndian(buf, v); }
                int p = Position(bytes, rng, headerBytes);
                for (int k = 0; k < buf.Length && p + k < bytes.Count; k++) bytes[p + k] = buf[k];
                break;
            }
            case 6: // a decimal number in a text header: change a digit, or grow it past every integer type
            {
                var digits = Enumerable.Range(0, Math.Min(headerBytes, bytes.Count)).Where(i =>
                    bytes[i] is >= (byte)'0' and <= (byte)'9').ToList();
                if (digits.Count == 0) goto case 0;
                int p = digits[rng.Next(digits.Count)];
                if (rng.Next(2) == 0) bytes[p] = (byte)('0' + rng.Next(10));
                else bytes.InsertRange(p, "99999999999"u8.ToArray()[..(1 + rng.Next(11))]);
                break;
            }
            default: // a structural character in a text header
            {
                if (bytes.Count == 0) break;
                byte[] syntax = "{}[](),:'\"-.eE \\"u8.ToArray();
                bytes[Position(bytes, rng, headerBytes)] = syntax[rng.Next(syntax.Length)];
                break;
            }
        }
    }
}
