using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Xent.Diagnostics;

namespace Xent.IO;

/// <summary>
/// Reads and writes numpy <c>.npy</c> files
/// (<see href="https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html">format spec</see>).
/// </summary>
/// <remarks>
/// Reading supports format versions 1.0, 2.0 and 3.0, C or Fortran order (a Fortran-ordered array is returned in C
/// order, as <c>np.load</c> followed by <c>np.ascontiguousarray</c> would give it), little-endian (or byte-order-free)
/// dtypes <c>&lt;f4 &lt;f8 &lt;i8 &lt;i4 |b1 |u1</c>, the narrower or unsigned <c>|i1 &lt;i2 &lt;u2</c> (read as int32),
/// <c>&lt;u4 &lt;u8</c> (as int64; a uint64 beyond int64's range is an error) and <c>&lt;f2</c> (as float32), every value exactly,
/// and any rank including 0-d. Anything else is
/// rejected with an <see cref="InvalidDataException"/> naming the file and the byte offset.
/// Bytes after the data are ignored, as <c>np.load</c> ignores them.
/// Writing produces version 1.0 (2.0 only when the header would exceed 65535 bytes) with the
/// header padded so the data starts on a 64-byte boundary, via a temporary file and a rename.
/// </remarks>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private const int Alignment = 64;
    private const string SupportedDTypes = "'<f4' (float32), '<f8' (float64), '<i8' (int64), '<i4' (int32), '|b1' (bool), '|u1' (uint8), " +
        "and, widened as they are read, '|i1' (int8), '<i2' (int16), '<u2' (uint16) to int32, '<u4' (uint32), '<u8' (uint64) to int64 " +
        "and '<f2' (float16) to float32";

    /// <summary>
    /// A numpy dtype that is read into a wider <see cref="NpyDType"/>, every value exactly (a uint64 beyond int64's range is an
    /// error): numpy's kind code (<c>i2</c>), its bytes per element, the type it is read as, and numpy's name for it.
    /// </summary>
    private sealed record Widened(string Kind, int ItemSize, NpyDType As, string Name);

    private static readonly Widened[] WidenedDTypes =
    [
        new("i1", 1, NpyDType.Int32, "int8"), new("i2", 2, NpyDType.Int32, "int16"), new("u2", 2, NpyDType.Int32, "uint16"),
        new("u4", 4, NpyDType.Int64, "uint32"), new("u8", 8, NpyDType.Int64, "uint64"), new("f2", 2, NpyDType.Float32, "float16"),
    ];

    /// <summary>Reads the .npy file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a supported, well-formed .npy file.</exception>
    /// <exception cref="NotSupportedException">The array has more elements than a .NET array can hold.</exception>
    public static NpyArray Read(string path)
    {
        using var stream = BinaryFile.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads one .npy array from <paramref name="stream"/>, starting at its current position.</summary>
    /// <param name="stream">The stream positioned at the magic string.</param>
    /// <param name="nameForErrors">Names the source in error messages (a file name or description).</param>
    /// <exception cref="InvalidDataException">The data is not a supported, well-formed .npy array.</exception>
    public static NpyArray Read(Stream stream, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(stream);
        string name = nameForErrors ?? BinaryFile.UnnamedStream;
        var (header, headerOffset, headerLen) = ReadPreamble(stream, name);

        var (dtype, widened, fortran, shape) = ParseHeader(header, name, headerOffset);
        string fileDType = widened?.Name ?? dtype.NumpyName();

        long count = CountOrThrow(shape, name, headerOffset);
        if (count > Array.MaxLength)
            throw new NotSupportedException($"'{name}': the array has {count} elements; at most {Array.MaxLength} are supported.");
        long dataOffset = headerOffset + headerLen;
        long needed = count * (widened?.ItemSize ?? dtype.ItemSize());
        if (stream.CanSeek && needed > stream.Length - stream.Position)
            throw new InvalidDataException(
                $"'{name}': truncated data: expected {needed} bytes of data at offset {dataOffset}, found " +
                    $"{Math.Max(0, stream.Length - stream.Position)} " +
                $"({count} x {fileDType}, shape {NpyArray.FormatShape(shape)}).");
        // Fortran order (np.save of a column-major array, such as a transposed one): its bytes are the C-order data
        // of the array with its axes reversed, so read that and reverse the axes back.
        var array = NpyArray.Zeros(dtype, fortran ? [.. shape.Reverse()] : shape);
        // In chunks: an array over 2 GiB (e.g. 54M x 10 float32) is more bytes than one Span can hold.
        long read = widened is null ? array.ReadDataFrom(stream) : ReadWidened(stream, array, widened, name);
        if (read < needed)
            throw new InvalidDataException(
                $"'{name}': truncated data: expected {needed} bytes of data at offset {dataOffset}, found {read} " +
                $"({count} x {fileDType}, shape {NpyArray.FormatShape(shape)}).");
        array.NormalizeBools();
        return fortran ? array.ReverseAxes() : array;
    }

    /// <summary>
    /// The dtype <see cref="Read(string)"/> would give the .npy file at <paramref name="path"/> (int8 and uint16 as int32,
    /// float16 as float32, …), from its header alone.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a supported, well-formed .npy file.</exception>
    internal static NpyDType ReadDType(string path)
    {
        using var stream = BinaryFile.OpenRead(path);
        var (header, headerOffset, _) = ReadPreamble(stream, path);
        return ParseHeader(header, path, headerOffset).DType;
    }

    /// <summary>Reads the magic string, the version and the header, and returns the header text, its offset and its length.</summary>
    private static (string Header, int HeaderOffset, long HeaderLen) ReadPreamble(Stream stream, string name)
    {
        // Preamble: magic (6), major (1), minor (1), header length (2 for v1, 4 for v2/v3).
        Span<byte> pre = stackalloc byte[12];
        int got = BinaryFile.ReadUpTo(stream, pre[..8]);
        if (got < 6 || !pre[..6].SequenceEqual(Magic))
            throw new InvalidDataException(
                $"'{name}' is not an .npy file: expected the magic string \\x93NUMPY at offset 0, found " +
                    $"{HexBytes(pre[..Math.Min(got, 6)])}.");
        if (got < 8)
            throw new InvalidDataException($"'{name}': truncated header: the file ends at offset {got}, inside the format version at " +
                "offset 6.");
        int major = pre[6], minor = pre[7];
        if (major is < 1 or > 3 || minor != 0)
            throw new InvalidDataException(
                $"'{name}': unsupported .npy format version {major}.{minor} at offset 6; supported versions: 1.0, 2.0, 3.0.");
        int lenSize = major == 1 ? 2 : 4;
        got = BinaryFile.ReadUpTo(stream, pre.Slice(8, lenSize));
        if (got < lenSize)
            throw new InvalidDataException(
                $"'{name}': truncated header: expected a {lenSize}-byte header length at offset 8, found {got} bytes.");
        long headerLen = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(pre[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(pre[8..]);
        int headerOffset = 8 + lenSize;
        if (headerLen > 1 << 24)
            throw new InvalidDataException($"'{name}': header length {headerLen} at offset 8 is implausibly large (over 16 MiB).");

        // Before allocating: a hostile length must not cost memory the file does not back.
        if (stream.CanSeek && headerLen > stream.Length - stream.Position)
            throw new InvalidDataException(
                $"'{name}': truncated header: expected {headerLen} header bytes at offset {headerOffset}, found " +
                    $"{Math.Max(0, stream.Length - stream.Position)}.");
        var headerBytes = new byte[headerLen];
        got = BinaryFile.ReadUpTo(stream, headerBytes);
        if (got < headerLen)
            throw new InvalidDataException(
                $"'{name}': truncated header: expected {headerLen} header bytes at offset {headerOffset}, found {got}.");
        // Versions 1 and 2 encode the header as latin-1, version 3 as UTF-8.
        string header = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        return (header, headerOffset, headerLen);
    }

    /// <summary>
    /// Reads a 1-D (or (N, 1)) array of numpy text (<c>&lt;U</c> strings, as <c>np.save(np.array(['cat', 'dog']))</c> writes) into
    /// <paramref name="values"/>, trailing NULs dropped; false, with nothing read, when the file holds numbers or another dtype.
    /// </summary>
    /// <exception cref="InvalidDataException">A malformed file, text of another shape, or truncated data.</exception>
    internal static bool TryReadText(string path, out string[] values)
    {
        using var stream = BinaryFile.OpenRead(path);
        return TryReadText(stream, path, out values);
    }

    /// <summary>
    /// <see cref="TryReadText(string, out string[])"/> from <paramref name="stream"/>; <paramref name="path"/> names it in errors.
    /// When it returns false, only the header has been read.
    /// </summary>
    internal static bool TryReadText(Stream stream, string path, out string[] values)
    {
        values = [];
        var (header, headerOffset, headerLen) = ReadPreamble(stream, path);
        var (chars, shape) = ParseTextHeader(header, path, headerOffset);
        if (chars < 0) return false;
        if (shape.Length is not (1 or 2) || (shape.Length == 2 && shape[1] != 1))
            throw new InvalidDataException($"'{path}' holds text of shape {NpyArray.FormatShape(shape)}; text is read as one value per " +
                "sample, of shape (N) or (N, 1).");
        int n = shape[0];
        // Int128 and the file's length before allocating: a header may claim 10^9 strings of 2^31 characters.
        Int128 needed = (Int128)n * chars * 4;
        if (stream.CanSeek && needed > stream.Length - stream.Position)
            throw new InvalidDataException($"'{path}': truncated data: expected {needed} bytes of data at offset " +
                $"{headerOffset + headerLen}, found {Math.Max(0, stream.Length - stream.Position)} ({n} x <U{chars}).");
        if (needed > Array.MaxLength)
            throw new InvalidDataException($"'{path}' holds {n} labels of up to {chars} characters, {needed} bytes: more than the " +
                $"{Array.MaxLength} xent reads as text; use shorter names, or save class indices.");
        var bytes = new byte[(int)needed];
        int got = BinaryFile.ReadUpTo(stream, bytes);
        if (got < needed)
            throw new InvalidDataException($"'{path}': truncated data: expected {needed} bytes of data at offset " +
                $"{headerOffset + headerLen}, found {got} ({n} x <U{chars}).");
        values = new string[n];
        var utf32 = new UTF32Encoding(bigEndian: false, byteOrderMark: false, throwOnInvalidCharacters: true);
        try
        {
            for (int i = 0; i < n; i++) values[i] = utf32.GetString(bytes, i * chars * 4, chars * 4).TrimEnd('\0');
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"'{path}' holds text that is not valid UTF-32 ({e.Message}).", e);
        }
        return true;
    }

    /// <summary>The character count of a little-endian <c>&lt;U{n}</c> dtype and the shape, or (−1, shape) for any other dtype.</summary>
    private static (int Chars, int[] Shape) ParseTextHeader(string header, string name, int offset)
    {
        var (descr, _, shape) = ParseHeaderDict(header, name, offset);
        if (descr.Length >= 3 && descr[0] is '<' or '|' or '=' && descr[1] == 'U'
            && int.TryParse(descr.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int chars) && chars >= 1)
            return (chars, shape);
        return (-1, shape);
    }

    private static (NpyDType DType, Widened? Widened, bool Fortran, int[] Shape) ParseHeader(string header, string name, int offset)
    {
        var (descr, fortran, shape) = ParseHeaderDict(header, name, offset);
        var (dtype, widened) = ParseDescr(descr, name, offset);
        return (dtype, widened, fortran, shape);
    }

    /// <summary>The header dict's dtype string, order and shape, each checked; the dtype itself is the caller's to read.</summary>
    private static (string Descr, bool Fortran, int[] Shape) ParseHeaderDict(string header, string name, int offset)
    {
        object? parsed;
        try { parsed = PyLiteral.Parse(header); }
        catch (FormatException e)
        {
            throw new InvalidDataException($"'{name}': malformed header dict at offset {offset}: {Excerpt.OfMessage(e.Message)}.", e);
        }
        if (parsed is not Dictionary<string, object?> dict)
            throw new InvalidDataException($"'{name}': malformed header at offset {offset}: expected a dict, found {Describe(parsed)}.");
        foreach (string key in new[] { "descr", "fortran_order", "shape" })
        {
            if (!dict.ContainsKey(key))
                throw new InvalidDataException($"'{name}': malformed header dict at offset {offset}: missing key '{key}'.");
        }
        if (dict.Count != 3)
        {
            string extra = string.Join(", ", dict.Keys.Where(k => k is not ("descr" or "fortran_order" or "shape")).Select(k => $"'{k}'"));
            throw new InvalidDataException($"'{name}': malformed header dict at offset {offset}: unexpected key(s) {extra}.");
        }

        if (dict["descr"] is not string descr)
            throw new InvalidDataException(
                $"'{name}': unsupported dtype {Describe(dict["descr"])} (structured arrays are not supported) at offset {offset}; " +
                    $"supported: {SupportedDTypes}.");

        if (dict["fortran_order"] is not bool fortran)
            throw new InvalidDataException($"'{name}': malformed header dict at offset {offset}: 'fortran_order' must be True or False, " +
                $"found {Describe(dict["fortran_order"])}.");

        if (dict["shape"] is not List<object?> dims)
            throw new InvalidDataException($"'{name}': malformed header dict at offset {offset}: 'shape' must be a tuple of integers, " +
                $"found {Describe(dict["shape"])}.");
        var shape = new int[dims.Count];
        for (int i = 0; i < dims.Count; i++)
        {
            if (dims[i] is not long d || d < 0 || d > int.MaxValue)
                throw new InvalidDataException(
                    $"'{name}': malformed header dict at offset {offset}: shape dimension {i} is {Describe(dims[i])}, expected an " +
                        $"integer in [0, {int.MaxValue}].");
            shape[i] = (int)d;
        }
        return (descr, fortran, shape);
    }

    private static (NpyDType DType, Widened? Widened) ParseDescr(string descr, string name, int offset)
    {
        if (descr.Length >= 2)
        {
            char order = descr[0];
            string kind = descr[1..];
            NpyDType? dtype = kind switch
            {
                "f4" => NpyDType.Float32,
                "f8" => NpyDType.Float64,
                "i8" => NpyDType.Int64,
                "i4" => NpyDType.Int32,
                "b1" => NpyDType.Bool,
                "u1" => NpyDType.UInt8,
                _ => null,
            };
            var widened = Array.Find(WidenedDTypes, w => w.Kind == kind);
            if ((dtype is not null || widened is not null) && order is '<' or '>' or '|' or '=')
            {
                bool oneByte = (widened?.ItemSize ?? dtype!.Value.ItemSize()) == 1;
                // Byte order does not matter for one-byte types; '=' is native, and every .NET platform we run on is little-endian.
                if (oneByte || order is '<' or '=') return (widened?.As ?? dtype!.Value, widened);
                if (order == '>')
                    throw new InvalidDataException(
                        $"'{name}': big-endian dtype '{descr}' at offset {offset} is not supported; save a little-endian copy with " +
                            $"arr.astype('<{kind}').");
            }
        }
        // Text (numpy's 'U' and 'S' strings, or Python objects, as pandas' string columns are) is the usual case after numbers.
        string text = descr.Length < 2 ? "" : descr[1] switch
        {
            'U' => " Text is read only as a labels file of class names; as features, map the values to numbers first.",
            'S' or 'O' => " Text is read only as a labels file of class names, as numpy's '<U' strings: save it with y.astype(str) " +
                "(a pandas column of text is an array of Python objects, which np.save pickles).",
            _ => "",
        };
        throw new InvalidDataException(
            $"'{name}': unsupported dtype '{descr}' at offset {offset}; supported: {SupportedDTypes}.{text}");
    }

    /// <summary>
    /// Reads <paramref name="array"/>'s elements stored as <paramref name="w"/>'s narrower (or unsigned) type, in chunks, and
    /// returns the bytes read: less than the data's length only when the stream ended first.
    /// </summary>
    private static long ReadWidened(Stream stream, NpyArray array, Widened w, string name)
    {
        long n = array.Count, done = 0, bytes = 0;
        var buffer = new byte[(int)Math.Min(n * w.ItemSize, 1 << 20)];
        int perChunk = buffer.Length / w.ItemSize;
        while (done < n)
        {
            int want = (int)Math.Min(perChunk, n - done);
            int got = BinaryFile.ReadUpTo(stream, buffer.AsSpan(0, want * w.ItemSize));
            bytes += got;
            int whole = got / w.ItemSize;
            var raw = buffer.AsSpan(0, whole * w.ItemSize);
            switch (w.Kind)
            {
                case "i1": Widen(MemoryMarshal.Cast<byte, sbyte>(raw), array.Int32!.AsSpan((int)done), v => v); break;
                case "i2": Widen(MemoryMarshal.Cast<byte, short>(raw), array.Int32!.AsSpan((int)done), v => v); break;
                case "u2": Widen(MemoryMarshal.Cast<byte, ushort>(raw), array.Int32!.AsSpan((int)done), v => v); break;
                case "u4": Widen(MemoryMarshal.Cast<byte, uint>(raw), array.Int64!.AsSpan((int)done), v => v); break;
                case "f2": Widen(MemoryMarshal.Cast<byte, Half>(raw), array.Float32!.AsSpan((int)done), v => (float)v); break;
                case "u8":
                    var u = MemoryMarshal.Cast<byte, ulong>(raw);
                    var dst = array.Int64!.AsSpan((int)done);
                    for (int i = 0; i < u.Length; i++)
                    {
                        if (u[i] > long.MaxValue)
                            throw new InvalidDataException($"'{name}': uint64 value {u[i]} at index {done + i} is beyond int64's range, " +
                                "which Xent reads uint64 arrays as.");
                        dst[i] = (long)u[i];
                    }
                    break;
                default: throw new InvalidOperationException($"No widening for '{w.Kind}'.");
            }
            done += whole;
            if (got < want * w.ItemSize) break;
        }
        return bytes;
    }

    private static void Widen<TFrom, TTo>(ReadOnlySpan<TFrom> from, Span<TTo> to, Func<TFrom, TTo> convert)
    {
        for (int i = 0; i < from.Length; i++) to[i] = convert(from[i]);
    }

    private static long CountOrThrow(int[] shape, string name, int offset)
    {
        try { return NpyArray.CountOf(shape); }
        catch (OverflowException)
        {
            throw new InvalidDataException($"'{name}': shape {NpyArray.FormatShape(shape)} at offset {offset} has more elements than fit " +
                "in 64 bits.");
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"'{s}'",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        List<object?> list => "(" + string.Join(", ", list.Select(Describe)) + ")",
        Dictionary<string, object?> => "a dict",
        _ => value.ToString() ?? "?",
    };

    private static string HexBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return "an empty file";
        var sb = new StringBuilder();
        foreach (byte b in bytes) sb.Append(sb.Length == 0 ? "" : " ").Append("0x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>Writes <paramref name="array"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void Write(string path, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var writer = AtomicFileWriter.Begin(path);
        Write(writer.Stream, array);
        writer.Commit();
    }

    /// <summary>Writes float32 <paramref name="data"/> with <paramref name="shape"/> as <c>&lt;f4</c>, atomically.</summary>
    /// <exception cref="ArgumentException">The element count does not match the shape; nothing is written.</exception>
    public static void Write(string path, ReadOnlySpan<float> data, ReadOnlySpan<int> shape) =>
        WriteAtomic(path, NpyDType.Float32, data, shape);

    /// <summary>Writes float64 <paramref name="data"/> with <paramref name="shape"/> as <c>&lt;f8</c>, atomically.</summary>
    public static void Write(string path, ReadOnlySpan<double> data, ReadOnlySpan<int> shape) =>
        WriteAtomic(path, NpyDType.Float64, data, shape);

    /// <summary>Writes int64 <paramref name="data"/> with <paramref name="shape"/> as <c>&lt;i8</c>, atomically.</summary>
    public static void Write(string path, ReadOnlySpan<long> data, ReadOnlySpan<int> shape) =>
        WriteAtomic(path, NpyDType.Int64, data, shape);

    /// <summary>Writes int32 <paramref name="data"/> with <paramref name="shape"/> as <c>&lt;i4</c>, atomically.</summary>
    public static void Write(string path, ReadOnlySpan<int> data, ReadOnlySpan<int> shape) =>
        WriteAtomic(path, NpyDType.Int32, data, shape);

    /// <summary>Writes unsigned-byte <paramref name="data"/> with <paramref name="shape"/> as <c>|u1</c>, atomically.</summary>
    public static void Write(string path, ReadOnlySpan<byte> data, ReadOnlySpan<int> shape) =>
        WriteAtomic(path, NpyDType.UInt8, data, shape);

    /// <summary>Writes boolean <paramref name="data"/> with <paramref name="shape"/> as <c>|b1</c>, atomically.</summary>
    public static void Write(string path, ReadOnlySpan<bool> data, ReadOnlySpan<int> shape) =>
        WriteAtomic(path, NpyDType.Bool, data, shape);

    /// <summary>Writes <paramref name="array"/> as one .npy array to <paramref name="stream"/> at its current position.</summary>
    public static void Write(Stream stream, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        stream.Write(BuildHeader(array.DType, array.Shape));
        array.WriteDataTo(stream);
    }

    private static void WriteAtomic<T>(string path, NpyDType dtype, ReadOnlySpan<T> data, ReadOnlySpan<int> shape) where T : unmanaged
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Validate before touching the file system so a bad call leaves no trace.
        long count = NpyArray.CountOf(shape);
        if (count != data.Length)
            throw new ArgumentException($"Data has {data.Length} elements but shape {NpyArray.FormatShape(shape)} needs {count}.",
                nameof(shape));
        using var writer = AtomicFileWriter.Begin(path);
        writer.Stream.Write(BuildHeader(dtype, shape));
        // In chunks: over 2 GiB of data is more bytes than one Span can hold.
        NpyArray.WriteChunks(writer.Stream, data);
        writer.Commit();
    }

    /// <summary>The preamble and padded header, as numpy's <c>write_array</c> lays them out.</summary>
    internal static byte[] BuildHeader(NpyDType dtype, ReadOnlySpan<int> shape)
    {
        string descr = dtype switch
        {
            NpyDType.Float32 => "<f4",
            NpyDType.Float64 => "<f8",
            NpyDType.Int64 => "<i8",
            NpyDType.Int32 => "<i4",
            NpyDType.Bool => "|b1",
            NpyDType.UInt8 => "|u1",
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
        };
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {NpyArray.FormatShape(shape)}, }}";
        // Version 1.0 has a 2-byte header length; fall back to 2.0 only for very high-rank shapes.
        int major = 1, prefix = 10;
        int total = RoundUp(prefix + dict.Length + 1, Alignment);
        if (total - prefix > ushort.MaxValue)
        {
            major = 2; prefix = 12;
            total = RoundUp(prefix + dict.Length + 1, Alignment);
        }
        int headerLen = total - prefix;
        var bytes = new byte[total];
        Magic.CopyTo(bytes, 0);
        bytes[6] = (byte)major;
        bytes[7] = 0;
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerLen);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)headerLen);
        int n = Encoding.Latin1.GetBytes(dict, bytes.AsSpan(prefix));
        bytes.AsSpan(prefix + n, total - prefix - n - 1).Fill((byte)' ');
        bytes[total - 1] = (byte)'\n';
        return bytes;
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
