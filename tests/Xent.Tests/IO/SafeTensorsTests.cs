using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Xent.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.IO;

public class SafeTensorsTests
{
    private static readonly string TorchFile = Golden.PathOf("io", "torch_state_dict.safetensors");

    // ---- The state dict written from torch (tools/golden/gen_io.py) ----

    [Fact]
    public void ANullMetadataValueIsRefusedAndNothingIsWritten()
    {
        // Written as JSON null, it made a file that Checkpoint.Load itself refused.
        using var dir = new TempDirectory();
        string path = dir.File("md.safetensors");
        var e = Assert.Throws<ArgumentException>(() => Checkpoint.Save(path,
            new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(2) }, new Dictionary<string, string> { ["a"] = null! }));
        Assert.Equal("metadata", e.ParamName);
        Assert.StartsWith("Metadata entry 'a' is null; safetensors metadata values are strings.", e.Message);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void Read_TorchStateDict_MatchesTheSeparatelySavedNpyFiles()
    {
        var file = SafeTensors.Read(TorchFile);

        string[] expectedNames = ["conv.bias", "conv.weight", "fc.bias", "fc.weight", "mask", "scale", "step", "targets"];
        Assert.Equal(expectedNames, file.Names.OrderBy(n => n, StringComparer.Ordinal));
        foreach (string name in expectedNames)
            NpyTests.AssertArraysEqual(Npy.Read(Golden.PathOf("io", $"sd_{name}.npy")), file[name]);

        // PyTorch's own shapes for Conv2d(1, 2, 3) and Linear(4, 3), and a 0-d int64 like num_batches_tracked.
        Assert.Equal([2, 1, 3, 3], file["conv.weight"].Shape);
        Assert.Equal([3, 4], file["fc.weight"].Shape);
        Assert.Equal(NpyDType.Int64, file["step"].DType);
        Assert.Equal(0, file["step"].Rank);
        Assert.Equal([12345678901L], file["step"].Int64!);
        Assert.Equal([3L, 0, -100, 2], file["targets"].ToInt64());
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("gen_io.py", file.Metadata["source"]);
    }

    [Fact]
    public void Write_InTheSameOrder_IsByteIdenticalToThePythonWriter()
    {
        var file = SafeTensors.Read(TorchFile);
        using var dir = new TempDirectory();
        string path = dir.File("again.safetensors");
        // Python writes metadata first, then tensors by (item size desc, name); Names keeps the file's header order.
        SafeTensors.Write(path, file.Names.Select(n => (n, file[n])).ToList(),
            new Dictionary<string, string> { ["format"] = "pt", ["source"] = "gen_io.py" });
        Assert.Equal(File.ReadAllBytes(TorchFile), File.ReadAllBytes(path));
    }

    [Fact]
    public void Indexer_MissingName_ListsTheNamesTheFileHas()
    {
        var file = SafeTensors.Read(TorchFile);
        var e = Assert.Throws<KeyNotFoundException>(() => file["fc2.weight"]);
        Assert.Contains("torch_state_dict.safetensors", e.Message);
        Assert.Contains("'fc2.weight'", e.Message);
        Assert.Contains("'fc.weight'", e.Message);
        Assert.False(file.TryGet("fc2.weight", out _));
        Assert.True(file.TryGet("fc.bias", out var bias));
        Assert.Equal([3], bias.Shape);
    }

    // ---- Round trips ----

    [Fact]
    public void Write_ThenRead_RoundTripsEveryDTypeAndShape_InGivenOrder()
    {
        var tensors = new List<(string, NpyArray)>();
        int k = 0;
        foreach (var dtype in Enum.GetValues<NpyDType>())
            foreach (int[] shape in new int[][] { [], [0], [3], [2, 3], [1, 2, 0], [2, 1, 3, 3] })
                tensors.Add(($"t{k++}.{dtype}", NpyTests.Sample(dtype, shape, seed: k)));
        // A name order unrelated to dtype, to check the header keeps it.
        tensors.Reverse();
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcödé \"quoted\" <tag>" };

        using var dir = new TempDirectory();
        string path = dir.File("all.safetensors");
        SafeTensors.Write(path, tensors, metadata);
        var file = SafeTensors.Read(path);

