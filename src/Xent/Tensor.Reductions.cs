using System.Numerics.Tensors;

namespace Xent;

public partial class Tensor
{
    /// <summary>Sum of all elements as a 0-d tensor (int64 stays int64). Differentiable for float32.</summary>
    public Tensor Sum()
    {
        if (_long is not null)
        {
            long s = 0;
            foreach (long v in _long) s += v;
            return Scalar(s);
        }
        var result = Scalar(TensorPrimitives.Sum(FloatArray));
        var shape = _shape;
        return Record(result, "SumBackward", (g, _) => [Full(g.Item(), shape)], this);
    }

    /// <summary>Sum along <paramref name="dim"/>, keeping it as size 1 when <paramref name="keepDim"/>.</summary>
    public Tensor Sum(int dim, bool keepDim = false)
    {
        RequireFloat(nameof(Sum));
        dim = Shapes.NormalizeDim(dim, Rank, nameof(Sum));
        var (outer, size, inner) = Shapes.Split(_shape, dim);
        // Checked: over an empty dim the result can be larger than the input ([65536, 0, 65536] sums to [65536, 65536]).
        var dst = new float[Shapes.NumEl(ReducedShape(dim))];
        var src = FloatArray;
        for (int o = 0; o < outer; o++)
        {
            if (inner == 1) { dst[o] = TensorPrimitives.Sum(src.AsSpan(o * size, size)); continue; }
            var row = dst.AsSpan(o * inner, inner);
            for (int s = 0; s < size; s++) TensorPrimitives.Add(row, src.AsSpan((o * size + s) * inner, inner), row);
        }
        var keptShape = KeptShape(dim);
        var result = new Tensor(dst, keepDim ? keptShape : ReducedShape(dim));
        var shape = _shape;
        return Record(result, "SumBackward", (g, _) => [g.Reshape(keptShape).ExpandTo(shape)], this);
    }

    /// <summary>Mean of all elements as a 0-d tensor.</summary>
    public Tensor Mean()
    {
        RequireFloat(nameof(Mean));
        return Sum() / NumEl;
    }

    /// <summary>Mean along <paramref name="dim"/>.</summary>
    public Tensor Mean(int dim, bool keepDim = false)
    {
        int n = Shapes.Split(_shape, Shapes.NormalizeDim(dim, Rank, nameof(Mean))).Size;  // 1 for a 0-d tensor
        return Sum(dim, keepDim) / n;
    }

    /// <summary>
    /// Largest value along <paramref name="dim"/> and its index (first one on ties, NaN wins), like <c>torch.max(x, dim)</c>.
    /// </summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false)
    {
        RequireFloat(nameof(Max));
        dim = Shapes.NormalizeDim(dim, Rank, nameof(Max));
        var (outer, size, inner) = Shapes.Split(_shape, dim);
        if (size == 0) throw new ArgumentException($"Max: cannot reduce over an empty dim {dim} of shape {Shapes.Format(_shape)}.");
        var values = new float[outer * inner];
        var indices = new long[outer * inner];
        var src = FloatArray;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                float bestValue = src[o * size * inner + i];
                for (int s = 1; s < size && !float.IsNaN(bestValue); s++)
                {
                    float v = src[(o * size + s) * inner + i];
                    if (v > bestValue || float.IsNaN(v)) { bestValue = v; best = s; }
                }
                values[o * inner + i] = bestValue;
                indices[o * inner + i] = best;
            }
        var shape = keepDim ? KeptShape(dim) : ReducedShape(dim);
        var valueTensor = new Tensor(values, shape);
        var indexTensor = new Tensor(indices, (int[])shape.Clone());
        var inputShape = _shape;
        valueTensor = Record(valueTensor, "MaxBackward", (g, ctx) =>
        {
            var grad = ctx.NewZeroGrad(inputShape);
            var gi = g.FloatArray;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                    grad.FloatArray[(o * size + (int)indices[o * inner + i]) * inner + i] = gi[o * inner + i];
            return [grad];
        }, this);
        return (valueTensor, indexTensor);
    }

    /// <summary>Index of the largest value along <paramref name="dim"/> (int64; first on ties).</summary>
    public Tensor ArgMax(int dim, bool keepDim = false)
    {
        using var _ = Autograd.GradMode.Disable();
        return Max(dim, keepDim).Indices;
    }

    // A 0-d tensor reduced over its (implicit) dim 0 stays 0-d, as in PyTorch.
    private int[] KeptShape(int dim)
    {
        if (Rank == 0) return [];
        var s = (int[])_shape.Clone();
        s[dim] = 1;
        return s;
    }

    private int[] ReducedShape(int dim)
    {
        if (Rank == 0) return [];
        var s = new List<int>(_shape);
        s.RemoveAt(dim);
        return [.. s];
    }

    /// <summary>Repeats size-1 dims to reach <paramref name="shape"/> (same rank). Not recorded: used inside backward functions.</summary>
    internal Tensor ExpandTo(int[] shape)
    {
        if (Shapes.Equal(_shape, shape)) return this;
        var strides = Shapes.BroadcastStrides(_shape, shape.Length);
        return new Tensor(CopyStrided(FloatArray, shape, strides), (int[])shape.Clone());
    }
}
