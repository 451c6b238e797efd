using System.Runtime.InteropServices;

namespace Xent.IO;

/// <summary>
/// A dense, C-ordered (row-major), typed array with a shape: the neutral container that
/// <see cref="Npy"/> and <see cref="SafeTensors"/> read into and write from. It knows nothing of
/// tensors or autograd; the Tensor layer wraps it.
/// </summary>
/// <remarks>
/// Exactly one of the typed properties (<see cref="Float32"/>, <see cref="Float64"/>, <see cref="Int64"/>,
/// <see cref="Int32"/>, <see cref="Bool"/>, <see cref="UInt8"/>) is non-null: the one matching
/// <see cref="DType"/>. The array is wrapped, not copied, so writes through it are visible.
/// </remarks>
public sealed class NpyArray
{
    private readonly int[] _shape;
    private readonly Array _data;

    /// <summary>Wraps float32 <paramref name="data"/> with <paramref name="shape"/> (empty shape: a 0-d scalar).</summary>
    /// <exception cref="ArgumentException">A dimension is negative or the element count does not match the shape.</exception>
    public NpyArray(float[] data, params int[] shape) : this(NpyDType.Float32, data, shape) { }

    /// <summary>Wraps float64 <paramref name="data"/> with <paramref name="shape"/>.</summary>
    public NpyArray(double[] data, params int[] shape) : this(NpyDType.Float64, data, shape) { }

    /// <summary>Wraps int64 <paramref name="data"/> with <paramref name="shape"/>.</summary>
    public NpyArray(long[] data, params int[] shape) : this(NpyDType.Int64, data, shape) { }

    /// <summary>Wraps int32 <paramref name="data"/> with <paramref name="shape"/>.</summary>
    public NpyArray(int[] data, params int[] shape) : this(NpyDType.Int32, data, shape) { }

    /// <summary>Wraps boolean <paramref name="data"/> with <paramref name="shape"/>.</summary>
    public NpyArray(bool[] data, params int[] shape) : this(NpyDType.Bool, data, shape) { }

    /// <summary>Wraps unsigned-byte <paramref name="data"/> with <paramref name="shape"/>.</summary>
    public NpyArray(byte[] data, params int[] shape) : this(NpyDType.UInt8, data, shape) { }

    private NpyArray(NpyDType dtype, Array data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long count = CountOf(shape);
        if (count != data.Length)
            throw new ArgumentException(
                $"Data has {data.Length} elements but shape {FormatShape(shape)} needs {count}.", nameof(data));
        DType = dtype;
        _data = data;
        _shape = (int[])shape.Clone();
    }

    /// <summary>A zero-filled array of <paramref name="dtype"/> and <paramref name="shape"/>.</summary>
    public static NpyArray Zeros(NpyDType dtype, params int[] shape)
    {
        long count = CountOf(shape);
        if (count > Array.MaxLength)
            throw new ArgumentException($"Shape {FormatShape(shape)} has {count} elements; at most {Array.MaxLength} are supported.",
                nameof(shape));
        int n = (int)count;
        return dtype switch
        {
            NpyDType.Float32 => new NpyArray(new float[n], shape),
            NpyDType.Float64 => new NpyArray(new double[n], shape),
            NpyDType.Int64 => new NpyArray(new long[n], shape),
            NpyDType.Int32 => new NpyArray(new int[n], shape),
            NpyDType.Bool => new NpyArray(new bool[n], shape),
            NpyDType.UInt8 => new NpyArray(new byte[n], shape),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
        };
    }

    /// <summary>The element type.</summary>
    public NpyDType DType { get; }

    /// <summary>A copy of the shape; empty for a 0-d (scalar) array.</summary>
    public int[] Shape => (int[])_shape.Clone();

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>Size of dimension <paramref name="axis"/>.</summary>
    public int Dim(int axis) => _shape[axis];

    /// <summary>Number of elements: the product of the shape (1 for a scalar, 0 if any dimension is 0).</summary>
    public long Count => _data.Length;

