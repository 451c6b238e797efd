using System.Text;
using System.Text.RegularExpressions;

namespace Xent.Tests.Support;

/// <summary>
/// Reads the PyTorch-written golden .npy files copied next to the test assembly (tools/golden/data/**).
/// Test-side reader on purpose: goldens must not depend on the library code under test.
/// </summary>
public static partial class Golden
{
    public static string PathOf(string area, string file) => Path.Combine(AppContext.BaseDirectory, "golden", area, file);

    public static Tensor Load(string area, string name)
    {
        var (dtype, shape, payload) = ReadNpy(PathOf(area, name + ".npy"));
        int n = 1;
        foreach (int d in shape) n *= d;
        switch (dtype)
        {
            case "<f4":
            {
                var f = new float[n];
                Buffer.BlockCopy(payload, 0, f, 0, n * 4);
                return Tensor.FromArray(f, shape.Length == 0 ? [] : shape).Reshape(shape);
            }
            case "<f8":
            {
                var f = new float[n];
                for (int i = 0; i < n; i++) f[i] = (float)BitConverter.ToDouble(payload, i * 8);
                return Tensor.FromArray(f, n).Reshape(shape);
            }
            case "<i8":
            {
                var l = new long[n];
                Buffer.BlockCopy(payload, 0, l, 0, n * 8);
                return Tensor.FromArray(l, n).Reshape(shape);
            }
            case "<i4":
            {
                var l = new long[n];
                for (int i = 0; i < n; i++) l[i] = BitConverter.ToInt32(payload, i * 4);
                return Tensor.FromArray(l, n).Reshape(shape);
            }
            default:
                throw new InvalidDataException($"{name}.npy: unsupported dtype '{dtype}' (supported: <f4, <f8, <i8, <i4).");
        }
    }

    public static (string DType, int[] Shape, byte[] Payload) ReadNpy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path}: not an .npy file (bad magic at offset 0).");
        int major = bytes[6];
        int headerLen = major == 1 ? BitConverter.ToUInt16(bytes, 8) : BitConverter.ToInt32(bytes, 8);
        int start = major == 1 ? 10 : 12;
        var header = Encoding.ASCII.GetString(bytes, start, headerLen);
        if (header.Contains("'fortran_order': True")) throw new InvalidDataException($"{path}: Fortran order is not supported.");
        var dtype = DescrRegex().Match(header).Groups[1].Value;
        var shapeText = ShapeRegex().Match(header).Groups[1].Value;
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        return (dtype, shape, bytes[(start + headerLen)..]);
    }

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
