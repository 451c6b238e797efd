using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Core;

public class TensorTests
{
    [Fact]
    public void NullArgumentsOfTheCommonEntryPointsAreNamed()
    {
        // They were null dereferences (NullReferenceException) for callers without nullable annotations.
        void Named(string param, Action action) => Assert.Equal(param, Assert.Throws<ArgumentNullException>(action).ParamName);
        Named("data", () => Tensor.FromArray((float[])null!));
        Named("data", () => Tensor.FromArray((long[])null!, 2));
        Named("data", () => Tensor.FromArray((float[,])null!));
        Named("shape", () => Tensor.FromArray([1f, 2f], null!));
        Named("shape", () => Tensor.RandInt(0, 10, null!));
        Named("shape", () => Tensor.Ones(4).Reshape(null!));
        Named("b", () => Tensor.Ones(2).Add(null!));
        Named("b", () => _ = Tensor.Ones(2) * (Tensor)null!);
        Named("input", () => F.CrossEntropy(null!, Tensor.FromArray([0L])));
        Named("target", () => F.CrossEntropy(Tensor.Ones(1, 3), null!));
        Named("stateDict", () => new Xent.NN.Linear(2, 2).LoadStateDict(null!));
    }

    [Fact]
    public void CreationFunctions()
    {
        Assert.Equal(new[] { 0f, 0f, 0f, 0f }, Tensor.Zeros(2, 2).ToArray());
        Assert.Equal(new[] { 2.5f, 2.5f }, Tensor.Full(2.5f, 2).ToArray());
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, Tensor.Arange(5).ToInt64Array());
        Assert.Equal(new long[] { 10, 7, 4 }, Tensor.Arange(10, 2, -3).ToInt64Array());
        Assert.Equal(new[] { 0f, 0.5f, 1f, 1.5f }, Tensor.Arange(0f, 2f, 0.5f).ToArray());
        Assert.Equal([], Tensor.Scalar(3f).Shape);
        Assert.Equal(3f, Tensor.Scalar(3f).Item());
        Assert.Equal(DType.Int64, Tensor.FromArray(new[] { 1, 0 }).DType);
    }

    [Fact]
    public void RandomFunctionsAreSeededAndInRange()
    {
        var a = Tensor.RandInt(0, 10, [100], new Generator(3));
        var b = Tensor.RandInt(0, 10, [100], new Generator(3));
        Assert.Equal(a.ToInt64Array(), b.ToInt64Array());
        Assert.All(a.ToInt64Array(), v => Assert.InRange(v, 0, 9));
        Assert.Equal(10, a.ToInt64Array().Distinct().Count());
        var u = Tensor.Rand([10000], new Generator(4)).ToArray();
        Assert.All(u, v => Assert.InRange(v, 0f, 0.99999994f));
        Assert.InRange(u.Average(), 0.49, 0.51);
        var n = Tensor.Randn([20000], new Generator(5)).ToArray();
        double mean = n.Average(), var = n.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.03, 0.03);
        Assert.InRange(var, 0.96, 1.04);
        var perm = Tensor.RandPerm(50, new Generator(6)).ToInt64Array();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), perm.Order());
    }

    [Fact]
    public void ShapeOps()
    {
        var x = Tensor.Arange(0f, 24f).Reshape(2, 3, 4);
        Assert.Equal(new[] { 6, 4 }, x.Reshape(-1, 4).Shape);
        Assert.Equal(new[] { 2, 12 }, x.Flatten(1).Shape);
        Assert.Equal(new[] { 24 }, x.Flatten().Shape);
        Assert.Equal(new[] { 2, 1, 3, 4 }, x.Unsqueeze(1).Shape);
        Assert.Equal(new[] { 2, 3, 4, 1 }, x.Unsqueeze(-1).Shape);
        Assert.Equal(new[] { 3 }, Tensor.Zeros(1, 3, 1).Squeeze().Shape);
        Assert.Equal(new[] { 3, 1 }, Tensor.Zeros(1, 3, 1).Squeeze(0).Shape);
        Assert.Equal(new[] { 1, 3, 1 }, Tensor.Zeros(1, 3, 1).Squeeze(1).Shape);
        var t = x.Transpose(1, 2);
        Assert.Equal(new[] { 2, 4, 3 }, t.Shape);
        Assert.Equal(x.Data[1 * 12 + 2 * 4 + 3], t.Data[1 * 12 + 3 * 3 + 2]);
    }

    [Theory]
    [InlineData(new[] { 3 }, new[] { 2, 3 }, new[] { 2, 3 })]
    [InlineData(new[] { 2, 1 }, new[] { 1, 3 }, new[] { 2, 3 })]
    [InlineData(new int[0], new[] { 2, 2 }, new[] { 2, 2 })]
    [InlineData(new[] { 4, 1, 3 }, new[] { 2, 1 }, new[] { 4, 2, 3 })]
    [InlineData(new[] { 1 }, new[] { 1 }, new[] { 1 })]
    [InlineData(new[] { 0, 3 }, new[] { 3 }, new[] { 0, 3 })]
    public void BroadcastingCornerCasesMatchAnElementwiseReference(int[] sa, int[] sb, int[] expected)
    {
        var a = Tensor.Randn(sa, new Generator(1));
        var b = Tensor.Randn(sb, new Generator(2));
        var c = a * b;
        Assert.Equal(expected, c.Shape);
        // Independent reference: index each operand with the broadcast rule directly.
        int rank = expected.Length;
        var idx = new int[rank];
        for (int o = 0; o < c.NumEl; o++)
        {
            int rem = o;
            for (int d = rank - 1; d >= 0; d--) { idx[d] = rem % expected[d]; rem /= expected[d]; }
            float va = a.Data[Flat(sa, idx)], vb = b.Data[Flat(sb, idx)];
            Assert.Equal(va * vb, c.Data[o]);
        }
    }

    private static int Flat(int[] shape, int[] outIndex)
    {
        int off = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            int i = outIndex[outIndex.Length - shape.Length + d];
            off = off * shape[d] + (shape[d] == 1 ? 0 : i);
        }
        return off;
    }

    [Fact]
    public void PermuteLeavesTheCallersDimsUntouched()
    {
        var x = Tensor.Arange(0f, 24f).Reshape(2, 3, 4);
        int[] dims = [-1, 0, 1];
        var p = x.Permute(dims);
        Assert.Equal(new[] { -1, 0, 1 }, dims);
        Assert.Equal(new[] { 4, 2, 3 }, p.Shape);
        Assert.Equal(x.Data[1 * 12 + 2 * 4 + 3], p.Data[3 * 6 + 1 * 3 + 2]);
    }

    [Fact]
    public void ReducingAScalarOverDimZeroKeepsIt()
    {
        var x = Tensor.Scalar(3f).RequiresGrad_();
        var s = x.Sum(0);
        Assert.Equal([], s.Shape);
        Assert.Equal(3f, s.Item());
        Assert.Equal([], x.Mean(-1, keepDim: true).Shape);
        var (values, indices) = x.Max(0);
        Assert.Equal((3f, 0L), (values.Item(), indices.ItemInt64()));
        s.Backward();
        Assert.Equal(1f, x.Grad!.Item());
    }

    [Fact]
    public void EqAndAccuracy()
    {
        var pred = Tensor.FromArray(new long[] { 1, 2, 3, 4 });
        var target = Tensor.FromArray(new long[] { 1, 0, 3, 0 });
        var eq = pred.Eq(target);
        Assert.Equal(new long[] { 1, 0, 1, 0 }, eq.ToInt64Array());
        Assert.Equal(2, eq.Sum().ItemInt64());
        Assert.Equal(0.5f, eq.ToFloat().Mean().Item());
    }

    [Fact]
    public void ToStringLooksLikePyTorch()
    {
        Assert.Equal("tensor([[0.1000, 0.7000]])", Tensor.FromArray(new[] { 0.1f, 0.7f }, 1, 2).ToString());
        Assert.Equal("tensor([1, 0])", Tensor.FromArray(new[] { 1, 0 }).ToString());
    }

    [Fact]
    public void MismatchedShapesThrowNamingBoth()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Ones(2, 3) + Tensor.Ones(4));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
        var mm = Assert.Throws<ArgumentException>(() => Tensor.Ones(2, 3).MatMul(Tensor.Ones(4, 5)));
        Assert.Contains("2x3 and 4x5", mm.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Ones(2, 3).Reshape(4, 2));
    }

    [Fact]
    public void WrongDTypeThrows()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Tensor.Arange(3).Exp());
        Assert.Contains("float32", ex.Message);
        Assert.Contains("int64", ex.Message);
        Assert.Throws<InvalidOperationException>(() => Tensor.Ones(2).Gather(0, Tensor.Ones(2)));
        var gather = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Tensor.Ones(2, 2).Gather(1, Tensor.FromArray(new long[] { 0, 2, 1, 1 }, 2, 2)));
        Assert.Equal("index", gather.ParamName);
        var select = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Ones(2, 3).IndexSelect(0, Tensor.FromArray([7L])));
        Assert.StartsWith("IndexSelect: index 7 is out of range for dimension 0 with size 2.", select.Message);
    }
}
