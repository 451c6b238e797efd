namespace Xent;

public partial class Tensor
{
    /// <summary>
    /// Matrix product: (m, k)·(k, n) → (m, n), or batched (b, m, k)·(b, k, n) → (b, m, n). Differentiable.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        RequireFloat(nameof(MatMul));
        other.RequireFloat(nameof(MatMul));
        bool batched = Rank == 3 && other.Rank == 3;
        if (!(Rank == 2 && other.Rank == 2) && !batched)
            throw new ArgumentException($"MatMul expects two 2-D or two 3-D tensors, got shapes {Shapes.Format(_shape)} and " +
                $"{Shapes.Format(other._shape)}.");
        int b = batched ? _shape[0] : 1;
        if (batched && other._shape[0] != b)
            throw new ArgumentException($"MatMul: batch sizes differ: {Shapes.Format(_shape)} and {Shapes.Format(other._shape)}.");
        int m = _shape[Rank - 2], k = _shape[Rank - 1], k2 = other._shape[Rank - 2], n = other._shape[Rank - 1];
        if (k != k2)
            throw new ArgumentException($"mat1 and mat2 shapes cannot be multiplied ({m}x{k} and {k2}x{n}): shapes " +
                $"{Shapes.Format(_shape)} and {Shapes.Format(other._shape)}.");
        int[] outShape = batched ? [b, m, n] : [m, n];
        var dst = GC.AllocateUninitializedArray<float>(Shapes.NumEl(outShape));  // the GEMM (beta 0) writes every element
        for (int i = 0; i < b; i++)
            MatMulKernel(false, false, m, n, k, FloatArray.AsSpan(i * m * k, m * k), other.FloatArray.AsSpan(i * k * n, k * n),
                dst.AsSpan(i * m * n, m * n));
        var result = new Tensor(dst, outShape);
        var a = this;
        return Record(result, "MmBackward", (g, ctx) =>
        {
            // dA = dC·Bᵀ, dB = Aᵀ·dC, each only when its input needs it.
            var gf = g.FloatArray;
            float[]? ga = a.RequiresGrad ? GC.AllocateUninitializedArray<float>(b * m * k) : null;
            float[]? gb = other.RequiresGrad ? GC.AllocateUninitializedArray<float>(b * k * n) : null;
            for (int i = 0; i < b; i++)
            {
                if (ga is not null)
                    MatMulKernel(false, true, m, k, n, gf.AsSpan(i * m * n, m * n), other.FloatArray.AsSpan(i * k * n, k * n),
                        ga.AsSpan(i * m * k, m * k));
                if (gb is not null)
                    MatMulKernel(true, false, k, n, m, a.FloatArray.AsSpan(i * m * k, m * k), gf.AsSpan(i * m * n, m * n),
                        gb.AsSpan(i * k * n, k * n));
            }
            return [ga is null ? null : ctx.Adopt(ga, a._shape), gb is null ? null : ctx.Adopt(gb, other._shape)];
        }, this, other);
    }

    /// <summary>C = op(A)·op(B) for row-major dense operands (C overwritten).</summary>
    internal static void MatMulKernel(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b,
        Span<float> c) =>
        Kernels.Gemm.Sgemm(transA, transB, m, n, k, 1f, a, transA ? m : k, b, transB ? k : n, 0f, c, n);
}
