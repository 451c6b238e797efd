using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.NN;

/// <summary>Layer gradients against central finite differences (float64 objective).</summary>
public class GradCheckTests
{
    private static Tensor R(int seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed));

    [Fact] public void Linear() => GradCheck.Check(x => F.Linear(x[0], x[1], x[2]), [R(1, 3, 4), R(2, 5, 4), R(3, 5)]);

    [Fact] public void LinearBatchDimsNoBias() => GradCheck.Check(x => F.Linear(x[0], x[1]), [R(4, 2, 2, 3), R(5, 4, 3)]);

    [Fact] public void Conv2d() => GradCheck.Check(x => F.Conv2d(x[0], x[1], x[2]), [R(6, 2, 2, 4, 4), R(7, 3, 2, 2, 3), R(8, 3)]);

    [Fact]
    public void Conv2dStridePadding() =>
        GradCheck.Check(x => F.Conv2d(x[0], x[1], x[2], stride: (2, 1), padding: (1, 2)), [R(9, 1, 2, 5, 4), R(10, 2, 2, 3, 2), R(11, 2)]);

    [Fact]
    public void MaxPool2d()
    {
        // Distinct values spaced ≥ 0.05 apart so ±eps never changes a window's argmax.
        var perm = new Generator(12).Permutation(2 * 2 * 5 * 5);
        var x = Tensor.FromArray(Array.ConvertAll(perm, i => i * 0.05f), 2, 2, 5, 5);
        GradCheck.Check(t => F.MaxPool2d(t[0], 3, stride: 2, padding: 1), [x], eps: 1e-2);
    }

    [Fact]
    public void Relu()
    {
        // Values kept away from the kink at 0.
        var x = R(13, 3, 4);
        var d = x.Data;
        for (int i = 0; i < d.Length; i++) d[i] = d[i] >= 0 ? d[i] + 0.1f : d[i] - 0.1f;
        GradCheck.Check(t => F.Relu(t[0]), [x]);
    }
}
