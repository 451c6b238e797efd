using Xent.IO;

namespace Xent.Tests.Kernels;

/// <summary>
/// A golden array as float64 values with its shape, read through <see cref="Npy"/>
/// (itself tested byte for byte against numpy-written files), so kernel tests compare in float64.
/// </summary>
internal sealed record NpyArray(int[] Shape, double[] Data)
{
    public int Length => Data.Length;
    public float[] Floats() => Array.ConvertAll(Data, v => (float)v);
    public long[] Longs() => Array.ConvertAll(Data, v => (long)v);

    public static NpyArray Load(string path)
    {
        var array = Npy.Read(path);
        var data = array.DType.IsFloatingPoint()
            ? array.ToFloat64()
            : Array.ConvertAll(array.ToInt64(), v => (double)v);
        return new NpyArray(array.Shape, data);
    }
}
