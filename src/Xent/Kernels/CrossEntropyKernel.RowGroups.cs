using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Kernels;

internal static unsafe partial class CrossEntropyKernel
{
    /// <summary>Rows handled together by the fused step for few classes: one row per 512-bit lane.</summary>
    internal const int GroupRows = 16;

    /// <summary>Largest C the row-group step takes; wider rows amortise their per-row work themselves.</summary>
    internal const int GroupMaxClasses = 16;

    /// <summary>
    /// Work estimate per row for <see cref="KernelParallel.ForChunks(int, int, long, Action{int, int, int})"/>: a row of the
    /// group path costs about 8 element-operations per class (two gathers, an exp, the gradient), so 8192 rows of 10
    /// classes (~110 µs on one Zen 4 core) are split over two threads, while a few hundred rows stay on the caller.
    /// </summary>
    internal static long GroupWorkPerRow(int classes) => 8L * classes;

    /// <summary>Whether <see cref="ForwardBackward"/> runs rows of <paramref name="classes"/> in groups of 16 on this machine.</summary>
    internal static bool UsesRowGroups(int classes) => Avx512F.IsSupported && Avx2.IsSupported && classes <= GroupMaxClasses;

    /// <summary>
    /// The fused forward + backward over rows [r0, r1) of few classes, 16 rows at a time with one row per
    /// vector lane: the group's 16·C values are gathered into C columns (lane r: row r's value), so a row's max,
    /// sum, log, loss and gradient are all lane-wise operations (no horizontal reductions, one exp per value, one
    /// log per 16 rows); the gradient columns are then gathered back into row-major order. The formulas are the
    /// general path's. A last group of fewer than 16 rows runs through padded copies (padding rows are ignored
    /// rows), so no lane reads or writes past the caller's arrays.
    /// </summary>
    /// <returns>Σ loss and Σ w[t_i] of the rows, in float64, summed per lane in row order then over lanes.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Loss, double Weight) RowGroupsChunk(float* x, long* t, float* dx, float* loss, int classes,
        float* w, long ignoreIndex, float eps, float wSum, float g, int r0, int r1)
    {
        int c = classes;
        // Row-major vector k of a group, lane j, is element 16k + j = (row i, class q); it sits at q·16 + i in the columns.
        var fromCols = stackalloc Vector512<int>[c];
        var idx = stackalloc int[GroupRows];
        for (int k = 0; k < c; k++)
        {
            for (int j = 0; j < GroupRows; j++)
            {
                int at = k * GroupRows + j;
                idx[j] = at % c * GroupRows + at / c;
            }
            fromCols[k] = Vector512.Load(idx);
        }
        var cols = stackalloc Vector512<float>[c];
        var accLoss = Vector512<double>.Zero;
        var accWeight = Vector512<double>.Zero;
        var gs = new GroupScalars(c, w, ignoreIndex, eps, wSum, g);
        int r = r0;
        for (; r + GroupRows <= r1; r += GroupRows)
        {
            var (li, wt) = RowGroup(x + (long)r * c, t + r, dx + (long)r * c, fromCols, cols, in gs);
            if (loss != null) li.Store(loss + r);
            Accumulate(li, wt, ref accLoss, ref accWeight);
        }
        if (r < r1)
        {
            // The ragged end: padded copies, padding rows ignored.
            int n = r1 - r;
            var px = stackalloc float[GroupRows * c];
            var pdx = stackalloc float[GroupRows * c];
            var pt = stackalloc long[GroupRows];
            new Span<float>(px, GroupRows * c).Clear();
            new Span<long>(pt, GroupRows).Fill(ignoreIndex);
            new ReadOnlySpan<float>(x + (long)r * c, n * c).CopyTo(new Span<float>(px, n * c));
            new ReadOnlySpan<long>(t + r, n).CopyTo(new Span<long>(pt, n));
            var (li, wt) = RowGroup(px, pt, pdx, fromCols, cols, in gs);
            new ReadOnlySpan<float>(pdx, n * c).CopyTo(new Span<float>(dx + (long)r * c, n * c));
            if (loss != null) for (int i = 0; i < n; i++) loss[r + i] = li[i];
            Accumulate(li, wt, ref accLoss, ref accWeight);
        }
        return (Vector512.Sum(accLoss), Vector512.Sum(accWeight));
    }

    /// <summary>p[index] for 16 lanes, as two 8-lane gathers (.NET has no 512-bit gather).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Gather(float* p, Vector512<int> index) =>
        Vector512.Create(Avx2.GatherVector256(p, index.GetLower(), sizeof(float)),
            Avx2.GatherVector256(p, index.GetUpper(), sizeof(float)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(Vector512<float> li, Vector512<float> wt, ref Vector512<double> accLoss, ref Vector512<double> accWeight)
    {
        accLoss += Vector512.WidenLower(li) + Vector512.WidenUpper(li);
        accWeight += Vector512.WidenLower(wt) + Vector512.WidenUpper(wt);
    }

    /// <summary>The per-call constants of <see cref="RowGroup"/>.</summary>
    private readonly struct GroupScalars(int classes, float* w, long ignoreIndex, float eps, float wSum, float g)
    {
        public readonly int Classes = classes;
        public readonly float* W = w;
        public readonly long IgnoreIndex = ignoreIndex;
        public readonly float Eps = eps, WSum = wSum, G = g;
    }

    /// <summary>
    /// One group of 16 rows at <paramref name="x"/>: writes the 16·C gradient values at <paramref name="dx"/> and
    /// returns each row's loss and mean weight (0 for an ignored row). <paramref name="cols"/> is scratch for C vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Loss, Vector512<float> Weight) RowGroup(float* x, long* t, float* dx,
        Vector512<int>* fromCols, Vector512<float>* cols, in GroupScalars s)
    {
        int c = s.Classes;
        float eps = s.Eps;
        var rowBase = Vector512<int>.Indices * Vector512.Create(c); // offset of each lane's row in the group

        // Targets: ignored rows are masked off and read class 0, so every gather stays inside its row.
        var ignore = Vector512.Create(s.IgnoreIndex);
        var valid = Vector512.Narrow(~Vector512.Equals(Vector512.Load(t), ignore), ~Vector512.Equals(Vector512.Load(t + 8), ignore));
        var target = Vector512.Narrow(Vector512.Load(t), Vector512.Load(t + 8)) & valid;

        // The C columns, the row max, and the row sums of e^(x − m), the columns becoming e^(x − m).
        var m = Vector512.Create(float.NegativeInfinity);
        for (int j = 0; j < c; j++)
        {
            var col = Gather(x + j, rowBase);
            cols[j] = col;
            m = Vector512.MaxNative(m, col);
        }
        var sw = Vector512<float>.Zero;
        var sum = Vector512<float>.Zero;
        for (int j = 0; j < c; j++)
        {
            var d = cols[j] - m;
            if (eps > 0f) sw += s.W != null ? d * Vector512.Create(s.W[j]) : d;
            var e = VectorMath.Exp(d);
            cols[j] = e;
            sum += e;
        }
        var logSum = VectorMath.Log(sum);

        // Loss, as RowLoss: w_t·−((x_t − m) − l), smoothed with −(Σ w_c·(x_c − m) − W·l).
        var xt = Gather(x, rowBase + target);
        var wt = (s.W != null ? Gather(s.W, target) : Vector512<float>.One) & valid.AsSingle();
        var li = wt * -(xt - m - logSum);
        if (eps > 0f)
        {
            var smooth = -(sw - Vector512.Create(s.WSum) * logSum);
            li = Vector512.Create(1f - eps) * li + Vector512.Create(eps / c) * smooth;
        }
        li &= valid.AsSingle();

        // dx = a·e − b·w_c − g·(1 − ε)·w_t·onehot(t), a = g·((1 − ε)·w_t + ε/C·W)/s, zero on ignored rows; computed
        // in the columns, then gathered back into the C row-major vectors.
        var g = Vector512.Create(s.G);
        var a = g * (Vector512.Create(1f - eps) * wt + Vector512.Create(eps / c * s.WSum)) / sum;
        var hit = g * (Vector512.Create(1f - eps) * wt);
        float b = s.G * (eps / c);
        bool anyIgnored = !Vector512.EqualsAll(valid, Vector512<int>.AllBitsSet);
        for (int j = 0; j < c; j++)
        {
            var d = a * cols[j];
            if (eps > 0f) d -= Vector512.Create(s.W != null ? b * s.W[j] : b);
            d = Vector512.ConditionalSelect(Vector512.Equals(target, Vector512.Create(j)).AsSingle(), d - hit, d);
            if (anyIgnored) d &= valid.AsSingle();
            cols[j] = d;
        }
        for (int k = 0; k < c; k++) Gather((float*)cols, fromCols[k]).Store(dx + k * GroupRows);
        return (li, wt);
    }
}
