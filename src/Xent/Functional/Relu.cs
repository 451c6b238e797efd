using System.Numerics.Tensors;

namespace Xent;

public static partial class F
{
    /// <summary>Rectified linear unit <c>max(0, x)</c> elementwise, PyTorch's <c>F.relu</c>. NaN stays NaN.</summary>
    /// <remarks>Backward passes the gradient where the output is positive (PyTorch's <c>threshold_backward</c>: 0 at x = 0).</remarks>
    public static Tensor Relu(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.RequireFloat("relu");
        var x = input.FloatArray;
        var y = new float[x.Length];
        // Max(x, 0) keeps NaN as NaN, like PyTorch's clamp_min.
        TensorPrimitives.Max(x, 0f, y);
        var result = new Tensor(y, input.Shape);
        return Tensor.Record(result, "ReluBackward", g =>
        {
            var gy = g.FloatArray;
            var gx = new float[gy.Length];
            for (int i = 0; i < gx.Length; i++) gx[i] = y[i] > 0f ? gy[i] : 0f;
            return [new Tensor(gx, input.Shape)];
        }, input);
    }
}
