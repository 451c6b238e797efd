using Xent.Autograd;
using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// Leaky rectified linear unit <c>x &gt; 0 ? x : negativeSlope·x</c> elementwise, PyTorch's <c>F.leaky_relu</c>.
    /// NaN passes through.
    /// </summary>
    /// <param name="input">Float32 tensor of any shape.</param>
    /// <param name="negativeSlope">Slope for x ≤ 0 (PyTorch's default 0.01); any finite value.</param>
    /// <remarks>Backward: dx = dy where x &gt; 0, negativeSlope·dy elsewhere (x = 0 included), as PyTorch.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeSlope"/> is NaN or infinite.</exception>
    public static Tensor LeakyRelu(Tensor input, float negativeSlope = 0.01f)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.RequireFloat("leaky_relu");
        if (!float.IsFinite(negativeSlope))
            throw new ArgumentOutOfRangeException(nameof(negativeSlope), negativeSlope, "negative_slope must be finite.");
        var x = input.FloatArray;
        var y = StepArena.Allocate(x.Length);
        LeakyReluKernel.Forward(x, negativeSlope, y);
        return Tensor.Record(new Tensor(y, input.Shape), "LeakyReluBackward", (g, ctx) =>
        {
            var dx = ctx.NewGrad(input);
            LeakyReluKernel.Backward(x, g.FloatArray, negativeSlope, dx.Data);
            return [dx];
        }, input);
    }
}
