using Xent.Data;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

public class InputRangeTests
{
    private static TensorDataset Rows(float[][] rows) =>
        new(Tensor.FromArray(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length),
            Tensor.FromArray(new long[rows.Length], rows.Length));

    [Fact]
    public void LargestMagnitude_IsTheLargestFiniteAbsoluteValue()
    {
        Assert.Equal(3.5, InputRange.LargestMagnitude(Rows([[1f, -2f], [0.5f, -3.5f], [3f, 0f]])));
        // NaN and infinities are not a range: the finite values' largest stands.
        Assert.Equal(2, InputRange.LargestMagnitude(Rows([[float.NaN, -2f], [float.PositiveInfinity, 1f]])));
    }

    [Fact]
    public void Beyond_CountsEverySampleWithAValuePastTheLimitOrNotFinite()
    {
        var data = Rows([[1f, -2f], [0.5f, 30f], [float.NaN, 0f], [-45f, 1f], [20f, -20f], [0f, float.NegativeInfinity], [25f, 0f]]);
        var found = InputRange.Beyond(data, limit: 20, keep: 3);
        Assert.Equal(5, found.Count); // rows 1, 2, 3, 5, 6; row 4 is at the limit, not past it
        Assert.Equal(2, found.NonFinite);
        Assert.Equal([1, 2, 3], found.First);
        Assert.Equal(45, found.Largest);
        Assert.Equal(0, found.LargestAt); // the feature of -45
        var none = InputRange.Beyond(data, limit: float.PositiveInfinity);
        Assert.Equal(2, none.Count); // only the values that are not finite
        Assert.Equal(0, none.Largest);
    }
}
