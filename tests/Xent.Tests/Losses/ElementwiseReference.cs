namespace Xent.Tests.Losses;

/// <summary>
/// References for the element-wise loss kernels: the kernel run on one element at a time (one chunk, no threads), and
/// the sum taken in element order in float64, as their removed scalar twins computed it.
/// </summary>
internal static class ElementwiseReference
{
    public delegate void ElementOp(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> result);

    /// <summary>Each element's result from <paramref name="op"/> on that element alone; returns their in-order sum.</summary>
    public static double Run(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> result, ElementOp op)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            op(x.Slice(i, 1), y.Slice(i, 1), result.Slice(i, 1));
            s += result[i];
        }
        return s;
    }
}
