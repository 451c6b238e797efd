namespace Xent.Kernels;

/// <summary>
/// Softmax and log-softmax over the rows of a row-major (N, C) matrix, forward and backward.
/// Rows are independent, so results do not depend on the thread count.
/// <list type="bullet">
/// <item>log_softmax: y = (x − m) − log Σ e^(x − m), m = row max; dx = dy − e^y · Σ dy.</item>
/// <item>softmax: y = e^(x − m) / Σ e^(x − m); dx = y · (dy − Σ dy·y).</item>
/// </list>
/// A row of all −inf gives NaN (as PyTorch); NaN or +inf in a row makes that row NaN.
/// </summary>
internal static unsafe class SoftmaxKernel
{
    /// <summary>Elements per parallel chunk; chunks are whole rows.</summary>
    internal const int ChunkElements = 16384;

    /// <summary>Rows per parallel chunk for rows of <paramref name="classes"/> (depends only on C).</summary>
    internal static int RowsPerChunk(int classes) => Math.Max(1, ChunkElements / Math.Max(1, classes));

    /// <summary>y = log_softmax(x) row-wise. <paramref name="y"/> may be <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Lengths do not match or are not a multiple of <paramref name="classes"/>.</exception>
    public static void LogSoftmax(ReadOnlySpan<float> x, int classes, Span<float> y)
    {
        int rows = CheckForward(x, classes, y);
        fixed (float* px = x, py = y)
        {
            PinnedSpan<float> xs = new(px, x.Length), ys = new(py, y.Length);
            KernelParallel.ForChunks(rows, RowsPerChunk(classes), (_, r0, r1) => LogSoftmaxRows(r0, r1, xs, classes, ys));
        }
    }

    private static void LogSoftmaxRows(int r0, int r1, ReadOnlySpan<float> x, int classes, Span<float> y)
    {
        for (int r = r0; r < r1; r++)
        {
            var xr = x.Slice(r * classes, classes);
            float m = VectorMath.MaxLogSumExp(xr, out float logSum);
            VectorMath.SubScalar(xr, m, logSum, y.Slice(r * classes, classes));
        }
    }

