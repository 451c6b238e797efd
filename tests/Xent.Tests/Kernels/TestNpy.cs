using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Xent.Tests.Kernels;

/// <summary>
/// Test-only .npy reader (little-endian float32/float64/int64, C order) for the golden files,
/// until the shared reader in src/Xent/IO lands; then these tests should switch to it.
/// </summary>
internal sealed record NpyArray(int[] Shape, double[] Data)
{
    public int Length => Data.Length;
    public float[] Floats() => Array.ConvertAll(Data, v => (float)v);
    public long[] Longs() => Array.ConvertAll(Data, v => (long)v);

    public static NpyArray Load(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        if (b.Length < 10 || b[0] != 0x93 || Encoding.ASCII.GetString(b, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path}: not an .npy file");
        int major = b[6];
        int headerLen = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8));
        int start = major == 1 ? 10 : 12;
        string header = Encoding.ASCII.GetString(b, start, headerLen);
        string descr = Regex.Match(header, @"'descr':\s*'([^']+)'").Groups[1].Value;
        if (Regex.IsMatch(header, @"'fortran_order':\s*True")) throw new InvalidDataException($"{path}: Fortran order");
        string shapeText = Regex.Match(header, @"'shape':\s*\(([^)]*)\)").Groups[1].Value;
        int[] shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        int count = shape.Aggregate(1, (a, d) => a * d);
        var data = new double[count];
        var span = b.AsSpan(start + headerLen);
        for (int i = 0; i < count; i++)
        {
            data[i] = descr switch
            {
                "<f4" => BinaryPrimitives.ReadSingleLittleEndian(span[(4 * i)..]),
                "<f8" => BinaryPrimitives.ReadDoubleLittleEndian(span[(8 * i)..]),
                "<i8" => BinaryPrimitives.ReadInt64LittleEndian(span[(8 * i)..]),
                _ => throw new InvalidDataException($"{path}: unsupported dtype {descr}"),
            };
        }
        return new NpyArray(shape, data);
    }
}
