using System.Globalization;
using System.Text;
using System.Text.Json;
using Xent.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.IO;

public class NpyTests
{
    // ---- Files written by numpy (tools/golden/gen_io.py) ----

    public static TheoryData<string> ManifestFiles() => FilesOf("npy_manifest.json");

    /// <summary>The files a manifest lists.</summary>
    private static TheoryData<string> FilesOf(string json)
    {
        var data = new TheoryData<string>();
        foreach (var p in Manifest(json).EnumerateObject()) data.Add(p.Name);
        return data;
    }

    /// <summary>The version-1.0 goldens, the format Npy.Write produces (the v2/v3 ones were written with an explicit version).</summary>
    public static TheoryData<string> Version1ManifestFiles()
    {
        var data = new TheoryData<string>();
        foreach (var p in Manifest().EnumerateObject())
            if (File.ReadAllBytes(Golden.PathOf("io", p.Name))[6] == 1) data.Add(p.Name);
        return data;
    }

    private static JsonElement Manifest(string json = "npy_manifest.json")
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Golden.PathOf("io", json)));
        return doc.RootElement.Clone();
    }

    [Theory]
    [MemberData(nameof(ManifestFiles))]
    public void Read_NumpyWrittenFile_MatchesManifest(string file)
    {
        var expected = Manifest().GetProperty(file);
        AssertMatches(expected, "dtype", Npy.Read(Golden.PathOf("io", file)));
    }

    /// <summary>The array has the manifest entry's dtype (under <paramref name="dtypeKey"/>), shape and values, bit for bit.</summary>
    private static void AssertMatches(JsonElement expected, string dtypeKey, NpyArray array)
    {
        Assert.Equal(expected.GetProperty(dtypeKey).GetString(), array.DType.NumpyName());
        Assert.Equal(expected.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(), array.Shape);
        string[] values = expected.GetProperty("values").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(values.Length, array.Count);
        for (int i = 0; i < values.Length; i++)
        {
            string v = values[i];
            switch (array.DType)
            {
                case NpyDType.Float32:
                    AssertSameBits((float)double.Parse(v, CultureInfo.InvariantCulture), array.Float32![i]);
                    break;
                case NpyDType.Float64:
                    AssertSameBits(double.Parse(v, CultureInfo.InvariantCulture), array.Float64![i]);
                    break;
                case NpyDType.Int64: Assert.Equal(long.Parse(v, CultureInfo.InvariantCulture), array.Int64![i]); break;
                case NpyDType.Int32: Assert.Equal(int.Parse(v, CultureInfo.InvariantCulture), array.Int32![i]); break;
                case NpyDType.UInt8: Assert.Equal(byte.Parse(v, CultureInfo.InvariantCulture), array.UInt8![i]); break;
                case NpyDType.Bool: Assert.Equal(v == "true", array.Bool![i]); break;
                default: throw new InvalidOperationException();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Version1ManifestFiles))]
    public void Write_ProducesTheSameBytesAsNumpySave(string file)
    {
        byte[] golden = File.ReadAllBytes(Golden.PathOf("io", file));
        using var dir = new TempDirectory();
        Npy.Write(dir.File("out.npy"), Npy.Read(Golden.PathOf("io", file)));
        Assert.Equal(golden, File.ReadAllBytes(dir.File("out.npy")));
    }

    public static TheoryData<string> WidenedFiles() => FilesOf("npy_widened_manifest.json");

    [Theory]
    [MemberData(nameof(WidenedFiles))]
    public void Read_NarrowOrUnsignedNumpyFile_IsWidenedWithEveryValueExact(string file)
    {
        var expected = Manifest("npy_widened_manifest.json").GetProperty(file);
        AssertMatches(expected, "read_as", Npy.Read(Golden.PathOf("io", file)));
    }

    public static TheoryData<string> TextFiles() => FilesOf("npy_text_manifest.json");

    [Theory]
    [MemberData(nameof(TextFiles))]
    public void TryReadText_NumpyStrings_GiveEachValue(string file)
    {
        var expected = Manifest("npy_text_manifest.json").GetProperty(file);
        Assert.True(Npy.TryReadText(Golden.PathOf("io", file), out string[] values));
        Assert.Equal(expected.GetProperty("values").EnumerateArray().Select(e => e.GetString()!).ToArray(), values);
    }

    [Fact]
    public void TryReadText_NumbersAreNotText_AndObjectsPointAtAsTypeStr()
    {
        Assert.False(Npy.TryReadText(Golden.PathOf("io", "npy_i8_2x2.npy"), out string[] none));
        Assert.Empty(none);
        Assert.False(Npy.TryReadText(Golden.PathOf("io", "bad_object_labels.npy"), out _));
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(Golden.PathOf("io", "bad_object_labels.npy")));
        Assert.Contains("unsupported dtype '|O'", e.Message);
        Assert.Contains("save it with y.astype(str)", e.Message);
    }

    [Fact]
    public void Read_Uint64BeyondInt64_FailsNamingTheValue()
    {
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(Golden.PathOf("io", "bad_u8_beyond_int64.npy")));
        Assert.Contains("uint64 value 9223372036854775808 at index 1 is beyond int64's range", e.Message);
    }

    [Fact]
    public void Read_TruncatedWidenedData_SaysHowManyBytesOfWhichDType()
    {
        byte[] good = File.ReadAllBytes(Golden.PathOf("io", "npy_widen_i2_2x3.npy"));
        using var dir = new TempDirectory();
        var e = ReadFails(dir, good[..^3]);
        Assert.Contains("expected 12 bytes of data", e.Message);
        Assert.Contains("found 9", e.Message);
        Assert.Contains("6 x int16", e.Message);
    }

    [Fact]
    public void Read_TorchTargets_ConvertToInt64ClassIndices()
    {
        Assert.Equal([3L, 0, 9, -100, 1], Npy.Read(Golden.PathOf("io", "npy_torch_targets.npy")).ToInt64());
    }

    // ---- Round trips ----

    public static TheoryData<NpyDType, int[]> DTypesAndShapes()
    {
        var data = new TheoryData<NpyDType, int[]>();
        int[][] shapes = [[], [0], [0, 3], [5], [2, 3], [2, 3, 4], [1, 1, 1, 1]];
        foreach (var dtype in Enum.GetValues<NpyDType>())
            foreach (var shape in shapes) data.Add(dtype, shape);
        return data;
    }

    /// <summary>Deterministic, non-trivial values of each dtype (negative, fractional, extreme).</summary>
    internal static NpyArray Sample(NpyDType dtype, int[] shape, int seed = 1)
    {
        var a = NpyArray.Zeros(dtype, shape);
        var rng = new Random(seed);
        for (int i = 0; i < a.Count; i++)
        {
            switch (dtype)
            {
                case NpyDType.Float32: a.Float32![i] = i == 1 ? float.NegativeInfinity : (float)(rng.NextDouble() * 200 - 100); break;
                case NpyDType.Float64: a.Float64![i] = i == 1 ? double.Epsilon : rng.NextDouble() * 2e10 - 1e10; break;
                case NpyDType.Int64: a.Int64![i] = i == 1 ? long.MinValue : rng.NextInt64(long.MinValue, long.MaxValue); break;
                case NpyDType.Int32: a.Int32![i] = i == 1 ? int.MaxValue : rng.Next(int.MinValue, int.MaxValue); break;
                case NpyDType.Bool: a.Bool![i] = rng.Next(2) == 1; break;
                case NpyDType.UInt8: a.UInt8![i] = (byte)rng.Next(256); break;
            }
        }
        return a;
    }

    internal static void AssertArraysEqual(NpyArray expected, NpyArray actual)
    {
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.Shape, actual.Shape);
        switch (expected.DType)
        {
            case NpyDType.Float32: Assert.Equal(expected.Float32!.Select(BitConverter.SingleToInt32Bits),
                actual.Float32!.Select(BitConverter.SingleToInt32Bits)); break;
            case NpyDType.Float64: Assert.Equal(expected.Float64!.Select(BitConverter.DoubleToInt64Bits),
                actual.Float64!.Select(BitConverter.DoubleToInt64Bits)); break;
            case NpyDType.Int64: Assert.Equal(expected.Int64!, actual.Int64!); break;
            case NpyDType.Int32: Assert.Equal(expected.Int32!, actual.Int32!); break;
            case NpyDType.Bool: Assert.Equal(expected.Bool!, actual.Bool!); break;
            case NpyDType.UInt8: Assert.Equal(expected.UInt8!, actual.UInt8!); break;
        }
    }

    [Theory]
    [MemberData(nameof(DTypesAndShapes))]
    public void Write_ThenRead_RoundTrips(NpyDType dtype, int[] shape)
    {
        using var dir = new TempDirectory();
        var a = Sample(dtype, shape);
        string path = dir.File("a.npy");
        Npy.Write(path, a);

        byte[] bytes = File.ReadAllBytes(path);
        int headerLen = bytes[8] | bytes[9] << 8;
        Assert.Equal(1, bytes[6]);
        Assert.Equal(0, (10 + headerLen) % 64);
        Assert.Equal((byte)'\n', bytes[10 + headerLen - 1]);
        Assert.Equal(10 + headerLen + a.Count * dtype.ItemSize(), bytes.Length);

        AssertArraysEqual(a, Npy.Read(path));
        Assert.Equal(["a.npy"], dir.Entries());
    }

    [Fact]
    public void Write_SpanOverloads_WriteTheMatchingDType()
    {
        using var dir = new TempDirectory();
        Npy.Write(dir.File("f.npy"), new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        Npy.Write(dir.File("d.npy"), new double[] { 0.5 }, []);
        Npy.Write(dir.File("l.npy"), new long[] { -1, 5 }, [2]);
        Npy.Write(dir.File("i.npy"), new int[] { 7 }, [1, 1]);
        Npy.Write(dir.File("u.npy"), new byte[] { 9, 8 }, [2]);
        Npy.Write(dir.File("b.npy"), new bool[] { true, false }, [2, 1]);

        Assert.Equal([1f, 2, 3, 4, 5, 6], Npy.Read(dir.File("f.npy")).Float32!);
        Assert.Equal([2, 3], Npy.Read(dir.File("f.npy")).Shape);
        var d = Npy.Read(dir.File("d.npy"));
        Assert.Equal(0, d.Rank);
        Assert.Equal([0.5], d.Float64!);
        Assert.Equal([-1L, 5], Npy.Read(dir.File("l.npy")).Int64!);
        Assert.Equal([7], Npy.Read(dir.File("i.npy")).Int32!);
        Assert.Equal([9, 8], Npy.Read(dir.File("u.npy")).UInt8!);
        Assert.Equal([true, false], Npy.Read(dir.File("b.npy")).Bool!);
    }

    [Fact]
    public void Write_ToStream_WritesOneArrayAtThePosition()
    {
        var ms = new MemoryStream();
        ms.WriteByte(42);
        Npy.Write(ms, new NpyArray(new int[] { 1, 2, 3 }, 3));
        ms.Position = 1;
        Assert.Equal([1, 2, 3], Npy.Read(ms, "memory").Int32!);
    }

    [Fact]
    public void Write_ShapeMismatch_ThrowsAndLeavesOldFileIntact()
    {
        using var dir = new TempDirectory();
        string path = dir.File("keep.npy");
        Npy.Write(path, new float[] { 1, 2 }, [2]);
        byte[] before = File.ReadAllBytes(path);

        var e = Assert.Throws<ArgumentException>(() => Npy.Write(path, new float[] { 1, 2, 3 }, [2, 2]));
        Assert.Contains("(2, 2)", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["keep.npy"], dir.Entries());
    }

    [Fact]
    public void Write_OverwritesExistingFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("x.npy");
        Npy.Write(path, new float[] { 1, 2, 3 }, [3]);
        Npy.Write(path, new long[] { 4 }, []);
        Assert.Equal([4L], Npy.Read(path).Int64!);
        Assert.Equal(["x.npy"], dir.Entries());
    }

    [Fact]
    public void Write_MissingDirectory_Throws()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "nope", "x.npy");
        var e = Assert.Throws<DirectoryNotFoundException>(() => Npy.Write(path, new float[] { 1 }, [1]));
        Assert.Contains("nope", e.Message);
    }

    // ---- Errors ----

    /// <summary>An .npy file with the given raw header text (padded) and data bytes.</summary>
    private static byte[] MakeNpy(string header, byte[] data, int major = 1)
    {
        var h = Encoding.Latin1.GetBytes(header);
        int prefix = major == 1 ? 10 : 12;
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        if (major == 1) ms.Write(BitConverter.GetBytes((ushort)h.Length));
        else ms.Write(BitConverter.GetBytes((uint)h.Length));
        ms.Write(h);
        ms.Write(data);
        Assert.Equal(prefix + h.Length + data.Length, ms.Length);
        return ms.ToArray();
    }

    private static InvalidDataException ReadFails(TempDirectory dir, byte[] content, string file = "bad.npy")
    {
        string path = dir.File(file);
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void Read_NotAnNpyFile_NamesMagicAndOffset()
    {
        using var dir = new TempDirectory();
        var e = ReadFails(dir, Encoding.ASCII.GetBytes("hello world, not numpy"));
        Assert.Contains("is not an .npy file", e.Message);
        Assert.Contains("offset 0", e.Message);
        Assert.Contains("0x68 0x65", e.Message); // "he"

        e = ReadFails(dir, []);
        Assert.Contains("is not an .npy file", e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Read_MalformedHeaderDict_QuotesAtMostTheStartOfALongWord()
    {
        // A v1 header holds up to 65,535 characters: its parser's "unexpected name '…'" quoted all of one (qa-s17-fuzz L1).
        using var dir = new TempDirectory();
        string header = "{'descr': '<f4', 'fortran_order': " + new string('F', 60_000) + ", 'shape': (1,), }\n";
        var e = ReadFails(dir, MakeNpy(header, new byte[4]));
        Assert.Contains("malformed header dict at offset 10: unexpected name '" + new string('F', 60) + "…'", e.Message);
        Assert.InRange(e.Message.Length, 100, 500);
    }

    [Fact]
    public void Read_TruncatedHeader_SaysWhereAndHowMuch()
    {
        using var dir = new TempDirectory();
        byte[] good = File.ReadAllBytes(Golden.PathOf("io", "npy_f4_2x3.npy"));
        var e = ReadFails(dir, good[..40]);
        Assert.Contains("truncated header", e.Message);
        Assert.Contains("expected 118 header bytes at offset 10, found 30", e.Message);

        e = ReadFails(dir, good[..9]);
        Assert.Contains("truncated header", e.Message);
        Assert.Contains("offset 8", e.Message);
    }

    [Fact]
    public void Read_TruncatedData_SaysExpectedBytesOffsetAndFound()
    {
        using var dir = new TempDirectory();
        byte[] good = File.ReadAllBytes(Golden.PathOf("io", "npy_f4_2x3.npy"));
        Assert.Equal(128 + 24, good.Length);
        var e = ReadFails(dir, good[..^3]);
        Assert.Contains("truncated data", e.Message);
        Assert.Contains("expected 24 bytes of data at offset 128, found 21", e.Message);
    }

    [Fact]
    public void Read_UnsupportedDType_ListsSupportedOnes()
    {
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(Golden.PathOf("io", "bad_complex.npy")));
        Assert.Contains("bad_complex.npy", e.Message);
        Assert.Contains("unsupported dtype '<c8'", e.Message);
        Assert.Contains("supported: '<f4'", e.Message);
        Assert.Contains("offset 10", e.Message);

        Assert.DoesNotContain("Text is read", e.Message);

        using var dir = new TempDirectory();
        // np.save of np.array(['cat', 'dog']): numpy's fixed-width UTF-32 strings.
        e = ReadFails(dir, MakeNpy("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }\n", new byte[24]));
        Assert.Contains("unsupported dtype '<U3'", e.Message);
        Assert.Contains("Text is read only as a labels file of class names", e.Message);
        e = ReadFails(dir, MakeNpy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", new byte[4]));
        Assert.Contains("unsupported dtype", e.Message);
        Assert.Contains("structured", e.Message);
    }

    [Fact]
    public void Read_BigEndian_IsRejected()
    {
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(Golden.PathOf("io", "bad_bigendian.npy")));
        Assert.Contains("bad_bigendian.npy", e.Message);
        Assert.Contains("big-endian dtype '>f4'", e.Message);
    }

    [Fact]
    public void Read_BigEndianOneByteDType_IsFine()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("u.npy"), MakeNpy("{'descr': '>u1', 'fortran_order': False, 'shape': (2,), }\n", [3, 4]));
        Assert.Equal([3, 4], Npy.Read(dir.File("u.npy")).UInt8!);
    }

    [Fact]
    public void Read_FortranOrder_GivesTheArrayInCOrder()
    {
        // numpy saved np.asfortranarray(np.arange(6).reshape(2, 3)): its bytes are 0 3 1 4 2 5, the array is 0..5.
        var a = Npy.Read(Golden.PathOf("io", "npy_f4_2x3_fortran.npy"));
        Assert.Equal([2, 3], a.Shape);
        Assert.Equal([0f, 1, 2, 3, 4, 5], a.Float32!);

        // Three axes, by hand: element (i, j, k) of a (2, 3, 4) array is 100i + 10j + k, stored at i + 2j + 6k in Fortran order.
        var data = new double[24];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++)
                    data[i + 2 * j + 6 * k] = 100 * i + 10 * j + k;
        var bytes = new byte[24 * 8];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("f.npy"), MakeNpy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }\n", bytes));
        var b = Npy.Read(dir.File("f.npy"));
        Assert.Equal([2, 3, 4], b.Shape);
        var expected = from i in Enumerable.Range(0, 2) from j in Enumerable.Range(0, 3) from k in Enumerable.Range(0, 4)
                       select 100.0 * i + 10 * j + k;
        Assert.Equal(expected, b.Float64!);
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", "unterminated dict")]
    [InlineData("{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "unexpected key(s) 'extra'")]
    [InlineData("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", "'fortran_order' must be True or False")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", "shape dimension 0 is -2")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': 2}", "'shape' must be a tuple")]
    [InlineData("['descr', '<f4']", "expected a dict")]
    [InlineData("{'descr': '<f4', 'fortran_order': Nope, 'shape': (2,)}", "unexpected name 'Nope'")]
    [InlineData("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", "duplicate key 'descr'")]
    public void Read_MalformedHeader_SaysWhatIsWrong(string header, string problem)
    {
        using var dir = new TempDirectory();
        var e = ReadFails(dir, MakeNpy(header.PadRight(118) + "\n", new byte[8]));
        Assert.Contains("header", e.Message);
        Assert.Contains("offset 10", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Read_UnsupportedVersion_IsRejected()
    {
        using var dir = new TempDirectory();
        byte[] bytes = File.ReadAllBytes(Golden.PathOf("io", "npy_f4_2x3.npy"));
        bytes[6] = 4;
        var e = ReadFails(dir, bytes);
        Assert.Contains("unsupported .npy format version 4.0 at offset 6", e.Message);
    }

    [Fact]
    public void Read_Version2Header_WithLongShapeAndPython2Longs()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("v2.npy"), MakeNpy("{'descr': '<i4', 'fortran_order': False, 'shape': (2L, 1L), }\n",
            [1, 0, 0, 0, 2, 0, 0, 0], major: 2));
        var a = Npy.Read(dir.File("v2.npy"));
        Assert.Equal([2, 1], a.Shape);
        Assert.Equal([1, 2], a.Int32!);
    }

    [Fact]
    public void Read_BoolBytesOtherThanZeroOrOne_AreTrue()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("b.npy"), MakeNpy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }\n", [0, 2, 255]));
        bool[] b = Npy.Read(dir.File("b.npy")).Bool!;
        Assert.Equal([false, true, true], b);
        Assert.True(b[1] == true); // Normalised to 1, so equality with the literal true holds.
    }

    [Fact]
    public void Read_IgnoresBytesAfterTheData_LikeNpLoad()
    {
        using var dir = new TempDirectory();
        byte[] good = File.ReadAllBytes(Golden.PathOf("io", "npy_i4_4.npy"));
        File.WriteAllBytes(dir.File("t.npy"), [.. good, 1, 2, 3]);
        Assert.Equal(Npy.Read(Golden.PathOf("io", "npy_i4_4.npy")).Int32, Npy.Read(dir.File("t.npy")).Int32!);
    }

    private static void AssertSameBits(float expected, float actual)
    {
        if (float.IsNaN(expected)) Assert.True(float.IsNaN(actual), $"expected NaN, got {actual}");
        else Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));
    }

    private static void AssertSameBits(double expected, double actual)
    {
        if (double.IsNaN(expected)) Assert.True(double.IsNaN(actual), $"expected NaN, got {actual}");
        else Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(actual));
    }
}
