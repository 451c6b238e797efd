using Xunit;
using Xent.Kernels;
using static Xent.Tests.Kernels.KernelTestUtil;

namespace Xent.Tests.Kernels;

public class Im2ColTests
{
    public static IEnumerable<object[]> Geometries() =>
    [
        [1, 28, 28, 3, 3, 1, 1, 0, 0],
        [3, 7, 9, 3, 3, 1, 1, 1, 1],
        [2, 8, 7, 3, 2, 2, 1, 1, 0],
        [2, 9, 10, 5, 3, 2, 3, 2, 1],
        [4, 5, 5, 1, 1, 1, 1, 0, 0],
        [1, 4, 6, 4, 6, 1, 1, 2, 2],
        [2, 6, 6, 2, 2, 3, 3, 1, 1],
    ];

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Unfold_MatchesScalar(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var rnd = new Random(c * 100 + h);
        int ho = Im2Col.OutputSize(h, kh, sh, ph), wo = Im2Col.OutputSize(w, kw, sw, pw);
        float[] x = RandomArray(rnd, c * h * w);
        float[] fast = RandomArray(rnd, c * kh * kw * ho * wo), slow = new float[fast.Length];
        Im2Col.Unfold(x, c, h, w, kh, kw, sh, sw, ph, pw, fast);
        Im2Col.UnfoldScalar(x, c, h, w, kh, kw, sh, sw, ph, pw, slow);
        Assert.Equal(slow, fast);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Fold_MatchesScalar_AndAccumulates(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var rnd = new Random(c * 31 + w);
        int ho = Im2Col.OutputSize(h, kh, sh, ph), wo = Im2Col.OutputSize(w, kw, sw, pw);
        float[] col = RandomArray(rnd, c * kh * kw * ho * wo);
        float[] start = RandomArray(rnd, c * h * w);
        float[] fast = (float[])start.Clone(), slow = (float[])start.Clone();
        Im2Col.Fold(col, c, h, w, kh, kw, sh, sw, ph, pw, fast);
        Im2Col.FoldScalar(col, c, h, w, kh, kw, sh, sw, ph, pw, slow);
        Assert.Equal(slow, fast);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void FoldIsAdjointOfUnfold(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        // <unfold(x), y> == <x, fold(y)>, both sides summed in float64.
        var rnd = new Random(h * 7 + kw);
        int ho = Im2Col.OutputSize(h, kh, sh, ph), wo = Im2Col.OutputSize(w, kw, sw, pw);
        float[] x = RandomArray(rnd, c * h * w), y = RandomArray(rnd, c * kh * kw * ho * wo);
        float[] ux = new float[y.Length], fy = new float[x.Length];
        Im2Col.Unfold(x, c, h, w, kh, kw, sh, sw, ph, pw, ux);
        Im2Col.Fold(y, c, h, w, kh, kw, sh, sw, ph, pw, fy);
        double lhs = 0, rhs = 0;
        for (int i = 0; i < y.Length; i++) lhs += (double)ux[i] * y[i];
        for (int i = 0; i < x.Length; i++) rhs += (double)x[i] * fy[i];
        Assert.Equal(lhs, rhs, 1e-4);
    }

    [Fact]
    public void Unfold_KnownSmallCase()
    {
        // 1×3×3 image, 2×2 kernel, stride 1, padding 0 → 4 rows × 4 columns, written out by hand.
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        float[] col = new float[16];
        Im2Col.Unfold(x, 1, 3, 3, 2, 2, 1, 1, 0, 0, col);
        Assert.Equal(new float[] { 1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9 }, col);
    }

    [Fact]
    public void BadGeometry_Throws()
    {
        Assert.Throws<ArgumentException>(() => Im2Col.OutputSize(2, 5, 1, 0));
        Assert.Throws<ArgumentException>(() => Im2Col.Unfold(new float[9], 1, 3, 3, 2, 2, 1, 1, 0, 0, new float[15]));
    }
}
