using System.Numerics.Tensors;

namespace Xent.Kernels;

/// <summary>Straightforward row-oriented matrix product used until the packed SGEMM is wired in.</summary>
internal static class MatMulFallback
{
    public static void Multiply(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c)
    {
        c[..(m * n)].Clear();
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                float av = transA ? a[p * m + i] : a[i * k + p];
                if (!transB) TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), av, row, row);
                else for (int j = 0; j < n; j++) row[j] += av * b[j * k + p];
            }
        }
    }
}
