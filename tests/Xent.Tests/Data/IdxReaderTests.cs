using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json;
using Xent.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Data;

public class IdxReaderTests
{
    /// <summary>IDX bytes: 0x00 0x00 type ndims, big-endian dims, then <paramref name="data"/>.</summary>
    private static byte[] MakeIdx(int[] dims, byte[] data, byte type = 0x08)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private static byte[] Gzip(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    [Fact]
    public void Read_PythonWrittenGoldens_GzippedImagesAndRawLabels()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("io", "idx_tiny_manifest.json")));
        var m = doc.RootElement;

        var images = IdxReader.Read(Golden.PathOf("io", "idx_tiny-images-idx3-ubyte.gz"));
        Assert.Equal(m.GetProperty("images_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(), images.Shape);
        Assert.Equal(m.GetProperty("images").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray(), images.Data);

        var labels = IdxReader.Read(Golden.PathOf("io", "idx_tiny-labels-idx1-ubyte"));
        Assert.Equal([3], labels.Shape);
        Assert.Equal(m.GetProperty("labels").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray(), labels.Data);
        Assert.Equal([9L, 0, 3], labels.ToNpyArray().ToInt64());
    }

    [Fact]
    public void Read_DetectsGzipByMagic_NotByExtension()
    {
        using var dir = new TempDirectory();
        byte[] raw = MakeIdx([2, 2, 3], Enumerable.Range(0, 12).Select(i => (byte)(i * 20)).ToArray());
        File.WriteAllBytes(dir.File("raw.gz"), raw);             // Raw despite the name.
        File.WriteAllBytes(dir.File("packed-idx3-ubyte"), Gzip(raw)); // Gzipped without the suffix.

        foreach (string name in new[] { "raw.gz", "packed-idx3-ubyte" })
        {
            var a = IdxReader.Read(dir.File(name));
            Assert.Equal([2, 2, 3], a.Shape);
            Assert.Equal(raw[16..], a.Data);
        }
    }

    [Fact]
    public void Read_FromNonSeekableStream()
    {
        byte[] raw = MakeIdx([4], [1, 2, 3, 4]);
        var a = IdxReader.Read(new NonSeekable(Gzip(raw)), "pipe");
        Assert.Equal([1, 2, 3, 4], a.Data);
    }

    [Fact]
    public void Read_EmptyDimension()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("e"), MakeIdx([0, 28, 28], []));
        var a = IdxReader.Read(dir.File("e"));
        Assert.Equal([0, 28, 28], a.Shape);
        Assert.Equal(0, a.Count);
    }

    private static TException ReadFails<TException>(byte[] content, string file = "bad-idx3-ubyte") where TException : Exception
    {
        using var dir = new TempDirectory();
        string path = dir.File(file);
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<TException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void Read_BadMagic()
    {
        var e = ReadFails<InvalidDataException>([0x12, 0x34, 0x08, 0x01, 0, 0, 0, 0]);
        Assert.Contains("is not an IDX file: magic bytes 0x12 0x34 at offset 0", e.Message);

        e = ReadFails<InvalidDataException>([]);
        Assert.Contains("is not an IDX file", e.Message);
    }

    [Fact]
    public void Read_BadMagicInsideGzip_SaysDecompressed()
    {
        var e = ReadFails<InvalidDataException>(Gzip([0x50, 0x4b, 3, 4]), "x.gz");
        Assert.Contains("magic bytes 0x50 0x4b at offset 0 of the decompressed data", e.Message);
    }

    [Fact]
    public void Read_UnsupportedType()
    {
        var e = ReadFails<NotSupportedException>(MakeIdx([1], [0, 0, 0x80, 0x3f], type: 0x0D));
        Assert.Contains("type 0x0d (float32)", e.Message);
        Assert.Contains("only 0x08 (unsigned byte)", e.Message);
    }

    [Fact]
    public void Read_TruncatedData_GivesExpectedAndFoundSizes()
    {
        // The MNIST training-image header with only 1234 bytes of pixels.
        var e = ReadFails<InvalidDataException>(MakeIdx([60000, 28, 28], new byte[1234]));
        Assert.Contains("expected 47040000 bytes of data after the 16-byte header", e.Message);
        Assert.Contains("found 1234", e.Message);

        e = ReadFails<InvalidDataException>(Gzip(MakeIdx([60000, 28, 28], new byte[1234])), "t.gz");
        Assert.Contains("expected 47040000 bytes of data after the 16-byte header of the decompressed data", e.Message);
    }

    [Fact]
    public void Read_TruncatedHeader()
    {
        var e = ReadFails<InvalidDataException>([0, 0, 8, 3, 0, 0, 0, 5, 0, 0]);
        Assert.Contains("truncated header: expected 12 bytes of dimensions (3 x int32) at offset 4", e.Message);
        Assert.Contains("found 6", e.Message);

        e = ReadFails<InvalidDataException>([0, 0, 8]);
        Assert.Contains("truncated header", e.Message);
    }

    [Fact]
    public void Read_TrailingGarbage()
    {
        var e = ReadFails<InvalidDataException>([.. MakeIdx([2], [1, 2]), 9, 9, 9]);
        Assert.Contains("3 unexpected bytes after the 2 bytes of data, at offset 10", e.Message);
    }

    [Fact]
    public void Read_GzipJoinedMembersAndZeroPaddingAreReadButBytesAfterTheGzipDataAreNot()
    {
        // As Python's gzip: joined members (cat a.gz b.gz) and zero padding are one file; anything else after the data is refused,
        // as a raw file's trailing bytes are. GZipStream stopped at such bytes without a word (qa-s17-fuzz L3).
        byte[] raw = MakeIdx([300], Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray()), gz = Gzip(raw);
        var expected = IdxReader.Read(new MemoryStream(raw), "raw").Data;
        foreach (var (what, bytes) in new (string, byte[])[]
        {
            ("joined members", [.. Gzip(raw[..3]), .. Gzip(raw[3..200]), .. Gzip(raw[200..])]),
            ("a last member that starts inside the header", [.. Gzip(raw[..5]), .. Gzip(raw[5..])]),
            ("zero padding", [.. gz, .. new byte[5000]]),
            ("joined members and zero padding", [.. Gzip(raw[..100]), .. Gzip(raw[100..]), 0, 0, 0]),
        })
            Assert.True(expected.SequenceEqual(IdxReader.Read(new MemoryStream(bytes), what).Data), what);
        var junk = new byte[100];
        new Random(3).NextBytes(junk);
        foreach (var (what, bytes) in new (string, byte[])[]
        {
            ("random bytes", [.. gz, .. junk]),
            ("one byte", [.. gz, (byte)'x']),
            ("bytes, then zeros", [.. gz, 1, 2, 3, .. new byte[20]]),
            ("bytes between members", [.. Gzip(raw[..100]), .. "junk"u8.ToArray(), .. Gzip(raw[100..])]),
            ("cut inside its trailer", gz[..^3]), // an interrupted download: there are no bytes after the data, it is cut short
        })
        {
            var e = ReadFails<InvalidDataException>(bytes, what + ".gz");
            Assert.Contains("the gzip data does not end with its trailer", e.Message);
        }
    }

    [Fact]
    public void Read_GzipWithAWrongChecksumLengthOrBlockIsCalledDamaged()
    {
        // zlib refuses these; .NET's words for it were "compressed using an unsupported compression method" (qa-s19-a X2).
        byte[] gz = Gzip(MakeIdx([300], Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray()));
        // The first deflate block's header (after gzip's 10 bytes) set to type 3, which deflate reserves.
        foreach (var (what, at, value) in new[] { ("crc", gz.Length - 8, gz[^8] ^ 0x55), ("length", gz.Length - 3, gz[^3] ^ 1),
                     ("block", 10, 0x07) })
        {
            byte[] bad = [.. gz];
            bad[at] = (byte)value;
            var e = ReadFails<InvalidDataException>(bad, what + ".gz");
            Assert.Contains("is damaged: its gzip data does not decompress", e.Message);
            Assert.DoesNotContain("compression method", e.Message);
        }
    }

    /// <summary>
    /// gzip of an IDX header (<paramref name="dims"/>) followed by <paramref name="zeros"/> zero bytes, written as it is compressed
    /// so that a file that inflates to a gigabyte costs no gigabyte here.
    /// </summary>
    private static byte[] GzipHeaderAndZeros(int[] dims, long zeros)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(MakeIdx(dims, []));
            var block = new byte[1 << 20];
            for (long left = zeros; left > 0; left -= block.Length) gz.Write(block, 0, (int)Math.Min(block.Length, left));
        }
        return ms.ToArray();
    }

    [Fact]
    public void Read_GzipHeaderDeclaringMoreThanFollows_IsRefusedWithTheFileName()
    {
        // 1000 x 1000 declared, 5000 random (incompressible) bytes there (qa-s18-big M3): refused after reading what there is,
        // naming the file.
        var some = new byte[5000];
        new Random(4).NextBytes(some);
        var e = ReadFails<InvalidDataException>(Gzip(MakeIdx([1000, 1000], some)), "short-idx2-ubyte.gz");
        Assert.Contains("truncated data: expected 1000000 bytes of data after the 12-byte header of the decompressed data", e.Message);
        Assert.Contains("found 5000", e.Message);
    }

    [Fact]
    public void Read_GzipHeaderDeclaringMoreThanTheFileCanInflateTo_IsRefusedBeforeAllocating()
    {
        // 2,000,000,000 bytes declared in a file of a few dozen bytes: deflate cannot inflate it that far, so nothing is read.
        byte[] gz = Gzip(MakeIdx([20000, 100000], new byte[10]));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = ReadFails<InvalidDataException>(gz, "huge-idx2-ubyte.gz");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "allocated a buffer for the declared size");
        Assert.Contains("expected 2000000000 bytes of data after the 12-byte header of the decompressed data", e.Message);
        Assert.Contains($"a {gz.Length}-byte gzip file inflates to at most {gz.Length * 1032} bytes", e.Message);

        // More than .NET arrays hold: refused from the header alone, naming the file.
        var n = ReadFails<NotSupportedException>(Gzip(MakeIdx([65536, 65536], [])), "over-idx2-ubyte.gz");
        Assert.Contains($"has more than {Array.MaxLength} elements", n.Message);
    }

    [Fact]
    public void Read_GzipBomb_StopsAfterTheDeclaredDataWithoutInflatingTheRest()
    {
        // A 2 x 2 array followed by 64 MiB of zeros (a ~65 KB file): refused after a short look-ahead, without holding the
        // 64 MiB the whole file inflates to.
        byte[] gz = GzipHeaderAndZeros([2, 2], 64L << 20);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = ReadFails<InvalidDataException>(gz, "bomb-idx2-ubyte.gz");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8 << 20, "held the whole decompressed file");
        Assert.Contains("more than 65536 unexpected bytes after the 4 bytes of data, at offset 16 of the decompressed data", e.Message);

        // A few extra bytes are counted exactly, as in a raw file.
        e = ReadFails<InvalidDataException>(Gzip([.. MakeIdx([2], [1, 2]), 9, 9, 9]), "extra-idx1-ubyte.gz");
        Assert.Contains("3 unexpected bytes after the 2 bytes of data, at offset 10 of the decompressed data", e.Message);
    }

    [Fact]
    public void Read_GzipOfSeveralMegabytes_ReadsAsTheRawFileDoes()
    {
        // Larger than the first buffer (16 MiB) with a trailer that matches, and joined members whose last trailer does not give
        // the whole size, so the buffer grows: both read as the raw bytes do.
        var pixels = new byte[3 * 2400 * 2400];
        new Random(9).NextBytes(pixels);
        byte[] raw = MakeIdx([3, 2400, 2400], pixels);
        foreach (var (what, bytes) in new (string, byte[])[]
        {
            ("one member", Gzip(raw)),
            ("joined members", [.. Gzip(raw[..1000]), .. Gzip(raw[1000..])]),
        })
        {
            var a = IdxReader.Read(new MemoryStream(bytes), what);
            Assert.Equal([3, 2400, 2400], a.Shape);
            Assert.True(pixels.AsSpan().SequenceEqual(a.Data), what);
        }
    }

    [Fact]
    public void Read_DimensionTooLarge()
    {
        var e = ReadFails<InvalidDataException>([0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff]);
        Assert.Contains("dimension 0 at offset 4", e.Message);
        Assert.Contains("4294967295", e.Message);
    }

    [Fact]
    public void Read_CorruptGzip()
    {
        byte[] gz = Gzip(MakeIdx([64], Enumerable.Range(0, 64).Select(i => (byte)i).ToArray()));
        for (int i = 10; i < gz.Length - 8; i++) gz[i] ^= 0x5a;
        var e = ReadFails<InvalidDataException>(gz, "c.gz");
        Assert.Contains("c.gz", e.Message);
    }

    [Fact]
    public void FindFile_PrefersExactName_ThenGz_ThenDotVariant()
    {
        using var dir = new TempDirectory();
        Assert.Throws<FileNotFoundException>(() => IdxReader.FindFile(dir.Path, "train-images-idx3-ubyte"));

        File.WriteAllBytes(dir.File("train-images.idx3-ubyte"), []);
        Assert.Equal(dir.File("train-images.idx3-ubyte"), IdxReader.FindFile(dir.Path, "train-images-idx3-ubyte"));
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte.gz"), []);
        Assert.Equal(dir.File("train-images-idx3-ubyte.gz"), IdxReader.FindFile(dir.Path, "train-images-idx3-ubyte"));
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte"), []);
        Assert.Equal(dir.File("train-images-idx3-ubyte"), IdxReader.FindFile(dir.Path, "train-images-idx3-ubyte"));
        // The dotted spelling finds the dashed file too.
        File.Delete(dir.File("train-images.idx3-ubyte"));
        Assert.Equal(dir.File("train-images-idx3-ubyte"), IdxReader.FindFile(dir.Path, "train-images.idx3-ubyte"));
    }

    [Fact]
    public void FindFile_Missing_ListsWhatWasTried()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<FileNotFoundException>(() => IdxReader.FindFile(dir.Path, "t10k-labels-idx1-ubyte"));
        Assert.Contains(dir.Path, e.Message);
        Assert.Contains("'t10k-labels-idx1-ubyte.gz'", e.Message);
        Assert.Contains("'t10k-labels.idx1-ubyte'", e.Message);

        var d = Assert.Throws<DirectoryNotFoundException>(() => IdxReader.FindFile(Path.Combine(dir.Path, "none"), "x"));
        Assert.Contains("none", d.Message);
    }

    /// <summary>
    /// Reads the real Fashion-MNIST training set when the machine has it (Debian's dataset path);
    /// elsewhere there is nothing to check. Pixels are compared with a plain GZipStream decode of the same file.
    /// </summary>
    [SkippableFact]
    public void Read_FashionMnistTrainingSet_WhenPresent()
    {
        const string dir = "/usr/share/datasets/fashion-mnist";
        Skip.IfNot(Directory.Exists(dir), $"Fashion-MNIST is not installed in {dir} (apt-get install dataset-fashion-mnist).");
        var labels = IdxReader.Read(IdxReader.FindFile(dir, "train-labels-idx1-ubyte"));
        Assert.Equal([60000], labels.Shape);
        var histogram = new int[10];
        foreach (byte b in labels.Data) histogram[b]++;
        Assert.All(histogram, c => Assert.Equal(6000, c));

        var images = IdxReader.Read(IdxReader.FindFile(dir, "train-images-idx3-ubyte"));
        Assert.Equal([60000, 28, 28], images.Shape);
        // Independent of IdxReader: decompress with GZipStream and take the bytes after the 16-byte header.
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(dir, "train-images-idx3-ubyte.gz")),
            System.IO.Compression.CompressionMode.Decompress);
        var raw = new MemoryStream();
        gz.CopyTo(raw);
        var expected = raw.ToArray().AsSpan(16);
        Assert.Equal(expected.Length, images.Data.Length);
        Assert.True(expected.SequenceEqual(images.Data), "pixels differ from the decompressed file");
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
        public override long Position { get => base.Position; set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
        public override long Length => throw new NotSupportedException();
    }
}
