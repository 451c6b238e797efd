using System.Buffers.Binary;
using System.Text;
using Xent.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.IO;

/// <summary>
/// The IO fixes of issue 13: a full disk never leaves a temporary file, safetensors headers are checked for length
/// and UTF-8, integer metadata is range-checked, a folder is not a file, and arrays over 2 GiB read and write.
/// </summary>
public class HostileIoTests
{
    private static AtomicFileWriter BeginOnFullDisk(string path, long capacity) =>
        AtomicFileWriter.Begin(path, temp => new FullDiskStream(new FileStream(temp, FileMode.CreateNew), capacity));

    [Fact]
    public void DiskFullAtDisposeDeletesTheTemporaryFileAndDoesNotThrow()
    {
        using var dir = new TempDirectory();
        string path = dir.File("checkpoint.safetensors");
        File.WriteAllText(path, "earlier checkpoint");
        var writer = BeginOnFullDisk(path, capacity: 10);
        writer.Stream.Write(new byte[1000]);
        writer.Dispose(); // the final flush hits the full disk: the temporary file must go anyway
        Assert.Equal(["checkpoint.safetensors"], dir.Entries());
        Assert.Equal("earlier checkpoint", File.ReadAllText(path));
    }

    [Fact]
    public void DiskFullAtCommitThrowsIOExceptionKeepsTheOldFileAndLeavesNoTemporaryFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("checkpoint.safetensors");
        File.WriteAllText(path, "earlier checkpoint");
        var e = Assert.Throws<IOException>(() =>
        {
            using var writer = BeginOnFullDisk(path, capacity: 100);
            writer.Stream.Write(new byte[1000]);
            writer.Commit();
        });
        Assert.Equal($"Cannot write '{path}': No space left on device", e.Message);
        Assert.Equal(["checkpoint.safetensors"], dir.Entries());
        Assert.Equal("earlier checkpoint", File.ReadAllText(path));
    }

    /// <summary>A stream whose writes fail as a full disk's do in .NET, naming the file it writes.</summary>
    private sealed class FailingWriteStream(string file) : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count) => throw new IOException($"No space left on device : '{file}'");

        public override void Write(ReadOnlySpan<byte> buffer) => throw new IOException($"No space left on device : '{file}'");
    }

    [Fact]
    public void FailuresNameTheDestinationNotTheTemporaryFile()
    {
        // The user asked for checkpoint.safetensors; "… : '…/checkpoint.safetensors.tmp-b0526e729af0'" named a file they never saw.
        using var dir = new TempDirectory();
        string path = dir.File("checkpoint.safetensors");
        var atOpen = Assert.Throws<UnauthorizedAccessException>(() => AtomicFileWriter.Begin(path,
            temp => throw new UnauthorizedAccessException($"Access to the path '{temp}' is denied.")));
        Assert.Equal($"Cannot write '{path}': Access to the path '{path}' is denied.", atOpen.Message);
        var atWrite = Assert.Throws<IOException>(() =>
        {
            using var writer = AtomicFileWriter.Begin(path, temp => new FailingWriteStream(temp));
            writer.Stream.Write(new byte[10]);
        });
        Assert.Equal($"Cannot write '{path}': No space left on device", atWrite.Message);
        var atWriteArray = Assert.Throws<IOException>(() =>
        {
            using var writer = AtomicFileWriter.Begin(path, temp => new FailingWriteStream(temp));
            writer.Stream.Write(new byte[10], 0, 10);
        });
        Assert.Equal($"Cannot write '{path}': No space left on device", atWriteArray.Message);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void AnInt32WeightIsReportedAsInt32NotAsTheInt64ItWasWidenedTo()
    {
        using var dir = new TempDirectory();
        string path = dir.File("int32.safetensors");
        SafeTensors.Write(path, [("linear.weight", new NpyArray(new int[6], 2, 3)), ("linear.bias", new NpyArray(new float[2], 2))]);
        var model = new Xent.NN.Linear(3, 2);
        var wrapper = new Wrapper(model);
        var e = Assert.Throws<InvalidOperationException>(() => wrapper.LoadStateDict(path));
        Assert.Contains("dtype mismatch for linear.weight: expected float32, got int32.", e.Message);
    }

    private sealed class Wrapper : Xent.NN.Module
    {
        public Wrapper(Xent.NN.Linear linear) => Register("linear", linear);

        public override Tensor Forward(Tensor x) => throw new NotSupportedException();
    }

    [Fact]
    public void AFolderIsNotAFile()
    {
        using var dir = new TempDirectory();
        Assert.Contains("is a folder, not a file", Assert.Throws<IOException>(() => Npy.Read(dir.Path)).Message);
        Assert.Contains("is a folder, not a file", Assert.Throws<IOException>(() => SafeTensors.Read(dir.Path)).Message);
        Assert.Contains("is a directory", Assert.Throws<IOException>(() => Npy.Write(dir.Path, new float[] { 1 }, [1])).Message);
    }

    private static byte[] SafeTensorsBytes(byte[] header, byte[] data, ulong? declaredLength = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    [Theory]
    [InlineData(-7)] // one byte past the end: the header would end one byte after the file
    [InlineData(-1)]
    [InlineData(0)]  // the file's whole size, the 8-byte length included
    public void HeaderLengthJustPastTheEndIsTheCleanError(int fromFileSize)
    {
        byte[] header = Encoding.UTF8.GetBytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        byte[] bytes = SafeTensorsBytes(header, new byte[4]);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(bytes.Length + fromFileSize));
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new MemoryStream(bytes), "f"));
        Assert.Contains($"exceeds the {bytes.Length - 8} bytes that follow it", e.Message);
    }

    [Fact]
    public void InvalidUtf8InTheHeaderIsInvalidDataWithItsOffset()
    {
        // 0xC3 0x28: a two-byte sequence whose second byte is not a continuation byte, inside a tensor name.
        byte[] header = [.. "{\"a"u8, 0xC3, 0x28, .. "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"u8];
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new MemoryStream(SafeTensorsBytes(header, new byte[4])), "f"));
        Assert.Contains("not valid UTF-8: byte 0xc3 at offset 11", e.Message);
    }

    [Theory]
    [InlineData("7", 7)]
    [InlineData("0", 0)]
    public void MetadataIntegersInRangeRead(string text, int expected) =>
        Assert.Equal(expected, MetadataValues.GetInt32(new Dictionary<string, string> { ["epoch"] = text }, "epoch", 0, int.MaxValue - 1,
            "f"));

    [Theory]
    [InlineData("2147483647")]
    [InlineData("99999999999999999999999")]
    [InlineData("-1")]
    [InlineData(" 3")]
    [InlineData("3.0")]
    [InlineData("")]
    public void MetadataIntegersOutOfRangeOrMalformedAreInvalidData(string text)
    {
        var e = Assert.Throws<InvalidDataException>(() =>
            MetadataValues.GetInt32(new Dictionary<string, string> { ["epoch"] = text }, "epoch", 0, int.MaxValue - 1, "ckpt"));
        Assert.Contains("'ckpt': metadata 'epoch'", e.Message);
        Assert.Contains($"[0, {int.MaxValue - 1}]", e.Message);
    }

    /// <summary>
    /// A read-only stream of <paramref name="prefix"/> followed by zeros up to <paramref name="length"/>, with <paramref name="marker"/> as
    /// its last bytes.
    /// </summary>
    private sealed class SyntheticStream(byte[] prefix, long length, byte[] marker) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => _position = value; }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => _position =
            origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => length + offset };
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = (int)Math.Min(buffer.Length, length - _position);
            var span = buffer[..n];
            span.Clear();
            for (long p = _position; p < prefix.Length && p < _position + n; p++) span[(int)(p - _position)] = prefix[p];
            long markerStart = length - marker.Length;
            for (long p = Math.Max(_position, markerStart); p < _position + n; p++) span[(int)(p - _position)] = marker[p - markerStart];
            _position += n;
            return n;
        }
    }

    /// <summary>Counts the bytes written and keeps the first 4 KiB (the header) and the last 4.</summary>
    private sealed class CountingStream : Stream
    {
        public readonly List<byte> Head = [];
        public readonly byte[] Tail = new byte[4];
        public long Count;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Count;
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Head.Count < 4096) Head.AddRange(buffer[..Math.Min(buffer.Length, 4096 - Head.Count)].ToArray());
            Count += buffer.Length;
            if (buffer.Length >= 4) buffer[^4..].CopyTo(Tail);
        }
    }

    [Fact]
    public void ArraysOver2GiBReadAndWriteAsNpyAndSafeTensors()
    {
        // 54M x 10 float32 = 2.16 GB, the example: more bytes than one Span<byte> can describe.
        const int Rows = 54_000_000, Cols = 10;
        long bytes = (long)Rows * Cols * sizeof(float);
        byte[] header = Npy.BuildHeader(NpyDType.Float32, [Rows, Cols]);
        byte[] last = BitConverter.GetBytes(1.5f);
        var array = Npy.Read(new SyntheticStream(header, header.Length + bytes, last), "big.npy");
        Assert.Equal([Rows, Cols], array.Shape);
        Assert.Equal(1.5f, array.Float32![^1]);
        Assert.Equal(0f, array.Float32[^2]);

        var npyOut = new CountingStream();
        Npy.Write(npyOut, array);
        Assert.Equal(header.Length + bytes, npyOut.Count);
        Assert.Equal(last, npyOut.Tail);

        var stOut = new CountingStream();
        SafeTensors.Write(stOut, [("x", array)]);
        array = null;
        GC.Collect();
        int headerLength = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(stOut.Head.ToArray());
        Assert.Equal(headerLength + bytes, stOut.Count);
        var file = SafeTensors.Read(new SyntheticStream(stOut.Head.Take(headerLength).ToArray(), headerLength + bytes, last),
            "big.safetensors");
        Assert.Equal(1.5f, file["x"].Float32![^1]);
        Assert.Equal((long)Rows * Cols, file["x"].Count);
        file = null;
        GC.Collect();
    }
}

