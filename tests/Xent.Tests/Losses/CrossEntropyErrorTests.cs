using Xunit;

namespace Xent.Tests.Losses;

/// <summary>Every misuse PyTorch rejects is rejected at once, with PyTorch's wording where it has one.</summary>
public class CrossEntropyErrorTests
{
    private static readonly Tensor X = Tensor.Randn([4, 5], new Generator(1));
    private static readonly Tensor T = Tensor.FromArray([0, 1, 2, 3], 4);

    private static void Throws<TException>(Action act, string expected) where TException : Exception
    {
        var e = Assert.ThrowsAny<TException>(act);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TargetOutOfBounds()
    {
        Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(X, Tensor.FromArray([0, 1, 12, 2], 4)), "Target 12 is out of bounds.");
        Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(X, Tensor.FromArray([0, -1, 2, 2], 4)), "Target -1 is out of bounds.");
        Throws<ArgumentOutOfRangeException>(() => F.NllLoss(X, Tensor.FromArray([0, 1, 5, 2], 4)), "Target 5 is out of bounds.");
        // Smoothing takes another path in PyTorch; the check must hold there too.
        Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(X, Tensor.FromArray([0, 1, 7, 2], 4), labelSmoothing: 0.1f),
            "Target 7 is out of bounds.");
        // The message is exactly PyTorch's, with nothing appended (the CLI prints it as is).
        Assert.Equal("Target 12 is out of bounds.",
            Assert.Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(X, Tensor.FromArray([12, 0, 0, 0], 4))).Message);
    }

    [Fact]
    public void IgnoreIndexOutsideTheClassesIsNotOutOfBounds()
    {
        var loss = F.CrossEntropy(X, Tensor.FromArray([0, 1, 12, 2], 4), ignoreIndex: 12, reduction: Reduction.None);
        Assert.Equal(0f, loss.Data[2]);
    }

    [Fact]
    public void BatchSizeMismatch()
    {
        Throws<ArgumentException>(() => F.CrossEntropy(X, Tensor.FromArray([0, 1, 2], 3)),
            "Expected input batch_size (4) to match target batch_size (3).");
        Throws<ArgumentException>(() => F.NllLoss(X, Tensor.FromArray([0, 1, 2], 3)),
            "Expected input batch_size (4) to match target batch_size (3).");
        Throws<ArgumentException>(() => F.CrossEntropy(Tensor.Randn(2, 5, 3), Tensor.ZerosInt64(3, 3)),
            "Expected input batch_size (2) to match target batch_size (3).");
    }

    [Fact]
    public void TargetShapeMismatch()
    {
        Throws<ArgumentException>(() => F.CrossEntropy(Tensor.Randn(2, 5, 3), Tensor.ZerosInt64(2, 2)),
            "Expected target size [2, 3], got [2, 2]");
        Throws<ArgumentException>(() => F.CrossEntropy(Tensor.Randn(2, 5, 3), Tensor.ZerosInt64(2)),
            "Expected target size [2, 3], got [2]");
        Throws<ArgumentException>(() => F.NllLoss(Tensor.Randn(2, 5, 3, 4), Tensor.ZerosInt64(2, 3, 5)),
            "Expected target size [2, 3, 4], got [2, 3, 5]");
        Throws<ArgumentException>(() => F.CrossEntropy(Tensor.Randn(5), Tensor.FromArray([1], 1)),
            "size mismatch (got input: [5], target: [1])");
        Throws<ArgumentException>(() => F.CrossEntropy(X, Tensor.Scalar(1L)), "size mismatch (got input: [4, 5], target: [])");
        Throws<ArgumentException>(() => F.CrossEntropy(X, Tensor.ZerosInt64(4, 2)),
            "0D or 1D target tensor expected, multi-target not supported");
        Throws<ArgumentException>(() => F.CrossEntropy(Tensor.Scalar(1f), Tensor.Scalar(0L)), "Expected 1 or more dimensions (got 0)");
    }

    [Fact]
    public void WeightOfTheWrongLength()
    {
        const string message = "weight tensor should be defined either for all 5 classes or no classes but got weight tensor of shape: [4]";
        Throws<ArgumentException>(() => F.CrossEntropy(X, T, weight: Tensor.Ones(4)), message);
        Throws<ArgumentException>(() => F.CrossEntropy(X, F.Softmax(X, 1), weight: Tensor.Ones(4)), message);
        Throws<ArgumentException>(() => F.NllLoss(X, T, weight: Tensor.Ones(4)), message);
        Throws<ArgumentException>(() => F.CrossEntropy(X, T, weight: Tensor.Ones(1, 5)), "got weight tensor of shape: [1, 5]");
    }

    [Fact]
    public void ProbabilityTargetWithNonNegativeIgnoreIndex()
    {
        Throws<ArgumentException>(() => F.CrossEntropy(X, F.Softmax(X, 1), ignoreIndex: 3),
            "ignore_index is not supported for floating point target");
        Throws<ArgumentException>(() => F.CrossEntropy(X, F.Softmax(X, 1), ignoreIndex: 0),
            "ignore_index is not supported for floating point target");
        // Negative values other than −100 are fine, as in PyTorch.
        Assert.True(float.IsFinite(F.CrossEntropy(X, F.Softmax(X, 1), ignoreIndex: -1).Item()));
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    public void LabelSmoothingOutsideZeroOne(float eps)
    {
        Throws<ArgumentException>(() => F.CrossEntropy(X, T, labelSmoothing: eps), "label_smoothing must be between 0.0 and 1.0. Got: ");
        Throws<ArgumentException>(() => F.CrossEntropy(X, F.Softmax(X, 1), labelSmoothing: eps),
            "label_smoothing must be between 0.0 and 1.0. Got: ");
    }

    [Fact]
    public void FloatClassIndicesAndInt64Probabilities()
    {
        Throws<ArgumentException>(() => F.CrossEntropy(X, T.ToFloat()), "expected class indices of dtype int64");
        Throws<ArgumentException>(() => F.NllLoss(X, T.ToFloat()), "expected class indices of dtype int64");
        Throws<ArgumentException>(() => F.CrossEntropy(X, Tensor.ZerosInt64(4, 5)),
            "Expected floating point type for target with class probabilities, got Long");
    }

    [Fact]
    public void BinaryCrossEntropyInputsOutsideZeroOne()
    {
        var y = Tensor.FromArray([0f, 1f]);
        Throws<ArgumentException>(() => F.BinaryCrossEntropy(Tensor.FromArray([0.5f, 1.5f]), y),
            "all elements of input should be between 0 and 1");
        Throws<ArgumentException>(() => F.BinaryCrossEntropy(Tensor.FromArray([-0.01f, 0.5f]), y),
            "all elements of input should be between 0 and 1");
        Throws<ArgumentException>(() => F.BinaryCrossEntropy(Tensor.FromArray([float.NaN, 0.5f]), y),
            "all elements of input should be between 0 and 1");
        // The bounds themselves are legal: the logs are clamped at −100.
        Assert.Equal(100f, F.BinaryCrossEntropy(Tensor.FromArray([0f, 1f]), Tensor.FromArray([1f, 0f])).Item(), 4);
    }

    [Fact]
    public void Int64TargetToBinaryCrossEntropy()
    {
        var p = Tensor.FromArray([0.5f, 0.5f]);
        Throws<ArgumentException>(() => F.BinaryCrossEntropy(p, Tensor.FromArray([0, 1])), "Found dtype Long but expected Float");
        Throws<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(p, Tensor.FromArray([0, 1])), "Found dtype Long but expected Float");
    }

    [Fact]
    public void BinaryTargetShapeAndWeightBroadcast()
    {
        var p = Tensor.FromArray([0.5f, 0.5f]);
        Throws<ArgumentException>(() => F.BinaryCrossEntropy(p, Tensor.Zeros(1, 2)),
            "Using a target size ([1, 2]) that is different to the input size ([2]) is deprecated.");
        Throws<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(p, Tensor.Zeros(1, 2)),
            "Target size ([1, 2]) must be the same as input size ([2])");
        Throws<ArgumentException>(() => F.BinaryCrossEntropy(Tensor.Full(0.5f, 2, 3), Tensor.Zeros(2, 3), weight: Tensor.Ones(2)),
            "does not broadcast to the input's shape [2, 3]");
        Throws<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros(2, 3), Tensor.Zeros(2, 3), posWeight: Tensor.Ones(4)),
            "does not broadcast to the input's shape [2, 3]");
    }
}
