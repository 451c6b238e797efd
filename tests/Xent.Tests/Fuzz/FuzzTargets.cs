using System.Buffers.Binary;
using System.IO.Compression;
using Xent.Data;
using Xent.IO;
using Xent.Tests.Support;

namespace Xent.Tests.Fuzz;

/// <summary>
/// A file format under fuzz: valid sample files, how many leading bytes are header, how to damage a sample (by default
/// <see cref="Mutator"/>), the reader, and the exceptions that count as a clean rejection.
/// </summary>
public sealed record FuzzTarget(string Name, Func<IReadOnlyList<byte[]>> Samples, Func<byte[], int> HeaderBytes, Action<byte[]> Read)
{
    /// <summary>Damages a sample; the default aims <see cref="Mutator"/> at the sample's header.</summary>
    public Func<byte[], Random, byte[]>? Mutate { get; init; }

    /// <summary>How many damaged copies the fuzz test reads.</summary>
    public int Cases { get; init; } = 3000;

    /// <summary>Exceptions a reader may reject damaged input with: they carry a message for the user.</summary>
    public IReadOnlyList<Type> CleanErrors { get; init; } = [typeof(InvalidDataException), typeof(NotSupportedException)];

    public byte[] Damage(byte[] sample, Random rng) => Mutate?.Invoke(sample, rng) ?? Mutator.Mutate(sample, rng, HeaderBytes(sample));

    public override string ToString() => Name;
}

