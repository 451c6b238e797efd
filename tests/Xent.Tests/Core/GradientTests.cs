using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Core;

/// <summary>Every differentiable core op against central finite differences.</summary>
public class GradientTests
{
    private static Tensor R(params int[] shape) => Tensor.Randn(shape, new Generator(shape.Sum() * 31 + shape.Length));
    private static Tensor Pos(params int[] shape) => Tensor.Rand(shape, new Generator(shape.Sum() + 5)) + 0.5f;

    [Fact] public void Add() => GradCheck.Check(x => x[0] + x[1], [R(2, 3), R(3)]);
    [Fact] public void Sub() => GradCheck.Check(x => x[0] - x[1], [R(2, 1, 3), R(4, 1)]);
    [Fact] public void Mul() => GradCheck.Check(x => x[0] * x[1], [R(2, 3), R(2, 1)]);
    [Fact] public void Div() => GradCheck.Check(x => x[0] / x[1], [R(2, 3), Pos(3)], eps: 1e-3);
    [Fact] public void ScalarOps() => GradCheck.Check(x => (x[0] * 3f + 2f) / 4f - 1f, [R(3, 2)]);
    [Fact] public void Neg() => GradCheck.Check(x => x[0].Neg(), [R(4)]);
    [Fact] public void Exp() => GradCheck.Check(x => x[0].Exp(), [R(2, 3)], eps: 1e-3);
    [Fact] public void Log() => GradCheck.Check(x => x[0].Log(), [Pos(2, 3)], eps: 1e-3);
    [Fact] public void Sigmoid() => GradCheck.Check(x => x[0].Sigmoid(), [R(5)], eps: 1e-3);
    [Fact] public void Pow() => GradCheck.Check(x => x[0].Pow(3f), [R(5)], eps: 1e-3);
    [Fact] public void SumAll() => GradCheck.Check(x => x[0].Sum(), [R(2, 3)]);
    [Fact] public void SumDim() => GradCheck.Check(x => x[0].Sum(1), [R(2, 3, 4)]);
    [Fact] public void SumDimKeep() => GradCheck.Check(x => x[0].Sum(-1, keepDim: true), [R(2, 3, 4)]);
    [Fact] public void Mean() => GradCheck.Check(x => x[0].Mean(0), [R(3, 4)]);
    [Fact] public void Max() => GradCheck.Check(x => x[0].Max(1).Values, [R(3, 5)], eps: 1e-3);
    [Fact] public void MatMul() => GradCheck.Check(x => x[0].MatMul(x[1]), [R(3, 4), R(4, 5)]);
    [Fact] public void BatchedMatMul() => GradCheck.Check(x => x[0].MatMul(x[1]), [R(2, 3, 4), R(2, 4, 2)]);
    [Fact] public void Transpose() => GradCheck.Check(x => x[0].Transpose(0, 2), [R(2, 3, 4)]);
    [Fact] public void Reshape() => GradCheck.Check(x => x[0].Reshape(3, -1).Unsqueeze(0).Squeeze(0).Flatten(), [R(2, 3, 2)]);
    [Fact] public void Gather() => GradCheck.Check(x => x[0].Gather(1, Tensor.FromArray(new long[] { 2, 2, 0, 1 }, 2, 2)), [R(2, 3)]);
    [Fact] public void IndexSelect() => GradCheck.Check(x => x[0].IndexSelect(0, Tensor.FromArray(new long[] { 1, 1, 0 })), [R(2, 3)]);
    [Fact] public void Clone() => GradCheck.Check(x => x[0].Clone() * x[0], [R(3)]);
}