    /// <summary>The float32 data, or null when <see cref="DType"/> is not <see cref="NpyDType.Float32"/>.</summary>
    public float[]? Float32 => DType == NpyDType.Float32 ? (float[])_data : null;

    /// <summary>The float64 data, or null when <see cref="DType"/> is not <see cref="NpyDType.Float64"/>.</summary>
    public double[]? Float64 => DType == NpyDType.Float64 ? (double[])_data : null;

    /// <summary>The int64 data, or null when <see cref="DType"/> is not <see cref="NpyDType.Int64"/>.</summary>
    public long[]? Int64 => DType == NpyDType.Int64 ? (long[])_data : null;

    /// <summary>The int32 data, or null when <see cref="DType"/> is not <see cref="NpyDType.Int32"/>.</summary>
    public int[]? Int32 => DType == NpyDType.Int32 ? (int[])_data : null;

    /// <summary>The boolean data, or null when <see cref="DType"/> is not <see cref="NpyDType.Bool"/>.</summary>
    public bool[]? Bool => DType == NpyDType.Bool ? (bool[])_data : null;

    /// <summary>The unsigned-byte data, or null when <see cref="DType"/> is not <see cref="NpyDType.UInt8"/>.</summary>
    public byte[]? UInt8 => DType == NpyDType.UInt8 ? (byte[])_data : null;

    /// <summary>
    /// The values as float32: the underlying array itself when the dtype is already float32 (no copy),
    /// otherwise a new array (float64 is rounded to nearest; integers convert exactly up to 2^24; bool is 0 or 1).
    /// </summary>
    public float[] ToFloat32()
    {
        switch (_data)
        {
            case float[] f: return f;
            case double[] d: { var r = new float[d.Length]; for (int i = 0; i < d.Length; i++) r[i] = (float)d[i]; return r; }
            case long[] l: { var r = new float[l.Length]; for (int i = 0; i < l.Length; i++) r[i] = l[i]; return r; }
            case int[] n: { var r = new float[n.Length]; for (int i = 0; i < n.Length; i++) r[i] = n[i]; return r; }
            case bool[] b: { var r = new float[b.Length]; for (int i = 0; i < b.Length; i++) r[i] = b[i] ? 1f : 0f; return r; }
            case byte[] u: { var r = new float[u.Length]; for (int i = 0; i < u.Length; i++) r[i] = u[i]; return r; }
            default: throw new InvalidOperationException($"Unknown dtype {DType}.");
        }
    }

    /// <summary>
    /// The flat index of the first float64 value that is finite but beyond float32's range, which <see cref="ToFloat32"/> turns
    /// into an infinity, or -1 (always for other dtypes). NaN and infinities themselves convert exactly.
    /// </summary>
    internal long IndexBeyondFloat32()
    {
        if (_data is not double[] d) return -1;
        for (int i = 0; i < d.Length; i++)
            if (double.IsFinite(d[i]) && float.IsInfinity((float)d[i])) return i;
        return -1;
    }

    /// <summary>
    /// The values as float64: the underlying array itself when the dtype is already float64 (no copy),
    /// otherwise a new, exactly converted array (int64 beyond 2^53 rounds).
    /// </summary>
    public double[] ToFloat64()
    {
        switch (_data)
        {
            case double[] d: return d;
            case float[] f: { var r = new double[f.Length]; for (int i = 0; i < f.Length; i++) r[i] = f[i]; return r; }
            case long[] l: { var r = new double[l.Length]; for (int i = 0; i < l.Length; i++) r[i] = l[i]; return r; }
            case int[] n: { var r = new double[n.Length]; for (int i = 0; i < n.Length; i++) r[i] = n[i]; return r; }
            case bool[] b: { var r = new double[b.Length]; for (int i = 0; i < b.Length; i++) r[i] = b[i] ? 1.0 : 0.0; return r; }
            case byte[] u: { var r = new double[u.Length]; for (int i = 0; i < u.Length; i++) r[i] = u[i]; return r; }
            default: throw new InvalidOperationException($"Unknown dtype {DType}.");
        }
    }

