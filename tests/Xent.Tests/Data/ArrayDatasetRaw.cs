using Xent.Data;

namespace Xent.Tests.Data;

/// <summary>Sample <c>i</c>'s raw values as a new array to assert on: <see cref="ArrayDataset.CopyRaw"/> into a fresh buffer.</summary>
internal static class ArrayDatasetRaw
{
    public static float[] Raw(this ArrayDataset data, int index)
    {
        var values = new float[data.SampleShape.Aggregate(1, (a, b) => a * b)];
        data.CopyRaw(index, values);
        return values;
    }
}
