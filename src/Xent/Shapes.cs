namespace Xent;

/// <summary>Shape arithmetic shared by tensor ops: element counts, dims, broadcasting, formatting.</summary>
internal static class Shapes
{
    public static int NumEl(ReadOnlySpan<int> shape)
    {
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"Shape {Format(shape)} has a negative dimension.");
        if (shape.Contains(0)) return 0; // before the product: [65536, 65536, 0] is as empty as [0, 65536, 65536]
        long n = 1;
        foreach (int d in shape)
        {
            n *= d;
            if (n > Array.MaxLength)
                throw new ArgumentException($"Shape {Format(shape)} has more than {Array.MaxLength} elements, the most an array holds.");
        }
        return (int)n;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>Maps a possibly negative dim to [0, rank), PyTorch's wrapping rule.</summary>
    public static int NormalizeDim(int dim, int rank, string op)
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(nameof(dim),
                $"{op}: dimension out of range (expected to be in range of [{-r}, {r - 1}], but got {dim})");
        return dim < 0 ? dim + r : dim;
    }

    /// <summary>Product of dims before, the dim itself, and the product of dims after: the (outer, size, inner) view of a dim.</summary>
    public static (int Outer, int Size, int Inner) Split(ReadOnlySpan<int> shape, int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape.Length == 0 ? 1 : shape[dim], inner);
    }

    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton " +
                    $"dimension {i}; shapes {Format(a)} and {Format(b)} do not broadcast.");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Strides of <paramref name="shape"/> aligned to an output of rank <paramref name="rank"/>, 0 where broadcast.</summary>
    public static int[] BroadcastStrides(ReadOnlySpan<int> shape, int rank)
    {
        var strides = new int[rank];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i + rank - shape.Length] = shape[i] == 1 ? 0 : s;
            s *= shape[i];
        }
        return strides;
    }

    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);
}
