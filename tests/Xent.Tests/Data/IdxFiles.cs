using System.Buffers.Binary;
using System.IO.Compression;

namespace Xent.Tests.Data;

/// <summary>Writes tiny IDX files (raw or gzipped) in a fresh temporary directory, deleted on dispose.</summary>
public sealed class IdxFiles : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("xent-idx-").FullName;

    public static byte[] Encode(byte[] data, params int[] shape)
    {
        var bytes = new byte[4 + 4 * shape.Length + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), shape[i]);
        data.CopyTo(bytes, 4 + 4 * shape.Length);
        return bytes;
    }

    public string Write(string name, byte[] data, int[] shape, bool gzip = false)
    {
        var path = Path.Combine(Dir, gzip ? name + ".gz" : name);
        var bytes = Encode(data, shape);
        if (!gzip) File.WriteAllBytes(path, bytes);
        else
        {
            using var f = File.Create(path);
            using var gz = new GZipStream(f, CompressionLevel.Fastest);
            gz.Write(bytes);
        }
        return path;
    }

    /// <summary>A split of <paramref name="n"/> images of h×w with pixels from a seed and labels i % 10.</summary>
    public (byte[] Images, byte[] Labels) WriteSplit(string prefix, int n, int h = 28, int w = 28, bool gzip = false, int seed = 1)
    {
        var images = new byte[n * h * w];
        new Random(seed).NextBytes(images);
        var labels = Enumerable.Range(0, n).Select(i => (byte)((i * 7 + 3) % 10)).ToArray();
        Write($"{prefix}-images-idx3-ubyte", images, [n, h, w], gzip);
        Write($"{prefix}-labels-idx1-ubyte", labels, [n], gzip);
        return (images, labels);
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