    /// <summary>
    /// The values as int64 (e.g. class indices): the underlying array itself when the dtype is already int64
    /// (no copy), otherwise a new array converted from int32, uint8 or bool.
    /// </summary>
    /// <exception cref="InvalidOperationException">The dtype is floating point: silently truncating floats to
    /// class indices hides bugs, so the caller must convert explicitly.</exception>
    public long[] ToInt64()
    {
        switch (_data)
        {
            case long[] l: return l;
            case int[] n: { var r = new long[n.Length]; for (int i = 0; i < n.Length; i++) r[i] = n[i]; return r; }
            case byte[] u: { var r = new long[u.Length]; for (int i = 0; i < u.Length; i++) r[i] = u[i]; return r; }
            case bool[] b: { var r = new long[b.Length]; for (int i = 0; i < b.Length; i++) r[i] = b[i] ? 1 : 0; return r; }
            default:
                throw new InvalidOperationException(
                    $"expected integer class indices, got {DType.NumpyName()}; convert the array to int64 explicitly (in numpy: " +
                        "arr.astype(np.int64)).");
        }
    }

    /// <summary>Size of the data in bytes (may exceed 2 GiB, which no single <see cref="Span{T}"/> of bytes can describe).</summary>
    internal long ByteLength => (long)_data.Length * DType.ItemSize();

    /// <summary>The most bytes <see cref="ReadDataFrom"/> and <see cref="WriteDataTo"/> move per call to the stream.</summary>
    internal const int ChunkBytes = 1 << 30;

    /// <summary>
    /// Fills the data from <paramref name="stream"/> in chunks (so arrays over 2 GiB work) and returns the bytes read:
    /// less than <see cref="ByteLength"/> only when the stream ended first.
    /// </summary>
    internal long ReadDataFrom(Stream stream) => _data switch
    {
        float[] a => ReadChunks(stream, a.AsSpan()),
        double[] a => ReadChunks(stream, a.AsSpan()),
        long[] a => ReadChunks(stream, a.AsSpan()),
        int[] a => ReadChunks(stream, a.AsSpan()),
        bool[] a => ReadChunks(stream, a.AsSpan()),
        byte[] a => ReadChunks(stream, a.AsSpan()),
        _ => throw new InvalidOperationException($"Unknown dtype {DType}."),
    };

    /// <summary>Writes the data's raw little-endian bytes to <paramref name="stream"/> in chunks (so arrays over 2 GiB work).</summary>
    internal void WriteDataTo(Stream stream)
    {
        switch (_data)
        {
            case float[] a: WriteChunks<float>(stream, a); break;
            case double[] a: WriteChunks<double>(stream, a); break;
            case long[] a: WriteChunks<long>(stream, a); break;
            case int[] a: WriteChunks<int>(stream, a); break;
            case bool[] a: WriteChunks<bool>(stream, a); break;
            case byte[] a: WriteChunks<byte>(stream, a); break;
            default: throw new InvalidOperationException($"Unknown dtype {DType}.");
        }
    }