        Assert.Equal(tensors.Select(t => t.Item1), file.Names);
        foreach (var (name, array) in tensors) NpyTests.AssertArraysEqual(array, file[name]);
        Assert.Equal(metadata, file.Metadata);
        Assert.Equal(["all.safetensors"], dir.Entries());

        // Layout: header padded to 8 bytes, every tensor aligned to its item size, buffer fully covered.
        byte[] bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        long covered = 0;
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__") continue;
            long begin = prop.Value.GetProperty("data_offsets")[0].GetInt64();
            long end = prop.Value.GetProperty("data_offsets")[1].GetInt64();
            int itemSize = file[prop.Name].DType.ItemSize();
            Assert.Equal(0, (8 + (long)n + begin) % itemSize);
            covered += end - begin;
        }
        Assert.Equal(bytes.Length - 8 - (long)n, covered);
    }

    [Fact]
    public void Write_NoTensorsNoMetadata_IsAValidFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("empty.safetensors");
        SafeTensors.Write(path, new List<(string, NpyArray)>());
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(16, bytes.Length); // 8-byte length + "{}" padded to 8.
        Assert.Equal("{}      ", Encoding.UTF8.GetString(bytes, 8, 8));
        var file = SafeTensors.Read(path);
        Assert.Equal(0, file.Count);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Write_FromDictionary_AndToStream()
    {
        var dict = new Dictionary<string, NpyArray> { ["w"] = new(new float[] { 1, 2 }, 2), ["n"] = new(new long[] { 5 }) };
        using var dir = new TempDirectory();
        SafeTensors.Write(dir.File("d.safetensors"), dict);
        Assert.Equal([1f, 2], SafeTensors.Read(dir.File("d.safetensors"))["w"].Float32!);

        var ms = new MemoryStream();
        SafeTensors.Write(ms, [("x", new NpyArray(new int[] { 4, 5, 6 }, 3))]);
        ms.Position = 0;
        Assert.Equal([4, 5, 6], SafeTensors.Read(ms, "memory")["x"].Int32!);
    }

    [Fact]
    public void Write_InvalidNames_ThrowBeforeTouchingTheOldFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("keep.safetensors");
        var a = new NpyArray(new float[] { 1 }, 1);
        SafeTensors.Write(path, [("a", a)]);
        byte[] before = File.ReadAllBytes(path);

        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [("a", a), ("a", a)]));
        Assert.Contains("'a' appears more than once", e.Message);
        e = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [("__metadata__", a)]));
        Assert.Contains("reserved", e.Message);
        e = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [("", a)]));
        Assert.Contains("empty name", e.Message);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["keep.safetensors"], dir.Entries());
    }

    // ---- Errors ----

    /// <summary>A safetensors file with the given header text (unpadded) and data buffer.</summary>
    private static byte[] Make(string header, byte[] data, ulong? declaredLength = null)
    {
        byte[] h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    private static TException ReadFails<TException>(byte[] content) where TException : Exception
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<TException>(() => SafeTensors.Read(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void Read_FileShorterThan8Bytes()
    {
        var e = ReadFails<InvalidDataException>([1, 2, 3]);
        Assert.Contains("3 bytes long", e.Message);
        Assert.Contains("8-byte header length", e.Message);
    }

    [Fact]
    public void Read_HeaderLengthLargerThanFile()
    {
        var e = ReadFails<InvalidDataException>(Make("{}", [], declaredLength: 1000));
        Assert.Contains("header length 1000 at offset 0 exceeds the 2 bytes", e.Message);
    }

    [Fact]
    public void Read_HeaderNotJson()
    {
        var e = ReadFails<InvalidDataException>(Make("{\"a\": {\"dtype\": ", []));
        Assert.Contains("not valid JSON", e.Message);
        Assert.Contains("offset 8", e.Message);
    }

    [Fact]
    public void Read_HeaderNotJson_QuotesOnlyTheStartOfTheRest()
    {
        // System.Text.Json quotes the whole rest of the document from where it fails: a model's header is kilobytes (qa-s17-fuzz L1).
        string tensors = string.Concat(Enumerable.Range(0, 200).Select(i =>
            $",\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,0]}}"));
        var e = ReadFails<InvalidDataException>(Make("{\"a\":n0" + tensors + "}", []));
        Assert.Contains("not valid JSON (at offset 14): 'n0,\"t0\":{\"dtype\":", e.Message);
        Assert.Contains("…' is an invalid JSON literal.", e.Message); // what the parser says after the quote is kept
        Assert.InRange(e.Message.Length, 100, 400);
    }

    [Fact]
    public void Read_HeaderNotAnObject()
    {
        var e = ReadFails<InvalidDataException>(Make("[1, 2]", []));
        Assert.Contains("must be a JSON object", e.Message);
    }

    [Fact]
    public void Read_UnknownDType_IsInvalidData()
    {
        var e = ReadFails<InvalidDataException>(Make("""{"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}""", new byte[4]));
        Assert.Contains("tensor 'w'", e.Message);
        Assert.Contains("unknown dtype 'F33'", e.Message);
    }

    [Fact]
    public void Read_ValidButUnsupportedDType_IsNotSupported()
    {
        var e = ReadFails<NotSupportedException>(Make("""{"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}""", new byte[4]));
        Assert.Contains("tensor 'w'", e.Message);
        Assert.Contains("'BF16'", e.Message);
        Assert.Contains("supported: F32, F64, I64, I32", e.Message);
    }

    [Fact]
    public void Read_ShapeAndOffsetsDisagree()
    {
        var e = ReadFails<InvalidDataException>(Make("""{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}""", new byte[12]));
        Assert.Contains("tensor 'w'", e.Message);
        Assert.Contains("[0, 12] (12 bytes)", e.Message);
        Assert.Contains("need 4 x 4 = 16 bytes", e.Message);
    }

    [Fact]
    public void Read_OffsetsBeyondDataBuffer()
    {
        var e = ReadFails<InvalidDataException>(Make("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", new byte[10]));
        Assert.Contains("tensor 'w'", e.Message);
        Assert.Contains("beyond the end of the 10-byte data buffer", e.Message);
    }

    [Fact]
    public void Read_OverlappingOffsets()
    {
        var e = ReadFails<InvalidDataException>(Make(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""",
                new byte[12]));
        Assert.Contains("overlap", e.Message);
        Assert.Contains("'a'", e.Message);
        Assert.Contains("'b'", e.Message);
    }

    [Fact]
    public void Read_HoleInDataBuffer()
    {
        var e = ReadFails<InvalidDataException>(Make(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""",
                new byte[12]));
        Assert.Contains("hole at data offsets [4, 8]", e.Message);
    }

    [Fact]
    public void Read_TrailingBytesNotCoveredByAnyTensor()
    {
        string header = """{"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}""";
        var e = ReadFails<InvalidDataException>(Make(header, new byte[7]));
        Assert.Contains($"3 trailing bytes at file offset {8 + header.Length + 4}", e.Message);
    }

    [Fact]
    public void Read_TruncatedFile_ReportsOutOfBounds()
    {
        byte[] good = File.ReadAllBytes(TorchFile);
        var e = ReadFails<InvalidDataException>(good[..^5]);
        Assert.Contains("beyond the end", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", "no string \"dtype\"")]
    [InlineData("""{"w":{"dtype":"F32","data_offsets":[0,4]}}""", "no \"shape\" array")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "shape entry 0 = -1")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", "no \"data_offsets\"")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", "end before begin")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""",
        "names 'w' more than once")]
    [InlineData("""{"__metadata__":{"k":1},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "entry 'k' must be a string")]
    [InlineData("""{"__metadata__":[],"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "'__metadata__' must be an object")]
    [InlineData("""{"w":[1]}""", "must be described by a JSON object")]
    public void Read_MalformedEntries(string header, string problem)
    {
        var e = ReadFails<InvalidDataException>(Make(header, new byte[4]));
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Read_HeaderPaddedWithSpaces_AndNullMetadata_AreAccepted()
    {
        using var dir = new TempDirectory();
        string path = dir.File("ok.safetensors");
        File.WriteAllBytes(path, Make("""{"__metadata__":null,"w":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}    """,
            BitConverter.GetBytes(2.5)));
        var file = SafeTensors.Read(path);
        Assert.Equal([2.5], file["w"].Float64!);
        Assert.Empty(file.Metadata);
    }
}
