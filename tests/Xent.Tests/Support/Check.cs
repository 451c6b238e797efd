using Xunit;

namespace Xent.Tests.Support;

/// <summary>
/// The one numeric assertion of the suite, in PyTorch's allclose form: |a − e| ≤ atol + rtol·|e| for a finite
/// expected value; a NaN or ±inf expected value must be matched exactly.
/// </summary>
public static class Check
{
    public static void Close(
        ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol = 1e-5, double atol = 1e-6, string what = "")
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            if (!IsClose(expected[i], actual[i], rtol, atol)) Fail(expected[i], actual[i], rtol, atol, $"{what}[{i}]");
    }

    public static void Close(Tensor expected, Tensor actual, double rtol = 1e-5, double atol = 1e-6, string what = "")
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Close(expected.ToFloat().Data, actual.ToFloat().Data, rtol, atol, what);
    }

    public static void Close(double expected, double actual, double rtol, double atol = 0, string what = "")
    {
        if (!IsClose(expected, actual, rtol, atol)) Fail(expected, actual, rtol, atol, what);
    }

    /// <summary>An absolute tolerance: <paramref name="fraction"/> of the largest finite |value| in <paramref name="expected"/>.</summary>
    public static double Scale(ReadOnlySpan<float> expected, double fraction)
    {
        double m = 0;
        foreach (float v in expected) if (float.IsFinite(v)) m = Math.Max(m, Math.Abs(v));
        return fraction * m;
    }

    private static bool IsClose(double e, double a, double rtol, double atol) =>
        double.IsFinite(e) ? Math.Abs(a - e) <= atol + rtol * Math.Abs(e) : e.Equals(a);

    private static void Fail(double e, double a, double rtol, double atol, string what) =>
        Assert.Fail($"{what}: got {a:R}, expected {e:R} (diff {Math.Abs(a - e):E3}, rtol {rtol}, atol {atol})");
}
