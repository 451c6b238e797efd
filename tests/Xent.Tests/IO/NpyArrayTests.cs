using Xent.IO;
using Xunit;

namespace Xent.Tests.IO;

public class NpyArrayTests
{
    [Fact]
    public void Constructor_RejectsShapeThatDoesNotMatchData()
    {
        var e = Assert.Throws<ArgumentException>(() => new NpyArray(new float[5], 2, 3));
        Assert.Contains("5 elements", e.Message);
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("needs 6", e.Message);
        Assert.Throws<ArgumentException>(() => new NpyArray(new float[0], -1, 0));
    }

    [Fact]
    public void Count_IsProductOfShape_OneForScalar_ZeroForEmpty()
    {
        Assert.Equal(1, new NpyArray(new float[1]).Count);
        Assert.Equal(2, new NpyArray(new float[0], 0, 3).Rank);
        Assert.Equal(0, new NpyArray(new float[0], 0, 3).Count);
        Assert.Equal(24, NpyArray.Zeros(NpyDType.Int32, 2, 3, 4).Count);
        Assert.Equal([2, 3, 4], NpyArray.Zeros(NpyDType.Int32, 2, 3, 4).Shape);
    }

    [Fact]
    public void Shape_IsACopy()
    {
        var a = new NpyArray(new long[6], 2, 3);
        a.Shape[0] = 99;
        Assert.Equal(2, a.Dim(0));
    }

    [Fact]
    public void TypedAccessors_ExposeOnlyTheMatchingDType()
    {
        var a = new NpyArray(new double[] { 1, 2 }, 2);
        Assert.NotNull(a.Float64);
        Assert.Null(a.Float32);
        Assert.Null(a.Int64);
        Assert.Null(a.Int32);
        Assert.Null(a.Bool);
        Assert.Null(a.UInt8);
        var b = new NpyArray(new bool[] { true }, 1);
        Assert.NotNull(b.Bool);
        Assert.Null(b.UInt8);
        var u = new NpyArray(new byte[] { 1 }, 1);
        Assert.NotNull(u.UInt8);
        Assert.Null(u.Bool);
    }

    [Fact]
    public void ToFloat32_ConvertsEveryDType()
    {
        float[] f = [1.5f, -2f];
        Assert.Same(f, new NpyArray(f, 2).ToFloat32());
        Assert.Equal([0.1f, -3f], new NpyArray(new double[] { 0.1, -3 }, 2).ToFloat32());
        Assert.Equal([16777216f, -5f], new NpyArray(new long[] { 16777216, -5 }, 2).ToFloat32());
        Assert.Equal([7f, -1f], new NpyArray(new int[] { 7, -1 }, 2).ToFloat32());
        Assert.Equal([1f, 0f], new NpyArray(new bool[] { true, false }, 2).ToFloat32());
        Assert.Equal([255f, 0f], new NpyArray(new byte[] { 255, 0 }, 2).ToFloat32());
    }

    [Fact]
    public void ToInt64_ConvertsIntegerDTypes_AndRejectsFloats()
    {
        long[] l = [3, -100];
        Assert.Same(l, new NpyArray(l, 2).ToInt64());
        Assert.Equal([int.MinValue, 9L], new NpyArray(new int[] { int.MinValue, 9 }, 2).ToInt64());
        Assert.Equal([255L, 1L], new NpyArray(new byte[] { 255, 1 }, 2).ToInt64());
        Assert.Equal([1L, 0L], new NpyArray(new bool[] { true, false }, 2).ToInt64());

        var e = Assert.Throws<InvalidOperationException>(() => new NpyArray(new float[] { 1f }, 1).ToInt64());
        Assert.StartsWith("expected integer class indices, got float32", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => new NpyArray(new double[] { 1 }, 1).ToInt64());
        Assert.StartsWith("expected integer class indices, got float64", e.Message);
    }

    [Fact]
    public void ToFloat64_IsExact()
    {
        Assert.Equal([(double)0.1f], new NpyArray(new float[] { 0.1f }, 1).ToFloat64());
        Assert.Equal([9007199254740992.0], new NpyArray(new long[] { 9007199254740992 }, 1).ToFloat64());
    }
}
