using Xent.IO;

namespace Xent.Data;

/// <summary>
/// An unsigned-byte array read from an IDX file (the MNIST / Fashion-MNIST format): images are
/// <c>(N, 28, 28)</c>, labels <c>(N,)</c>. Data is row-major.
/// </summary>
public sealed class IdxArray
{
    private readonly int[] _shape;

    /// <summary>Wraps <paramref name="data"/> (not copied) with <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The data length is not the product of the shape.</exception>
    public IdxArray(byte[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Shape has a negative dimension {d}.", nameof(shape));
            count *= d;
        }
        if (count != data.Length)
            throw new ArgumentException($"Data has {data.Length} bytes but the shape needs {count}.", nameof(data));
        Data = data;
        _shape = (int[])shape.Clone();
    }

    /// <summary>A copy of the shape, e.g. <c>[60000, 28, 28]</c>.</summary>
    public int[] Shape => (int[])_shape.Clone();

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Size of dimension <paramref name="axis"/>.</summary>
    public int Dim(int axis) => _shape[axis];

    /// <summary>The bytes, row-major.</summary>
    public byte[] Data { get; }

    /// <summary>Number of elements.</summary>
    public long Count => Data.Length;

    /// <summary>The same data (not copied) as a uint8 <see cref="NpyArray"/>.</summary>
    public NpyArray ToNpyArray() => new(Data, _shape);
}
