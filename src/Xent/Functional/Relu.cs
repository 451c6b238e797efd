using Xent.Autograd;
using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// Rectified linear unit <c>max(0, x)</c> elementwise, PyTorch's <c>F.relu</c>. NaN and −0 pass through, as in PyTorch.
    /// </summary>
    /// <remarks>Backward is PyTorch's <c>threshold_backward</c>, <c>x &lt;= 0 ? 0 : g</c>: the gradient passes where the input is
    /// positive or NaN, and is 0 at x = 0.</remarks>
    public static Tensor Relu(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.RequireFloat("relu");
        var x = input.FloatArray;
        var y = StepArena.Allocate(x.Length);
        Elementwise.Relu(x, y);
        var result = new Tensor(y, input.Shape);
        return Tensor.Record(result, "ReluBackward", (g, ctx) =>
        {
            var gx = ctx.NewGrad(input);
            Elementwise.ReluBackward(y, g.FloatArray, gx.Data);
            return [gx];
        }, input);
    }
}