/// <summary>Hostile headers that used to cost a stack overflow or gigabytes before the error.</summary>
public class HostileHeaderTests
{
    private static byte[] NpyWithHeader(string header, int dataBytes)
    {
        header = header.PadRight(((header.Length + 11 + 63) / 64 * 64) - 11) + "\n";
        byte[] h = Encoding.Latin1.GetBytes(header);
        var bytes = new byte[12 + h.Length + dataBytes];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY").CopyTo(bytes, 1);
        bytes[6] = 2; // version 2.0: a 4-byte header length
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)h.Length);
        h.CopyTo(bytes, 12);
        return bytes;
    }

    [Fact]
    public void DeeplyNestedNpyHeaderIsAnErrorNotAStackOverflow()
    {
        string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + new string('(', 200_000) + "}";
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(NpyWithHeader(header, 0)), "deep.npy"));
        Assert.Contains("nesting deeper than 32 levels", e.Message);
    }

    private static long AllocatedBy(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void SizesClaimedByAHeaderAreCheckedAgainstTheFileBeforeAllocating()
    {
        byte[] npy = NpyWithHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (2000000000,), }", 10);
        long npyBytes = AllocatedBy(() => Assert.Contains("truncated data",
            Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(npy), "big.npy")).Message));

        byte[] idx = [0, 0, 8, 1, 0x77, 0x35, 0x94, 0x00, 1, 2, 3]; // 2,000,000,000 labels, 3 present
        long idxBytes = AllocatedBy(() => Assert.Contains("truncated data",
            Assert.Throws<InvalidDataException>(() => Xent.Data.IdxReader.Read(new MemoryStream(idx), "big-idx")).Message));
        using var gz = new MemoryStream();
        using (var z = new System.IO.Compression.GZipStream(gz, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            z.Write(idx);
        long gzBytes = AllocatedBy(() => Assert.Contains("truncated data",
            Assert.Throws<InvalidDataException>(() => Xent.Data.IdxReader.Read(new MemoryStream(gz.ToArray()), "big-idx.gz")).Message));

        Assert.True(npyBytes < 1 << 20, $"Npy.Read allocated {npyBytes} bytes for a 10-byte array claiming 2 GB");
        Assert.True(idxBytes < 1 << 20, $"IdxReader allocated {idxBytes} bytes for a raw file claiming 2 GB");
        Assert.True(gzBytes < 1 << 20, $"IdxReader allocated {gzBytes} bytes for a gzipped file claiming 2 GB");
    }
}
