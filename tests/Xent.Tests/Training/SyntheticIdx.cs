using System.Buffers.Binary;
using System.IO.Compression;

namespace Xent.Tests.Training;

/// <summary>
/// A tiny MNIST-format dataset with learnable structure: class k is a bright 6×6 patch at a position of its
/// own (two rows of five) over uniform noise. Training images are gzipped, test images raw, to cover both.
/// </summary>
internal static class SyntheticIdx
{
    /// <param name="classes">The labels to write, in turn (default: 0–9).</param>
    public static void Write(string dir, int train = 256, int test = 64, int seed = 7, int[]? classes = null)
    {
        Directory.CreateDirectory(dir);
        var rng = new Random(seed);
        classes ??= [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        WriteSplit(dir, "train", train, rng, gzip: true, classes);
        WriteSplit(dir, "t10k", test, rng, gzip: false, classes);
    }

    private static void WriteSplit(string dir, string prefix, int n, Random rng, bool gzip, int[] classes)
    {
        var images = new byte[n * 784];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            int k = classes[i % classes.Length];
            labels[i] = (byte)k;
            for (int p = 0; p < 784; p++) images[i * 784 + p] = (byte)rng.Next(0, 80);
            int r0 = 3 + (k / 5) * 13, c0 = 1 + (k % 5) * 5;
            for (int r = r0; r < r0 + 6; r++)
                for (int c = c0; c < c0 + 6 && c < 28; c++)
                    images[i * 784 + r * 28 + c] = (byte)rng.Next(180, 256);
        }
        WriteIdx(Path.Combine(dir, $"{prefix}-images-idx3-ubyte"), images, [n, 28, 28], gzip);
        WriteIdx(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte"), labels, [n], gzip);
    }

    private static void WriteIdx(string path, byte[] data, int[] shape, bool gzip)
    {
        var header = new byte[4 + 4 * shape.Length];
        header[2] = 0x08;
        header[3] = (byte)shape.Length;
        for (int d = 0; d < shape.Length; d++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * d), shape[d]);
        using Stream file = File.Create(gzip ? path + ".gz" : path);
        using Stream s = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        s.Write(header);
        s.Write(data);
    }
}
