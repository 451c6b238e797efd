using Xunit;

namespace Xent.Tests.Support;

/// <summary>Numeric assertions in PyTorch's allclose form: |a − e| ≤ atol + rtol·|e|.</summary>
public static class Check
{
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol = 1e-5, double atol = 1e-6, string what = "")
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (double.IsInfinity(e) && e == a) continue;
            Assert.True(Math.Abs(a - e) <= atol + rtol * Math.Abs(e), $"{what}[{i}]: got {a:R}, expected {e:R} (rtol {rtol}, atol {atol})");
        }
    }

    public static void Close(Tensor expected, Tensor actual, double rtol = 1e-5, double atol = 1e-6, string what = "")
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Close(expected.ToFloat().Data, actual.ToFloat().Data, rtol, atol, what);
    }

    public static void Close(double expected, double actual, double rtol, double atol = 0, string what = "") =>
        Assert.True(Math.Abs(actual - expected) <= atol + rtol * Math.Abs(expected) || (double.IsNaN(expected) && double.IsNaN(actual)),
            $"{what}: got {actual:R}, expected {expected:R} (rtol {rtol}, atol {atol})");
}