    private static long ReadChunks<T>(Stream stream, Span<T> data) where T : unmanaged
    {
        int per = Math.Max(1, ChunkBytes / System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        long total = 0;
        // i advances by what is left at most, so it never passes data.Length (i += per overflowed past 2^31 − per).
        for (int i = 0, take; i < data.Length; i += take)
        {
            take = Math.Min(per, data.Length - i);
            Span<byte> chunk = MemoryMarshal.AsBytes(data.Slice(i, take));
            int got = BinaryFile.ReadUpTo(stream, chunk);
            total += got;
            if (got < chunk.Length) break;
        }
        return total;
    }

    /// <summary>Writes <paramref name="data"/> as raw bytes in chunks of at most <see cref="ChunkBytes"/>.</summary>
    internal static void WriteChunks<T>(Stream stream, ReadOnlySpan<T> data) where T : unmanaged
    {
        int per = Math.Max(1, ChunkBytes / System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        for (int i = 0, take; i < data.Length; i += take)
        {
            take = Math.Min(per, data.Length - i);
            stream.Write(MemoryMarshal.AsBytes(data.Slice(i, take)));
        }
    }

    /// <summary>
    /// This array with its axes in reverse order, in C order: a Fortran-ordered array's data read as C-ordered data of the
    /// reversed shape gives this, so reversing the axes back yields the array numpy saved.
    /// </summary>
    internal NpyArray ReverseAxes()
    {
        if (_shape.Length < 2) return this; // one axis or none: nothing to reorder
        int[] shape = [.. _shape.Reverse()];
        return _data switch
        {
            float[] a => new NpyArray(DType, ReverseAxes(a, _shape), shape),
            double[] a => new NpyArray(DType, ReverseAxes(a, _shape), shape),
            long[] a => new NpyArray(DType, ReverseAxes(a, _shape), shape),
            int[] a => new NpyArray(DType, ReverseAxes(a, _shape), shape),
            bool[] a => new NpyArray(DType, ReverseAxes(a, _shape), shape),
            byte[] a => new NpyArray(DType, ReverseAxes(a, _shape), shape),
            _ => throw new InvalidOperationException($"Unknown dtype {DType}."),
        };
    }

    /// <summary>dst[i_k, …, i_0] = src[i_0, …, i_k] for <paramref name="src"/> in C order with <paramref name="shape"/>.</summary>
    private static T[] ReverseAxes<T>(T[] src, int[] shape)
    {
        var dst = new T[src.Length];
        // The destination's strides along the source's axes: source axis j is destination axis k − j.
        int rank = shape.Length;
        var stride = new long[rank];
        long s = 1;
        for (int j = 0; j < rank; j++)
        {
            stride[j] = s; // destination axis (rank − 1 − j) has stride Π of the destination's later axes = Π shape[0..j)
            s *= shape[j];
        }
        var index = new int[rank];
        long at = 0;
        for (long i = 0; i < src.Length; i++)
        {
            dst[at] = src[i];
            // Advance the source's C-order index (last axis fastest) and the destination offset with it.
            for (int j = rank - 1; j >= 0; j--)
            {
                if (++index[j] < shape[j])
                {
                    at += stride[j];
                    break;
                }
                at -= stride[j] * (shape[j] - 1);
                index[j] = 0;
            }
        }
        return dst;
    }

    /// <summary>Maps every byte of a <see cref="NpyDType.Bool"/> array to 0 or 1, as numpy reads any non-zero byte as True.</summary>
    internal void NormalizeBools()
    {
        if (_data is not bool[] b) return;
        Span<byte> raw = MemoryMarshal.AsBytes(b.AsSpan());
        for (int i = 0; i < raw.Length; i++) raw[i] = raw[i] != 0 ? (byte)1 : (byte)0;
    }

    /// <summary>Product of <paramref name="shape"/>, checking that no dimension is negative and the product fits in a long.</summary>
    internal static long CountOf(ReadOnlySpan<int> shape)
    {
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
                throw new ArgumentException($"Shape {FormatShape(shape)} has a negative dimension {shape[i]} at axis {i}.", nameof(shape));
            count = checked(count * shape[i]);
        }
        return count;
    }

    /// <summary>Python-style shape text: <c>(2, 3)</c>, <c>(5,)</c>, <c>()</c>.</summary>
    internal static string FormatShape(ReadOnlySpan<int> shape)
    {
        if (shape.Length == 1) return $"({shape[0]},)";
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++) parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "(" + string.Join(", ", parts) + ")";
    }

    /// <inheritdoc/>
    public override string ToString() => $"NpyArray({DType.NumpyName()}, shape={FormatShape(_shape)})";
}
