using Xent.Autograd;
using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// Affine map <c>y = x·Wᵀ + b</c>, PyTorch's <c>F.linear</c>: input (…, in), weight (out, in), bias (out) → (…, out).
    /// </summary>
    /// <param name="input">Float32 tensor whose last dim is <c>in</c>; leading dims are batch dims (a 1-D input gives a 1-D
    /// output).</param>
    /// <param name="weight">Float32 (out, in) matrix.</param>
    /// <param name="bias">Optional float32 (out) vector.</param>
    /// <exception cref="ArgumentException">The shapes of <paramref name="input"/>, <paramref name="weight"/> or
    /// <paramref name="bias"/> do not fit, with PyTorch's wording
    /// ("mat1 and mat2 shapes cannot be multiplied (64x9216 and 9200x128)").</exception>
    /// <exception cref="InvalidOperationException">An argument is int64, not float32.</exception>
    /// <remarks>One autograd node: dX = dY·W, dW = dYᵀ·X (summed over every leading dim), db = column sums of dY.</remarks>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        input.RequireFloat("linear");
        weight.RequireFloat("linear");
        bias?.RequireFloat("linear");
        if (weight.Rank != 2)
            throw new ArgumentException("linear expects a 2-D weight (out_features, in_features), but got weight of size " +
                $"{Shapes.Format(weight.ShapeSpan)}.", nameof(weight));
        if (input.Rank == 0)
            throw new ArgumentException("linear expects an input with at least 1 dimension, but got a scalar.", nameof(input));
        int outF = weight.Size(0), inF = weight.Size(1);
        int k = input.Size(-1);
        int m = k == 0 ? Shapes.NumEl(input.ShapeSpan[..^1]) : input.NumEl / k;
        if (k != inF)
            throw new ArgumentException($"mat1 and mat2 shapes cannot be multiplied ({m}x{k} and {inF}x{outF})", nameof(input));
        if (bias is not null && (bias.Rank != 1 || bias.NumEl != outF))
            throw new ArgumentException($"linear: expected bias of size [{outF}] to match weight of size " +
                $"{Shapes.Format(weight.ShapeSpan)}, but got bias of size {Shapes.Format(bias.ShapeSpan)}.", nameof(bias));

        var x = input.FloatArray;
        var w = weight.FloatArray;
        // AddBiasRows adds onto y, so y starts at zero when there is a bias; without one the GEMM (beta = 0) writes every element.
        int outLength = Shapes.NumEl([m, outF]);
        var y = bias is null ? GC.AllocateUninitializedArray<float>(outLength) : new float[outLength];
        float beta = 0f;
        if (bias is not null)
        {
            // Start every row at the bias and let the GEMM accumulate onto it (beta = 1).
            Elementwise.AddBiasRows(y, m, outF, bias.FloatArray);
            beta = 1f;
        }
        // Row strides of at least 1 (BLAS's rule) let in_features = 0 give the bias (zeros without one) and
        // out_features = 0 an empty output, as in PyTorch; the GEMM reads nothing when a dimension is 0.
        int ldIn = Math.Max(1, inF), ldOut = Math.Max(1, outF);
        Gemm.Sgemm(false, true, m, outF, inF, 1f, x, ldIn, w, ldIn, beta, y, ldOut);

        var outShape = input.Shape;
        outShape[^1] = outF;
        var result = new Tensor(y, outShape);
        return Tensor.Record(result, "AddmmBackward", (g, ctx) =>
        {
            var gy = g.FloatArray;
            Tensor? gx = null, gw = null, gb = null;
            if (input.RequiresGrad)
            {
                gx = ctx.NewGrad(input);
                Gemm.Sgemm(false, false, m, inF, outF, 1f, gy, ldOut, w, ldIn, 0f, gx.Data, ldIn);
            }
            if (weight.RequiresGrad)
            {
                gw = ctx.NewGrad(weight);
                Gemm.Sgemm(true, false, outF, inF, m, 1f, gy, ldOut, x, ldIn, 0f, gw.Data, ldIn);
            }
            if (bias is not null && bias.RequiresGrad)
            {
                var db = new float[outF];
                Elementwise.BiasGradRows(gy, m, outF, db);
                gb = ctx.Adopt(db, bias.Shape);
            }
            return bias is null ? [gx, gw] : [gx, gw, gb];
        }, bias is null ? [input, weight] : [input, weight, bias]);
    }
}
