using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using Xent.Diagnostics;

namespace Xent.IO;

/// <summary>
/// Reads and writes <see href="https://github.com/huggingface/safetensors">safetensors</see> files, the
/// checkpoint format PyTorch users share state dicts in: an 8-byte little-endian header length N, N bytes
/// of UTF-8 JSON <c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {...}}</c>, then the little-endian data buffer the offsets index.
/// </summary>
/// <remarks>
/// Supported dtypes: F32, F64, I64, I32, U8, BOOL. Other dtypes of the format (F16, BF16, I8, ...) are
/// rejected with a <see cref="NotSupportedException"/> naming the dtype. Reading validates what the
/// reference implementation validates: the header is a JSON object, every tensor's byte range matches its
/// shape and dtype, and the ranges tile the data buffer exactly (no overlaps, holes, or trailing bytes).
/// Errors are <see cref="InvalidDataException"/>s that name the file and, where it helps, the byte offset.
/// </remarks>
public static class SafeTensors
{
    /// <summary>The reference implementation refuses headers above this size (100 MB).</summary>
    public const int MaxHeaderSize = 100_000_000;
    private const string MetadataKey = "__metadata__";
    private const string SupportedNames = "F32, F64, I64, I32, U8, BOOL";

    // All dtypes the format defines, so that we can tell "valid but unsupported" from "garbage".
    private static readonly HashSet<string> KnownDTypes = new(StringComparer.Ordinal)
    {
        "BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "BF16", "F32", "F64",
        "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64",
    };

    /// <summary>The safetensors dtype string for <paramref name="dtype"/> (<c>F32</c>, <c>I64</c>, ...).</summary>
    public static string DTypeName(NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => "F32",
        NpyDType.Float64 => "F64",
        NpyDType.Int64 => "I64",
        NpyDType.Int32 => "I32",
        NpyDType.UInt8 => "U8",
        NpyDType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    private static NpyDType? ParseDType(string name) => name switch
    {
        "F32" => NpyDType.Float32,
        "F64" => NpyDType.Float64,
        "I64" => NpyDType.Int64,
        "I32" => NpyDType.Int32,
        "U8" => NpyDType.UInt8,
        "BOOL" => NpyDType.Bool,
        _ => null,
    };

    /// <summary>Reads the safetensors file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is malformed; the message names the file and the problem.</exception>
    /// <exception cref="NotSupportedException">A tensor has a dtype Xent does not support, or more elements than a .NET array
    /// holds.</exception>
    public static SafeTensorsFile Read(string path)
    {
        using var stream = BinaryFile.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>
    /// Reads a safetensors file from <paramref name="stream"/>, from its current position to its end.
    /// A non-seekable stream is first copied into memory.
    /// </summary>
    /// <param name="stream">The stream.</param>
    /// <param name="nameForErrors">Names the source in error messages.</param>
    public static SafeTensorsFile Read(Stream stream, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(stream);
        string name = nameForErrors ?? BinaryFile.UnnamedStream;
        stream = BinaryFile.Seekable(stream);
        long fileSize = stream.Length - stream.Position;

        Span<byte> prefix = stackalloc byte[8];
        if (fileSize < 8)
            throw new InvalidDataException(
                $"'{name}' is not a safetensors file: it is {fileSize} bytes long, shorter than the 8-byte header length at offset 0.");
        stream.ReadExactly(prefix);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > (ulong)(fileSize - 8))
            throw new InvalidDataException(
                $"'{name}' is not a valid safetensors file: the header length {n} at offset 0 exceeds the {fileSize - 8} bytes that " +
                    "follow it.");
        if (n > MaxHeaderSize)
            throw new InvalidDataException(
                $"'{name}': the header length {n} at offset 0 exceeds the {MaxHeaderSize}-byte limit of the safetensors format.");
        var headerBytes = new byte[(int)n];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)n;
        long dataLength = fileSize - dataStart;

        var (infos, metadata) = ParseHeader(headerBytes, name);
        ValidateLayout(infos, dataLength, dataStart, name);

        // The ranges tile the buffer, so reading in offset order is one sequential pass.
        var arrays = new Dictionary<string, NpyArray>(infos.Count, StringComparer.Ordinal);
        foreach (var info in infos.OrderBy(i => i.Begin).ThenBy(i => i.End))
        {
            var array = NpyArray.Zeros(info.DType, info.Shape);
            // ValidateLayout checked that the buffer holds every byte; chunked, since a tensor may exceed 2 GiB.
            if (array.ReadDataFrom(stream) != array.ByteLength)
                throw new InvalidDataException($"'{name}': tensor '{info.Name}' is truncated: the data ended before its " +
                    $"{array.ByteLength} bytes.");
            array.NormalizeBools();
            arrays[info.Name] = array;
        }
        var ordered = new OrderedDictionary<string, NpyArray>(infos.Count, StringComparer.Ordinal);
        foreach (var info in infos) ordered.Add(info.Name, arrays[info.Name]);
        return new SafeTensorsFile(name, ordered, metadata);
    }

