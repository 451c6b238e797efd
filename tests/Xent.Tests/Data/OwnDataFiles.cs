using System.Globalization;
using System.IO.Compression;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xent.IO;

namespace Xent.Tests.Data;

/// <summary>Small data files of every kind <c>xent train</c> reads, written by the tests themselves.</summary>
internal static class OwnDataFiles
{
    /// <summary>A .npy version 1.0 header (magic, length, the dict padded to 128 bytes in all) for <paramref name="dict"/>.</summary>
    public static List<byte> NpyHeader(string dict)
    {
        dict = dict.PadRight(117) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 };
        var len = new byte[2];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)dict.Length);
        bytes.AddRange(len);
        bytes.AddRange(System.Text.Encoding.Latin1.GetBytes(dict));
        return bytes;
    }

    /// <summary>A .npy file of numpy '&lt;U' text (as <c>np.save(path, np.array(names))</c>), one name per sample.</summary>
    public static void NpyText(string path, IReadOnlyList<string> names)
    {
        int chars = names.Max(n => n.Length);
        var bytes = NpyHeader($"{{'descr': '<U{chars}', 'fortran_order': False, 'shape': ({names.Count},), }}");
        foreach (string n in names) bytes.AddRange(System.Text.Encoding.UTF32.GetBytes(n.PadRight(chars, '\0')));
        File.WriteAllBytes(path, [.. bytes]);
    }

    /// <summary>A gray image whose pixel (x, y) is <c>f(x, y)</c>.</summary>
    public static void Gray(string path, int width, int height, Func<int, int, byte> f)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var img = new Image<L8>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) img[x, y] = new L8(f(x, y));
        img.SaveAsPng(path);
    }

    /// <summary>An RGB image whose pixel (x, y) is <c>f(x, y)</c>.</summary>
    public static void Rgb(string path, int width, int height, Func<int, int, (byte R, byte G, byte B)> f)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var img = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = f(x, y);
                img[x, y] = new Rgb24(r, g, b);
            }
        img.SaveAsPng(path);
    }

    /// <summary>
    /// Two classes of gray 8×8 images that a CNN separates at once: "bright" (pixels 180–240) and "dark" (10–70),
    /// <paramref name="perClass"/> each, with a little seeded texture.
    /// </summary>
    public static void GrayClasses(string dir, int perClass, int size = 8)
    {
        var rng = new Random(5);
        for (int i = 0; i < perClass; i++)
        {
            int a = rng.Next(0, 60), b = rng.Next(0, 60);
            Gray(Path.Combine(dir, "bright", $"img{i:D3}.png"), size, size, (x, y) => (byte)(180 + (x * 7 + y * 3 + a) % 61));
            Gray(Path.Combine(dir, "dark", $"img{i:D3}.png"), size, size, (x, y) => (byte)(10 + (x * 5 + y * 11 + b) % 61));
        }
    }

    /// <summary>
    /// A separable CSV: numeric x1, x2, a text column <c>color</c> (red/blue, one-hot) and a string label <c>species</c>:
    /// "big" when x1 + x2 > 0, else "small". Returns the path.
    /// </summary>
    public static string SeparableCsv(string path, int rows, int seed = 3)
    {
        var rng = new Random(seed);
        using var w = new StreamWriter(path);
        w.WriteLine("x1,x2,color,species");
        for (int i = 0; i < rows; i++)
        {
            double x1 = rng.NextDouble() * 4 - 2, x2 = rng.NextDouble() * 4 - 2;
            if (Math.Abs(x1 + x2) < 0.3) x1 += Math.Sign(x1 + x2 + 1e-9) * 0.6; // a margin
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{x1:R},{x2:R},{(i % 3 == 0 ? "red" : "blue")},{(x1 + x2 > 0 ? "big" : "small")}"));
        }
        return path;
    }

    /// <summary>
    /// 200 rows of two features a, b in [-1, 1] whose label (p or n) follows their sum with noise, six decimals each (files of the
    /// same length are made by changing a label). Returns the path.
    /// </summary>
    public static string NoisySumCsv(string path)
    {
        var rng = new Random(5);
        File.WriteAllLines(path, ["a,b,label", .. Enumerable.Range(0, 200).Select(_ =>
        {
            double a = rng.NextDouble() * 2 - 1, b = rng.NextDouble() * 2 - 1;
            return string.Create(CultureInfo.InvariantCulture, $"{a:F6},{b:F6},{(a + b + 0.8 * (rng.NextDouble() - 0.5) > 0 ? "p" : "n")}");
        })]);
        return path;
    }

    /// <summary>A multi-label CSV: features a, b and labels pos_a = (a > 0), pos_b = (b > 0).</summary>
    public static string MultiLabelCsv(string path, int rows)
    {
        var rng = new Random(11);
        using var w = new StreamWriter(path);
        w.WriteLine("a,b,pos_a,pos_b");
        for (int i = 0; i < rows; i++)
        {
            double a = rng.NextDouble() * 4 - 2, b = rng.NextDouble() * 4 - 2;
            if (Math.Abs(a) < 0.2) a += 0.5 * Math.Sign(a + 1e-9);
            if (Math.Abs(b) < 0.2) b += 0.5 * Math.Sign(b + 1e-9);
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{a:R},{b:R},{(a > 0 ? 1 : 0)},{(b > 0 ? 1 : 0)}"));
        }
        return path;
    }

    /// <summary>A .npy pair: (N, 3) float64 features and int32 labels 0/1/2 by the largest feature.</summary>
    public static (string Features, string Labels) NpyPair(string dir, int n)
    {
        var rng = new Random(7);
        var x = new double[n * 3];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            int k = i % 3;
            for (int j = 0; j < 3; j++) x[i * 3 + j] = rng.NextDouble() + (j == k ? 2 : 0);
            y[i] = k;
        }
        string xf = Path.Combine(dir, "features.npy"), yf = Path.Combine(dir, "labels.npy");
        Npy.Write(xf, x, [n, 3]);
        Npy.Write(yf, y, [n]);
        return (xf, yf);
    }

    public static string Gzip(string path)
    {
        string gz = path + ".gz";
        using (var src = File.OpenRead(path))
        using (var dst = new GZipStream(File.Create(gz), CompressionLevel.Fastest))
            src.CopyTo(dst);
        return gz;
    }
}
