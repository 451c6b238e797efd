using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xent.Data;

/// <summary>
/// Turns a channels-first byte image into floats through a transform: the leading pointwise transforms become
/// one 256-entry lookup table per channel (one pass over the bytes), the rest run on the floats afterwards.
/// </summary>
internal sealed class BytePipeline
{
    private readonly float[][] _tables;
    private readonly Transform[] _rest;
    private readonly int[] _shape;
    private readonly int _plane;

    public BytePipeline(Transform? transform, int[] sampleShape)
    {
        _shape = sampleShape;
        int channels = sampleShape.Length >= 2 ? sampleShape[0] : 1;
        _plane = DatasetChecks.SampleSize(sampleShape) / Math.Max(1, channels);
        var steps = transform?.Steps().ToArray() ?? [];
        int prefix = 0;
        while (prefix < steps.Length && steps[prefix].IsPointwise) prefix++;
        _rest = steps[prefix..];
        _tables = new float[channels][];
        for (int c = 0; c < channels; c++)
        {
            var table = new float[256];
            for (int b = 0; b < 256; b++)
            {
                float v = b;
                for (int k = 0; k < prefix; k++) v = steps[k].Map(v, c, channels);
                table[b] = v;
            }
            _tables[c] = table;
        }
    }

    public void Convert(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int c = 0; c < _tables.Length; c++)
        {
            Lookup(_tables[c], source.Slice(c * _plane, _plane), destination.Slice(c * _plane, _plane));
        }
        foreach (var t in _rest) t.Apply(destination, _shape);
    }

    /// <summary><c>destination[i] = table[source[i]]</c>; a byte always indexes inside the 256-entry table, so no bounds checks.</summary>
    internal static void Lookup(float[] table, ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (table.Length != 256) throw new ArgumentException("The lookup table must have 256 entries.", nameof(table));
        if (destination.Length < source.Length)
            throw new ArgumentException("The destination is shorter than the source.", nameof(destination));
        ref float t = ref MemoryMarshal.GetArrayDataReference(table);
        ref byte s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        nuint n = (nuint)source.Length, i = 0;
        for (; i + 4 <= n; i += 4)
        {
            Unsafe.Add(ref d, i) = Unsafe.Add(ref t, Unsafe.Add(ref s, i));
            Unsafe.Add(ref d, i + 1) = Unsafe.Add(ref t, Unsafe.Add(ref s, i + 1));
            Unsafe.Add(ref d, i + 2) = Unsafe.Add(ref t, Unsafe.Add(ref s, i + 2));
            Unsafe.Add(ref d, i + 3) = Unsafe.Add(ref t, Unsafe.Add(ref s, i + 3));
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = Unsafe.Add(ref t, Unsafe.Add(ref s, i));
    }
}
