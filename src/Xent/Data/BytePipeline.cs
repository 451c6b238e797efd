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

    /// <summary>The lookup table of <paramref name="channel"/> (the fused pointwise prefix).</summary>
    public ReadOnlySpan<float> Table(int channel) => _tables[channel];

    public void Convert(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int c = 0; c < _tables.Length; c++)
        {
            var table = _tables[c].AsSpan(0, 256);
            var src = source.Slice(c * _plane, _plane);
            var dst = destination.Slice(c * _plane, _plane);
            for (int i = 0; i < src.Length; i++) dst[i] = table[src[i]];
        }
        foreach (var t in _rest) t.Apply(destination, _shape);
    }
}
