using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// log(softmax(x)) along <paramref name="dim"/>, like <c>torch.nn.functional.log_softmax</c>:
    /// y = (x − m) − log Σ e^(x − m) with m the max along the dim, so it is exact for large |x|.
    /// Differentiable: dx = dy − e^y · Σ dy.
    /// </summary>
    /// <param name="x">A float32 tensor of any rank (a 0-d tensor gives 0).</param>
    /// <param name="dim">The dim to normalise over; negative counts from the end.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape. A slice of all −inf gives NaN, as in PyTorch.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is out of range.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="x"/> is not float32.</exception>
    public static Tensor LogSoftmax(Tensor x, int dim) => SoftmaxAlong(x, dim, log: true);

    /// <summary>
    /// Shared body of <see cref="LogSoftmax"/> and <see cref="Softmax"/>: rows along <paramref name="dim"/>, one kernel call each way.
    /// </summary>
    private static Tensor SoftmaxAlong(Tensor x, int dim, bool log)
    {
        string op = log ? nameof(LogSoftmax) : nameof(Softmax);
        x.RequireFloat(op);
        dim = Shapes.NormalizeDim(dim, x.Rank, op);
        var shape = x.Shape;
        var (outer, classes, inner) = Shapes.Split(shape, dim);
        if (x.NumEl == 0) return Tensor.Record(new Tensor(Array.Empty<float>(), shape), op + "Backward", (_, _) => [Tensor.Zeros(shape)],
            x);
        var rows = ClassRows.ToRows(x.FloatArray, outer, classes, inner);
        var y = GC.AllocateUninitializedArray<float>(rows.Length);
        if (log) SoftmaxKernel.LogSoftmax(rows, classes, y);
        else SoftmaxKernel.Softmax(rows, classes, y);
        var result = new Tensor(ClassRows.FromRows(y, outer, classes, inner), shape);
        return Tensor.Record(result, op + "Backward", (g, ctx) =>
        {
            var dyRows = ClassRows.ToRows(g.FloatArray, outer, classes, inner);
            var dx = GC.AllocateUninitializedArray<float>(rows.Length);
            if (log) SoftmaxKernel.LogSoftmaxBackward(y, dyRows, classes, dx);
            else SoftmaxKernel.SoftmaxBackward(y, dyRows, classes, dx);
            return [ctx.Adopt(ClassRows.FromRows(dx, outer, classes, inner), shape)];
        }, x);
    }
}