/// <summary>The formats the fuzz test covers: one line per format.</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("npy", NpySamples, NpyHeaderBytes, b => Npy.Read(new MemoryStream(b), "fuzz.npy")),
        new("safetensors", SafeTensorsSamples, b => b.Length < 8 ? 8 : 8 + (int)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(b), 4096),
            b => SafeTensors.Read(new MemoryStream(b), "fuzz.safetensors")),
        new("idx", IdxSamples, b => 4 + 4 * b[3], b => IdxReader.Read(new MemoryStream(b), "fuzz-idx")),
        new("idx.gz", () => IdxSamples().Select(Gzip).ToList(), _ => 10, b => IdxReader.Read(new MemoryStream(b), "fuzz-idx.gz"))
        {
            // Half the cases damage the IDX content and compress it (the header the reader sees), half the gzip stream itself.
            Mutate = (sample, rng) => rng.Next(2) == 0 ? Gzip(Mutator.Mutate(Gunzip(sample), rng, 16)) : Mutator.Mutate(sample, rng, 10),
        },
        // CSV: damage anywhere (a text format has no binary header); the reader takes a path, so each case is a temp file.
        new("csv", CsvSamples, b => b.Length, b => ReadAsFile(b, ".csv", path => CsvSource.Load(path, new DataOptions()))),
        // PNG: the signature, IHDR (dimensions, depth, colour type) and the first chunks are the first 64 bytes.
        new("png", PngSamples, b => Math.Min(b.Length, 64),
            b => ReadAsFile(b, ".png", path => ImageFolderSource.LoadImages([path], new DataOptions(), out _))),
        // The other image formats, fewer cases each (a case is a file and a decode). Headers: BMP's file and info header, JPEG's
        // markers up to the frame and Huffman tables, WebP's RIFF and VP8 headers; GIF's colour table and TIFF's IFD (written
        // last) lie anywhere, so the whole file.
        Image("bmp", DamagedImages.Bmp, _ => 54),
        Image("jpeg", DamagedImages.Jpeg, b => Math.Min(b.Length, 200)),
        Image("gif", DamagedImages.Gif, b => b.Length),
        Image("tiff", DamagedImages.Tiff, b => b.Length),
        // WebP: fewer, since a few of the first thousand declare some 10^8 pixels, which decode for seconds each.
        Image("webp", DamagedImages.Webp, _ => 30, cases: 400),
    ];

    private static FuzzTarget Image(string name, Func<byte[]> sample, Func<byte[], int> headerBytes, int cases = 1000) =>
        new(name, () => [sample()], headerBytes,
            b => ReadAsFile(b, "." + name, path => ImageFolderSource.LoadImages([path], new DataOptions(), out _))) { Cases = cases };

    public static FuzzTarget Get(string name) => All.Single(t => t.Name == name);

    private static string GoldenIo(string file) => Golden.PathOf("io", file);

    /// <summary>Writes <paramref name="bytes"/> to a fresh temp file with <paramref name="extension"/>, reads it, deletes it.</summary>
    private static void ReadAsFile(byte[] bytes, string extension, Action<string> read)
    {
        string path = Path.Combine(Path.GetTempPath(), "xent-fuzz-" + Guid.NewGuid().ToString("N") + extension);
        File.WriteAllBytes(path, bytes);
        try { read(path); }
        finally { File.Delete(path); }
    }

    private static IReadOnlyList<byte[]> CsvSamples() =>
    [
        "sepal_length,sepal_width,color,species\n5.1,3.5,red,setosa\n4.9,3.0,blue,setosa\n6.2,2.9,red,virginica\n5.9,3.0,blue,virginica\n"u8
            .ToArray(),
        "a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n,9,1\n"u8.ToArray(),
        "x\ty\tclass\n0.5\t-1e3\tcat\n1.5\t2E-2\tdog\n"u8.ToArray(),
    ];

    private static IReadOnlyList<byte[]> PngSamples()
    {
        var samples = new List<byte[]>();
        foreach (bool rgb in new[] { false, true })
        {
            string path = Path.Combine(Path.GetTempPath(), "xent-fuzz-sample-" + Guid.NewGuid().ToString("N") + ".png");
            if (rgb) Data.OwnDataFiles.Rgb(path, 7, 5, (x, y) => ((byte)(30 * x), (byte)(40 * y), (byte)(x * y)));
            else Data.OwnDataFiles.Gray(path, 6, 4, (x, y) => (byte)(10 * x + 50 * y));
            samples.Add(File.ReadAllBytes(path));
            File.Delete(path);
        }
        return samples;
    }

    private static IReadOnlyList<byte[]> NpySamples() =>
        new[] { "npy_f4_2x3.npy", "npy_f4_2x3x4.npy", "npy_f4_scalar.npy", "npy_f4_empty_0x3.npy", "npy_f8_v2.npy", "npy_i4_v3.npy",
         "npy_i8_2x2.npy", "npy_b1_2x2.npy", "npy_u1_5.npy", "npy_torch_targets.npy" }
        .Select(f => File.ReadAllBytes(GoldenIo(f))).ToList();

    /// <summary>Preamble and header dict: 10 bytes + length for version 1, 12 + length for versions 2 and 3.</summary>
    private static int NpyHeaderBytes(byte[] b) =>
        b.Length < 12 ? b.Length : b[6] == 1 ? 10 + BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)) : 12
            + (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8)), 4096);

    private static IReadOnlyList<byte[]> SafeTensorsSamples()
    {
        var written = new MemoryStream();
        SafeTensors.Write(written, [("w", new NpyArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3)), ("step", new NpyArray(new long[] { 7 })),
            ("mask", new NpyArray(new bool[] { true, false }, 2)), ("u", new NpyArray(new byte[] { 9 }, 1, 1))],
            new Dictionary<string, string> { ["epoch"] = "3", ["model"] = "linear" });
        return [File.ReadAllBytes(GoldenIo("torch_state_dict.safetensors")), written.ToArray()];
    }

    private static IReadOnlyList<byte[]> IdxSamples() =>
    [
        Gunzip(File.ReadAllBytes(GoldenIo("idx_tiny-images-idx3-ubyte.gz"))),
        File.ReadAllBytes(GoldenIo("idx_tiny-labels-idx1-ubyte")),
    ];

    public static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    private static byte[] Gunzip(byte[] gz)
    {
        using var input = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        input.CopyTo(ms);
        return ms.ToArray();
    }
}
