namespace Xent;

public partial class Tensor
{
    /// <summary>
    /// Picks values along <paramref name="dim"/> at <paramref name="index"/> (int64, same rank, each other dim no larger),
    /// like <c>torch.gather</c>: <c>out[i][j] = x[i][index[i][j]]</c> for dim 1. Differentiable (scatter-add).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [−size, size) of <paramref name="dim"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="index"/> is not int64 or its shape does not fit.</exception>
    public Tensor Gather(int dim, Tensor index)
    {
        RequireFloat(nameof(Gather));
        if (index.DType != DType.Int64) throw index.DTypeError("Gather's index", DType.Int64);
        if (index.Rank != Rank)
            throw new ArgumentException("Index tensor must have the same number of dimensions as input tensor: input " +
                $"{Shapes.Format(_shape)}, index {Shapes.Format(index._shape)}.");
        dim = Shapes.NormalizeDim(dim, Rank, nameof(Gather));
        for (int d = 0; d < Rank; d++)
            if (d != dim && index._shape[d] > _shape[d])
                throw new ArgumentException($"Size does not match at dimension {d}: expected index {Shapes.Format(index._shape)} to be " +
                    $"no larger than self {Shapes.Format(_shape)} apart from dimension {dim}.");
        var offsets = GatherOffsets(dim, index);
        var src = FloatArray;
        var dst = new float[offsets.Length];
        for (int i = 0; i < dst.Length; i++) dst[i] = src[offsets[i]];
        var result = new Tensor(dst, index.Shape);
        var shape = _shape;
        return Record(result, "GatherBackward", (g, ctx) =>
        {
            var grad = new float[Shapes.NumEl(shape)];
            var gi = g.FloatArray;
            for (int i = 0; i < offsets.Length; i++) grad[offsets[i]] += gi[i];
            return [ctx.Adopt(grad, shape)];
        }, this);
    }

    /// <summary>Flat source offset of each gathered element, validating the indices.</summary>
    private int[] GatherOffsets(int dim, Tensor index)
    {
        int rank = Rank;
        var strides = Shapes.BroadcastStrides(_shape, rank);
        for (int d = 0; d < rank; d++) if (_shape[d] == 1) strides[d] = Shapes.NumEl(_shape.AsSpan(d + 1));
        var idx = index._long!;
        var offsets = new int[idx.Length];
        var pos = new int[rank];
        int size = _shape[dim];
        for (int i = 0; i < idx.Length; i++)
        {
            long k = idx[i];
            if (k < -size || k >= size)
                throw new ArgumentOutOfRangeException(nameof(index), k,
                    $"Gather: index {k} is out of bounds for dimension {dim} with size {size}.");
            if (k < 0) k += size;
            int off = 0;
            for (int d = 0; d < rank; d++) off += (d == dim ? (int)k : pos[d]) * strides[d];
            offsets[i] = off;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++pos[d] < index._shape[d]) break;
                pos[d] = 0;
            }
        }
        return offsets;
    }

    /// <summary>
    /// Selects slices along <paramref name="dim"/> at the given int64 indices, like <c>torch.index_select</c>. Differentiable.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, size) of <paramref name="dim"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="index"/> is not int64, or not 0-d or 1-d.</exception>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        if (index.DType != DType.Int64) throw index.DTypeError("IndexSelect's index", DType.Int64);
        if (index.Rank > 1) throw new ArgumentException($"IndexSelect: index must be 0-d or 1-d, got shape {Shapes.Format(index._shape)}.");
        dim = Shapes.NormalizeDim(dim, Rank, nameof(IndexSelect));
        var (outer, size, inner) = Shapes.Split(_shape, dim);
        var idx = index._long!;
        foreach (long k in idx)
            if (k < 0 || k >= size)
                throw new ArgumentOutOfRangeException(nameof(index), k,
                    $"IndexSelect: index {k} is out of range for dimension {dim} with size {size}.");
        var outShape = Shape;
        if (Rank > 0) outShape[dim] = idx.Length;
        int n = idx.Length;
        if (_long is not null)
        {
            var dl = new long[outer * n * inner];
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < n; j++)
                    Array.Copy(_long, (o * size + idx[j]) * inner, dl, (o * n + j) * inner, inner);
            return new Tensor(dl, outShape);
        }
        var df = GC.AllocateUninitializedArray<float>(outer * n * inner);
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < n; j++)
                Array.Copy(FloatArray, (o * size + idx[j]) * inner, df, (o * n + j) * inner, inner);
        var shape = _shape;
        return Record(new Tensor(df, outShape), "IndexSelectBackward", (g, ctx) =>
        {
            var grad = new float[Shapes.NumEl(shape)];
            var gi = g.FloatArray;
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < n; j++)
                    System.Numerics.Tensors.TensorPrimitives.Add(
                        grad.AsSpan((int)((o * size + idx[j]) * inner), inner), gi.AsSpan((o * n + j) * inner, inner),
                        grad.AsSpan((int)((o * size + idx[j]) * inner), inner));
            return [ctx.Adopt(grad, shape)];
        }, this);
    }

    /// <summary>Element-wise equality with broadcasting, as int64 0/1 (Xent has no bool dtype). Not differentiable.</summary>
    public Tensor Eq(Tensor other)
    {
        if (DType != other.DType) throw new ArgumentException($"Eq: dtypes differ ({Name(DType)} vs {Name(other.DType)}).");
        var outShape = Shapes.Broadcast(_shape, other._shape);
        int rank = outShape.Length, n = Shapes.NumEl(outShape);
        var sa = Shapes.BroadcastStrides(_shape, rank);
        var sb = Shapes.BroadcastStrides(other._shape, rank);
        var dst = new long[n];
        var pos = new int[rank];
        float[]? fa = _float is null ? null : FloatArray, fb = _float is null ? null : other.FloatArray;
        int ia = 0, ib = 0;
        for (int o = 0; o < n; o++)
        {
            dst[o] = fa is not null ? (fa[ia] == fb![ib] ? 1 : 0) : (_long![ia] == other._long![ib] ? 1 : 0);
            for (int d = rank - 1; d >= 0; d--)
            {
                pos[d]++; ia += sa[d]; ib += sb[d];
                if (pos[d] < outShape[d]) break;
                ia -= sa[d] * outShape[d]; ib -= sb[d] * outShape[d];
                pos[d] = 0;
            }
        }
        return new Tensor(dst, outShape);
    }

    /// <summary>A float32 copy (int64 converted), like <c>x.float()</c>; float32 tensors are returned as they are.</summary>
    public Tensor ToFloat()
    {
        if (_float is not null) return this;
        var dst = new float[_long!.Length];
        for (int i = 0; i < dst.Length; i++) dst[i] = _long[i];
        return new Tensor(dst, _shape);
    }

    /// <summary>An int64 copy (float32 truncated toward zero), like <c>x.long()</c>.</summary>
    public Tensor ToInt64()
    {
        if (_long is not null) return this;
        var src = FloatArray;
        var dst = new long[src.Length];
        for (int i = 0; i < dst.Length; i++) dst[i] = (long)src[i];
        return new Tensor(dst, _shape);
    }
}