    /// <summary>Scalar reference for <see cref="LogSoftmax"/>: two passes in float with <see cref="MathF.Exp"/>.</summary>
    internal static void LogSoftmaxScalar(ReadOnlySpan<float> x, int classes, Span<float> y)
    {
        int rows = CheckForward(x, classes, y);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * classes, classes);
            var yr = y.Slice(r * classes, classes);
            float m = float.NegativeInfinity;
            foreach (float v in xr) m = MathF.Max(m, v);
            float s = 0f;
            foreach (float v in xr) s += MathF.Exp(v - m);
            float logSum = MathF.Log(s);
            for (int c = 0; c < classes; c++) yr[c] = xr[c] - m - logSum;
        }
    }

    /// <summary>dx = dy − e^y · Σ dy row-wise, where y is log_softmax's output.</summary>
    public static void LogSoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int classes, Span<float> dx)
    {
        int rows = CheckBackward(y, dy, classes, dx);
        fixed (float* py = y, pdy = dy, pdx = dx)
        {
            PinnedSpan<float> ys = new(py, y.Length), dys = new(pdy, dy.Length), dxs = new(pdx, dx.Length);
            KernelParallel.ForChunks(rows, RowsPerChunk(classes), (_, r0, r1) => LogSoftmaxBackwardRows(r0, r1, ys, dys, classes, dxs));
        }
    }

    private static void LogSoftmaxBackwardRows(int r0, int r1, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int classes, Span<float> dx)
    {
        for (int r = r0; r < r1; r++)
        {
            var dyr = dy.Slice(r * classes, classes);
            float s = VectorMath.Sum(dyr);
            // −s·e^y − (−1)·dy
            VectorMath.ExpAffine(y.Slice(r * classes, classes), 0f, 0f, -s, -1f, dyr, dx.Slice(r * classes, classes));
        }
    }

    /// <summary>Scalar reference for <see cref="LogSoftmaxBackward"/>.</summary>
    internal static void LogSoftmaxBackwardScalar(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int classes, Span<float> dx)
    {
        int rows = CheckBackward(y, dy, classes, dx);
        for (int r = 0; r < rows; r++)
        {
            int o = r * classes;
            float s = 0f;
            for (int c = 0; c < classes; c++) s += dy[o + c];
            for (int c = 0; c < classes; c++) dx[o + c] = dy[o + c] - MathF.Exp(y[o + c]) * s;
        }
    }

    /// <summary>y = softmax(x) row-wise. <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public static void Softmax(ReadOnlySpan<float> x, int classes, Span<float> y)
    {
        int rows = CheckForward(x, classes, y);
        fixed (float* px = x, py = y)
        {
            PinnedSpan<float> xs = new(px, x.Length), ys = new(py, y.Length);
            KernelParallel.ForChunks(rows, RowsPerChunk(classes), (_, r0, r1) => SoftmaxRows(r0, r1, xs, classes, ys));
        }
    }

    private static void SoftmaxRows(int r0, int r1, ReadOnlySpan<float> x, int classes, Span<float> y)
    {
        for (int r = r0; r < r1; r++)
        {
            var xr = x.Slice(r * classes, classes);
            var yr = y.Slice(r * classes, classes);
            float m = VectorMath.Max(xr);
            float s = VectorMath.ExpStoreSum(xr, m, yr);
            VectorMath.ScaleSub(yr, 1f / s, 0f, default);
        }
    }

    /// <summary>Scalar reference for <see cref="Softmax"/>.</summary>
    internal static void SoftmaxScalar(ReadOnlySpan<float> x, int classes, Span<float> y)
    {
        int rows = CheckForward(x, classes, y);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * classes, classes);
            var yr = y.Slice(r * classes, classes);
            float m = float.NegativeInfinity;
            foreach (float v in xr) m = MathF.Max(m, v);
            float s = 0f;
            for (int c = 0; c < classes; c++) s += yr[c] = MathF.Exp(xr[c] - m);
            for (int c = 0; c < classes; c++) yr[c] /= s;
        }
    }

    /// <summary>dx = y · (dy − Σ dy·y) row-wise, where y is softmax's output.</summary>
    public static void SoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int classes, Span<float> dx)
    {
        int rows = CheckBackward(y, dy, classes, dx);
        fixed (float* py = y, pdy = dy, pdx = dx)
        {
            PinnedSpan<float> ys = new(py, y.Length), dys = new(pdy, dy.Length), dxs = new(pdx, dx.Length);
            KernelParallel.ForChunks(rows, RowsPerChunk(classes), (_, r0, r1) => SoftmaxBackwardRows(r0, r1, ys, dys, classes, dxs));
        }
    }

    private static void SoftmaxBackwardRows(int r0, int r1, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int classes, Span<float> dx)
    {
        for (int r = r0; r < r1; r++)
        {
            var yr = y.Slice(r * classes, classes);
            var dyr = dy.Slice(r * classes, classes);
            VectorMath.MulShifted(yr, dyr, VectorMath.Dot(dyr, yr), dx.Slice(r * classes, classes));
        }
    }

    /// <summary>Scalar reference for <see cref="SoftmaxBackward"/>.</summary>
    internal static void SoftmaxBackwardScalar(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int classes, Span<float> dx)
    {
        int rows = CheckBackward(y, dy, classes, dx);
        for (int r = 0; r < rows; r++)
        {
            int o = r * classes;
            float d = 0f;
            for (int c = 0; c < classes; c++) d += dy[o + c] * y[o + c];
            for (int c = 0; c < classes; c++) dx[o + c] = y[o + c] * (dy[o + c] - d);
        }
    }

    /// <summary>The row count of (N, C) <paramref name="x"/>, with <paramref name="y"/> as long: every forward's checks.</summary>
    private static int CheckForward(ReadOnlySpan<float> x, int classes, Span<float> y)
    {
        int rows = KernelArgs.Rows(x.Length, classes, nameof(x));
        KernelArgs.SameLength(x.Length, y.Length, nameof(y));
        return rows;
    }

    /// <summary>The row count of (N, C) <paramref name="y"/>, with <paramref name="dy"/> and <paramref name="dx"/> as long.</summary>
    private static int CheckBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int classes, Span<float> dx)
    {
        int rows = KernelArgs.Rows(y.Length, classes, nameof(y));
        KernelArgs.SameLength(y.Length, dy.Length, nameof(dy));
        KernelArgs.SameLength(y.Length, dx.Length, nameof(dx));
        return rows;
    }
}
