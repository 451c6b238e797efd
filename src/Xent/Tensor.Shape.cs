namespace Xent;

public partial class Tensor
{
    /// <summary>Same storage under a new shape; one dim may be -1 (inferred). Differentiable.</summary>
    public Tensor Reshape(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var resolved = ResolveShape(shape);
        var view = _float is not null ? new Tensor(FloatArray, resolved) : new Tensor(_long!, resolved);
        if (_float is null) return view;
        var original = _shape;
        return Record(view, "ViewBackward", (g, _) => [g.Reshape(original)], this);
    }

    /// <summary>Alias of <see cref="Reshape"/>: storage is always contiguous, so every view is legal.</summary>
    public Tensor View(params int[] shape) => Reshape(shape);

    private int[] ResolveShape(int[] shape)
    {
        var resolved = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < resolved.Length; i++)
        {
            if (resolved[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"only one dimension can be inferred; got shape {Shapes.Format(shape)}.");
                infer = i;
            }
            else if (resolved[i] < 0) throw new ArgumentException($"invalid shape dimension {resolved[i]} in {Shapes.Format(shape)}.");
            else known *= resolved[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || NumEl % known != 0)
                throw new ArgumentException($"shape {Shapes.Format(shape)} is invalid for input of size {NumEl}.");
            resolved[infer] = (int)(NumEl / known);
        }
        else if (known != NumEl)
        {
            throw new ArgumentException($"shape {Shapes.Format(shape)} is invalid for input of size {NumEl} (shape " +
                $"{Shapes.Format(_shape)}).");
        }
        return resolved;
    }

    /// <summary>Removes all dims of size 1.</summary>
    public Tensor Squeeze()
    {
        var shape = new List<int>(Rank);
        foreach (int d in _shape) if (d != 1) shape.Add(d);
        return Reshape([.. shape]);
    }

    /// <summary>Removes <paramref name="dim"/> if its size is 1 (otherwise returns an equal view).</summary>
    public Tensor Squeeze(int dim)
    {
        dim = Shapes.NormalizeDim(dim, Rank, nameof(Squeeze));
        if (Rank == 0 || _shape[dim] != 1) return Reshape(_shape);
        var shape = new List<int>(_shape);
        shape.RemoveAt(dim);
        return Reshape([.. shape]);
    }

    /// <summary>Inserts a dim of size 1 at <paramref name="dim"/> (in [-rank-1, rank]).</summary>
    public Tensor Unsqueeze(int dim)
    {
        dim = Shapes.NormalizeDim(dim, Rank + 1, nameof(Unsqueeze));
        var shape = new List<int>(_shape);
        shape.Insert(dim, 1);
        return Reshape([.. shape]);
    }

    /// <summary>Merges dims <paramref name="startDim"/> … <paramref name="endDim"/> into one, like <c>torch.flatten</c>.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        startDim = Shapes.NormalizeDim(startDim, Rank, nameof(Flatten));
        endDim = Shapes.NormalizeDim(endDim, Rank, nameof(Flatten));
        if (startDim > endDim)
            throw new ArgumentException($"flatten() has invalid args: start_dim ({startDim}) cannot come after end_dim ({endDim}).");
        var shape = new List<int>();
        for (int i = 0; i < startDim; i++) shape.Add(_shape[i]);
        int merged = 1;
        for (int i = startDim; i <= endDim; i++) merged *= _shape[i];
        shape.Add(merged);
        for (int i = endDim + 1; i < Rank; i++) shape.Add(_shape[i]);
        return Reshape([.. shape]);
    }

    /// <summary>Swaps two dims (copies into contiguous storage). Differentiable.</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        dim0 = Shapes.NormalizeDim(dim0, Rank, nameof(Transpose));
        dim1 = Shapes.NormalizeDim(dim1, Rank, nameof(Transpose));
        if (dim0 == dim1) return Reshape(_shape);
        var perm = new int[Rank];
        for (int i = 0; i < Rank; i++) perm[i] = i;
        (perm[dim0], perm[dim1]) = (perm[dim1], perm[dim0]);
        return Permute(perm);
    }

    /// <summary>The 2-D transpose, like <c>x.T</c>.</summary>
    public Tensor T => Rank == 2 ? Transpose(0, 1)
        : throw new InvalidOperationException($"T expects a 2-D tensor, got shape {Shapes.Format(_shape)}.");

    /// <summary>
    /// Reorders dims: output dim i is input dim <paramref name="dims"/>[i] (negative dims count from the end). Copies. Differentiable.
    /// </summary>
    public Tensor Permute(params int[] dims)
    {
        var perm = (int[])dims.Clone();  // normalised below; the caller's array stays as given
        if (perm.Length != Rank) throw new ArgumentException($"Permute: expected {Rank} dims, got {perm.Length}.");
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            perm[i] = Shapes.NormalizeDim(perm[i], Rank, nameof(Permute));
            if (seen[perm[i]]) throw new ArgumentException($"Permute: dim {perm[i]} appears twice in {Shapes.Format(perm)}.");
            seen[perm[i]] = true;
        }
        var outShape = new int[Rank];
        for (int i = 0; i < Rank; i++) outShape[i] = _shape[perm[i]];
        var inStrides = Shapes.BroadcastStrides(_shape, Rank);
        // Input strides are the contiguous strides even for size-1 dims (their stride never matters).
        var srcStrides = new int[Rank];
        for (int i = 0; i < Rank; i++) srcStrides[i] = inStrides[perm[i]];
        var result = _float is not null
            ? new Tensor(CopyStrided(FloatArray, outShape, srcStrides), outShape)
            : new Tensor(CopyStrided(_long!, outShape, srcStrides), outShape);
        if (_float is null) return result;
        var inverse = new int[Rank];
        for (int i = 0; i < Rank; i++) inverse[perm[i]] = i;
        return Record(result, "PermuteBackward", (g, _) => [g.Permute(inverse)], this);
    }

    /// <summary>Copies a strided view (given by per-output-dim source strides) into contiguous order.</summary>
    internal static T[] CopyStrided<T>(T[] src, int[] outShape, int[] srcStrides)
    {
        int n = Shapes.NumEl(outShape);
        var dst = new T[n];
        int rank = outShape.Length;
        if (n == 0) return dst;
        if (rank == 0) { dst[0] = src[0]; return dst; }
        var index = new int[rank];
        int inner = outShape[rank - 1], innerStride = srcStrides[rank - 1];
        int o = 0, s = 0;
        while (o < n)
        {
            for (int j = 0, sj = s; j < inner; j++, sj += innerStride) dst[o++] = src[sj];
            // Odometer over the outer dims.
            for (int d = rank - 2; d >= 0; d--)
            {
                index[d]++;
                s += srcStrides[d];
                if (index[d] < outShape[d]) break;
                s -= srcStrides[d] * outShape[d];
                index[d] = 0;
            }
        }
        return dst;
    }
}
