using System.Numerics.Tensors;
using Xent.Kernels;

namespace Xent.Distributed;

/// <summary>
/// The tiles of <see cref="VocabParallel.LinearCrossEntropy"/> on one rank: logits of a row chunk against the rank's
/// vocabulary slice by <see cref="Gemm.Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float,
/// Span{float}, int)"/>, the row statistics reduced over the ranks, and the recomputed tiles of backward. Forward keeps, per row, the
/// global max and log Σ e^(y − max) (as the single-process fused kernel does) and the target's class weight.
/// </summary>
internal sealed class VocabParallelKernel(
    MpiWorld world, VocabParallelProblem p, float[] h, float[] w, float[] b, float[] cw, long[] t, ScratchMeter? meter)
{
    private float[] _max = [], _logSum = [], _targetWeight = [];
    private double _weightSum;

    private bool Ignored(int row) => t[row] == p.IgnoreIndex;

    private int Local(int row) => t[row] - p.Start is long c && c >= 0 && c < p.LocalV ? (int)c : -1;

    /// <summary>Fills <paramref name="rowLoss"/> (0 for ignored rows) and returns Σ loss and the mean's denominator Σ
    /// weight[t_i].</summary>
    public (double Total, double Denominator) Forward(Span<float> rowLoss)
    {
        for (int i = 0; i < p.N; i++)
            if (!Ignored(i) && (ulong)t[i] >= (ulong)p.V)
                throw new ArgumentOutOfRangeException("target", t[i], $"Target {t[i]} is out of bounds.");
        _weightSum = p.V;
        if (p.Weighted)
        {
            Span<double> s = [TensorPrimitives.Sum<float>(cw)];
            world.AllReduceSum(s);
            _weightSum = s[0];
        }
        int rc = p.RowChunk, v = p.LocalV;
        _max = new float[p.N];
        _logSum = new float[p.N];
        _targetWeight = new float[p.N];
        long saved = 3L * p.N * sizeof(float);
        long scratch = (long)rc * v * sizeof(float) + (long)v * sizeof(float) + rc * (sizeof(float) + 4 * sizeof(double));
        long reduce = MpiWorld.SumScratchBytes(4 * rc, sizeof(double), world.Size);
        meter?.Acquire(saved + scratch + reduce);
        var tile = new float[rc * v];
        var tmp = new float[v];
        var max = new float[rc];
        var stats = new double[4 * rc];
        double total = 0, denominator = 0;
        float eps = p.Eps, epsV = p.Eps / p.V;
        for (int i0 = 0; i0 < p.N; i0 += rc)
        {
            int r = Math.Min(rc, p.N - i0);
            Logits(i0, r, tile);
            for (int i = 0; i < r; i++)
                max[i] = Ignored(i0 + i) ? 0f : TensorPrimitives.Max<float>(tile.AsSpan(i * v, v));
            world.AllReduceMax(max.AsSpan(0, r));
            var se = stats.AsSpan(0, r);
            var yt = stats.AsSpan(r, r);
            var wt = stats.AsSpan(2 * r, r);
            var smooth = stats.AsSpan(3 * r, r);
            stats.AsSpan(0, 4 * r).Clear();
            for (int i = 0; i < r; i++)
            {
                if (Ignored(i0 + i)) continue;
                var row = tile.AsSpan(i * v, v);
                TensorPrimitives.Subtract(row, max[i], tmp);
                TensorPrimitives.Exp(tmp, tmp);
                se[i] = TensorPrimitives.Sum<float>(tmp);
                if (Local(i0 + i) is int c and >= 0)
                {
                    yt[i] = row[c];
                    wt[i] = p.Weighted ? cw[c] : 1f;
                }
                if (eps > 0f) smooth[i] = p.Weighted ? TensorPrimitives.Dot<float>(cw, row) : TensorPrimitives.Sum<float>(row);
            }
            world.AllReduceSum(stats.AsSpan(0, 4 * r));
            for (int i = 0; i < r; i++)
            {
                int row = i0 + i;
                if (Ignored(row)) continue;
                float logSum = MathF.Log((float)se[i]);
                double lse = (double)max[i] + logSum;
                double loss = (1 - eps) * wt[i] * (lse - yt[i]) + epsV * (_weightSum * lse - smooth[i]) + p.Z * lse * lse;
                _max[row] = max[i];
                _logSum[row] = logSum;
                _targetWeight[row] = (float)wt[i];
                rowLoss[row] = (float)loss;
                total += loss;
                denominator += wt[i];
            }
        }
        meter?.Release(scratch + reduce);
        return (total, denominator);
    }

    /// <summary>
    /// Given d loss / d loss_i (<paramref name="rowGrad"/>), writes the hidden states' gradient summed over ranks into
    /// <paramref name="gh"/> and this rank's weight and bias gradients into <paramref name="gw"/> and <paramref name="gb"/> (when not
    /// empty).
    /// </summary>
    public void Backward(ReadOnlySpan<float> rowGrad, Span<float> gh, Span<float> gw, Span<float> gb)
    {
        int rc = p.RowChunk, v = p.LocalV, d = p.D;
        long scratch = (long)rc * v * sizeof(float) + (long)v * sizeof(float);
        long reduce = MpiWorld.SumScratchBytes(p.N * d, sizeof(float), world.Size);
        meter?.Acquire(scratch + reduce);
        var tile = new float[rc * v];
        var tmp = new float[v];
        float eps = p.Eps, epsV = p.Eps / p.V;
        for (int i0 = 0; i0 < p.N; i0 += rc)
        {
            int r = Math.Min(rc, p.N - i0);
            Logits(i0, r, tile);
            for (int i = 0; i < r; i++)
            {
                int rowIndex = i0 + i;
                var row = tile.AsSpan(i * v, v);
                float s = rowGrad[rowIndex];
                if (Ignored(rowIndex) || s == 0f)
                {
                    row.Clear();
                    continue;
                }
                float lse = _max[rowIndex] + _logSum[rowIndex];
                float wt = _targetWeight[rowIndex];
                // dy_c = s·[((1−ε)·w_t + (ε/V)·Σw + 2z·lse)·p_c − (ε/V)·w_c − (1−ε)·w_t·[c = t]]
                float a = s * (float)((1 - eps) * wt + epsV * _weightSum + 2.0 * p.Z * lse);
                TensorPrimitives.Subtract(row, _max[rowIndex], tmp);
                TensorPrimitives.Subtract(tmp, _logSum[rowIndex], tmp);
                TensorPrimitives.Exp(tmp, tmp);
                TensorPrimitives.Multiply(tmp, a, tmp);
                if (eps > 0f)
                {
                    if (p.Weighted) TensorPrimitives.MultiplyAdd(cw, -s * epsV, tmp, tmp);
                    else TensorPrimitives.Subtract(tmp, s * epsV, tmp);
                }
                if (Local(rowIndex) is int c and >= 0) tmp[c] -= s * (1 - eps) * wt;
                if (p.Cap > 0f)
                {
                    // d cap·tanh(x/cap) / dx = 1 − (y/cap)², with y the capped logit in the tile.
                    for (int k = 0; k < v; k++)
                    {
                        float u = row[k] / p.Cap;
                        tmp[k] *= 1f - u * u;
                    }
                }
                tmp.CopyTo(row);
            }
            Gemm.Sgemm(false, false, r, d, v, 1f, tile, v, w, d, 0f, gh.Slice(i0 * d, r * d), d);
            if (!gw.IsEmpty) Gemm.Sgemm(true, false, v, d, r, 1f, tile, v, h.AsSpan(i0 * d, r * d), d, i0 == 0 ? 0f : 1f, gw, d);
            if (!gb.IsEmpty)
                for (int i = 0; i < r; i++) TensorPrimitives.Add(gb, tile.AsSpan(i * v, v), gb);
        }
        world.AllReduceSum(gh);
        meter?.Release(scratch + reduce + 3L * p.N * sizeof(float)); // the forward's saved rows die with the graph
    }

    /// <summary>Logits of rows [i0, i0 + r) against the rank's slice, biased and soft-capped, into <paramref name="tile"/> (r ×
    /// LocalV).</summary>
    private void Logits(int i0, int r, float[] tile)
    {
        int v = p.LocalV, d = p.D;
        var y = tile.AsSpan(0, r * v);
        Gemm.Sgemm(false, true, r, v, d, 1f, h.AsSpan(i0 * d, r * d), d, w, d, 0f, y, v);
        for (int i = 0; i < r; i++)
        {
            var row = y.Slice(i * v, v);
            if (b.Length > 0) TensorPrimitives.Add(row, b, row);
            if (p.Cap > 0f)
            {
                TensorPrimitives.Divide(row, p.Cap, row);
                TensorPrimitives.Tanh(row, row);
                TensorPrimitives.Multiply(row, p.Cap, row);
            }
        }
    }
}