    private sealed record TensorInfo(string Name, NpyDType DType, int[] Shape, long Begin, long End);

    private static (List<TensorInfo> Infos, IReadOnlyDictionary<string, string> Metadata) ParseHeader(byte[] headerBytes, string name)
    {
        // The format requires UTF-8; System.Text.Json would accept invalid bytes inside strings and fail only when a name is read.
        if (FirstInvalidUtf8(headerBytes) is int bad)
            throw new InvalidDataException($"'{name}': the header is not valid UTF-8: byte 0x{headerBytes[bad]:x2} at offset {8 + bad}.");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            string where = e.BytePositionInLine is long p && e.LineNumber is 0 ? $" (at offset {8 + p})" : "";
            throw new InvalidDataException($"'{name}': the header at offset 8 is not valid JSON{where}: {Excerpt.OfMessage(e.Message)}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"'{name}': the header at offset 8 must be a JSON object, found a JSON " +
                    $"{doc.RootElement.ValueKind}.");
            var infos = new List<TensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name))
                    throw new InvalidDataException($"'{name}': the header names '{prop.Name}' more than once.");
                if (prop.Name == MetadataKey)
                {
                    ParseMetadata(prop.Value, metadata, name);
                    continue;
                }
                infos.Add(ParseTensorInfo(prop.Name, prop.Value, name));
            }
            return (infos, metadata);
        }
    }

    /// <summary>The index of the first byte that does not start a valid UTF-8 sequence, or null when all of them do.</summary>
    private static int? FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        for (int i = 0; i < bytes.Length;)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[i..], out _, out int used) != System.Buffers.OperationStatus.Done) return i;
            i += used;
        }
        return null;
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string name)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{name}': '{MetadataKey}' must be an object of strings, found a JSON {value.ValueKind}.");
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException(
                    $"'{name}': '{MetadataKey}' entry '{entry.Name}' must be a string, found a JSON {entry.Value.ValueKind}.");
            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private static TensorInfo ParseTensorInfo(string tensor, JsonElement value, string name)
    {
        string what = $"'{name}': tensor '{tensor}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{what} must be described by a JSON object, found a JSON {value.ValueKind}.");
        if (!value.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{what} has no string \"dtype\".");
        string dtypeName = dtypeEl.GetString()!;
        NpyDType dtype = ParseDType(dtypeName) ?? (KnownDTypes.Contains(dtypeName)
            ? throw new NotSupportedException($"{what} has dtype '{dtypeName}', which Xent does not support; supported: {SupportedNames}.")
            :
                throw new InvalidDataException($"{what} has unknown dtype '{dtypeName}'; safetensors dtypes are " +
                $"{string.Join(", ", KnownDTypes)}."));

        if (!value.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{what} has no \"shape\" array.");
        var shape = new int[shapeEl.GetArrayLength()];
        int k = 0;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int dim) || dim < 0)
                throw new InvalidDataException($"{what} has shape entry {k} = {d.GetRawText()}; expected an integer in [0, " +
                    $"{int.MaxValue}].");
            shape[k++] = dim;
        }

        if (!value.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new InvalidDataException($"{what} has no \"data_offsets\" [begin, end] pair.");
        long begin = ReadOffset(offEl[0], what), end = ReadOffset(offEl[1], what);
        if (end < begin)
            throw new InvalidDataException($"{what} has data_offsets [{begin}, {end}] with end before begin.");

        long count;
        try { count = NpyArray.CountOf(shape); }
        catch (OverflowException)
            { throw new InvalidDataException($"{what} has shape {NpyArray.FormatShape(shape)} with more elements than fit in 64 bits."); }
        long expectedBytes = count > long.MaxValue / 8 ? -1 : count * dtype.ItemSize();
        if (expectedBytes != end - begin)
            throw new InvalidDataException(
                $"{what} has data_offsets [{begin}, {end}] ({end - begin} bytes) but dtype {dtypeName} and shape " +
                $"{NpyArray.FormatShape(shape)} need {count} x {dtype.ItemSize()} = {expectedBytes} bytes.");
        if (count > Array.MaxLength)
            throw new NotSupportedException($"{what} has {count} elements; at most {Array.MaxLength} per tensor are supported.");
        return new TensorInfo(tensor, dtype, shape, begin, end);
    }

    private static long ReadOffset(JsonElement el, string what)
    {
        if (el.ValueKind != JsonValueKind.Number || !el.TryGetInt64(out long v) || v < 0)
            throw new InvalidDataException($"{what} has data offset {el.GetRawText()}; expected a non-negative integer.");
        return v;
    }

    private static void ValidateLayout(List<TensorInfo> infos, long dataLength, long dataStart, string name)
    {
        foreach (var info in infos)
        {
            if (info.End > dataLength)
                throw new InvalidDataException(
                    $"'{name}': tensor '{info.Name}' has data_offsets [{info.Begin}, {info.End}] (file offsets " +
                        $"{dataStart + info.Begin}..{dataStart + info.End}) " +
                    $"beyond the end of the {dataLength}-byte data buffer; the file may be truncated.");
        }
        // The format requires the byte ranges to cover the buffer exactly, in some order.
        long expected = 0;
        TensorInfo? previous = null;
        foreach (var info in infos.OrderBy(i => i.Begin).ThenBy(i => i.End))
        {
            if (info.Begin < expected)
                throw new InvalidDataException(
                    $"'{name}': tensor '{info.Name}' data_offsets [{info.Begin}, {info.End}] overlap tensor '{previous!.Name}' " +
                        $"[{previous.Begin}, {previous.End}].");
            if (info.Begin > expected)
                throw new InvalidDataException(
                    $"'{name}': the data buffer has a hole at data offsets [{expected}, {info.Begin}] (file offset " +
                        $"{dataStart + expected}) before tensor '{info.Name}'.");
            expected = info.End;
            previous = info;
        }
        if (expected != dataLength)
            throw new InvalidDataException(
                $"'{name}': {dataLength - expected} trailing bytes at file offset {dataStart + expected} are not covered by any tensor.");
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> (and optional <paramref name="metadata"/>) to <paramref name="path"/>
    /// atomically: a temporary file in the same directory, flushed and then renamed over <paramref name="path"/>.
    /// </summary>
    /// <param name="path">Destination file.</param>
    /// <param name="tensors">Names and arrays; the header lists them in this order. Data is laid out by
    /// decreasing element size so every tensor is aligned to its element size, as the Python library does.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> strings (PyTorch's writer adds <c>"format": "pt"</c>).</param>
    /// <exception cref="ArgumentException">A name is empty, duplicated, or <c>__metadata__</c>, or a metadata value is null; nothing
    /// is written.</exception>
    public static void Write(string path, IReadOnlyList<(string Name, NpyArray Array)> tensors, IReadOnlyDictionary<string,
        string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] header = BuildHeader(tensors, metadata, out var layout);
        using var writer = AtomicFileWriter.Begin(path);
        WriteCore(writer.Stream, header, tensors, layout);
        writer.Commit();
    }

    /// <summary>Writes <paramref name="tensors"/> (e.g. a dictionary, or <see cref="SafeTensorsFile.Tensors"/>) atomically.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, NpyArray>> tensors, IReadOnlyDictionary<string,
        string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Write(path, tensors.Select(kv => (kv.Key, kv.Value)).ToList(), metadata);
    }

    /// <summary>Writes a safetensors file to <paramref name="stream"/> at its current position.</summary>
    public static void Write(Stream stream, IReadOnlyList<(string Name, NpyArray Array)> tensors, IReadOnlyDictionary<string,
        string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] header = BuildHeader(tensors, metadata, out var layout);
        WriteCore(stream, header, tensors, layout);
    }

    private static void WriteCore(Stream stream, byte[] header, IReadOnlyList<(string Name, NpyArray Array)> tensors, int[] layout)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (int i in layout) tensors[i].Array.WriteDataTo(stream);
    }

    /// <summary>The space-padded JSON header; <paramref name="layout"/> gets the order tensors' data is written in.</summary>
    private static byte[] BuildHeader(IReadOnlyList<(string Name, NpyArray Array)> tensors, IReadOnlyDictionary<string, string>? metadata,
        out int[] layout)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tensors.Count; i++)
        {
            var (tensorName, array) = tensors[i];
            if (string.IsNullOrEmpty(tensorName)) throw new ArgumentException($"Tensor {i} has an empty name.", nameof(tensors));
            if (tensorName == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved and cannot name a tensor.",
                nameof(tensors));
            if (array is null) throw new ArgumentException($"Tensor '{tensorName}' is null.", nameof(tensors));
            if (!names.Add(tensorName)) throw new ArgumentException($"Tensor name '{tensorName}' appears more than once.", nameof(tensors));
        }
        // A null value would be written as JSON null, which the format (and so Read) refuses: nothing is written instead.
        if (metadata?.FirstOrDefault(kv => kv.Value is null) is { Key: { } nullKey })
            throw new ArgumentException($"Metadata entry '{nullKey}' is null; safetensors metadata values are strings.", nameof(metadata));
        // Stable sort by decreasing item size: 8-byte types first, so each tensor starts aligned to its element size.
        layout = Enumerable.Range(0, tensors.Count).OrderByDescending(i => tensors[i].Array.DType.ItemSize()).ToArray();
        var begins = new long[tensors.Count];
        long offset = 0;
        foreach (int i in layout)
        {
            begins[i] = offset;
            offset += tensors[i].Array.ByteLength;
        }

        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            for (int i = 0; i < tensors.Count; i++)
            {
                var (tensorName, array) = tensors[i];
                json.WriteStartObject(tensorName);
                json.WriteString("dtype", DTypeName(array.DType));
                json.WriteStartArray("shape");
                for (int d = 0; d < array.Rank; d++) json.WriteNumberValue(array.Dim(d));
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(begins[i]);
                json.WriteNumberValue(begins[i] + array.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad with spaces so the data buffer starts 8-byte aligned.
        int len = (int)buffer.Length;
        int padded = (len + 7) / 8 * 8;
        for (int i = len; i < padded; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}
