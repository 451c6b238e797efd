using System.Buffers;
using System.Runtime.CompilerServices;

namespace Xent.Kernels;

/// <summary>
/// Knowledge distillation (Hinton et al., 2015) over the rows of row-major (N, C) student logits s and teacher logits t
/// at temperature T: per row, with q = softmax(t/T) (the soft targets) and p = softmax(s/T),
/// <code>
/// kl_i = Σ_c q_c·(log q_c − log p_c)        (terms with q_c = 0 are 0)
/// loss = T²·Σ_i kl_i / N                    (KL with 'batchmean'; T² keeps the gradient's scale independent of T)
/// dloss/ds_c = (T / N)·(p_c − q_c)           (the teacher gets no gradient)
/// </code>
/// The kernel returns Σ_i kl_i and writes dx = gradScale·(p − q); the caller folds T²/N and T/N in. Both log-softmaxes
/// keep (x/T − m) − l apart, as the cross-entropy kernel does. Sums are float64 per row and per fixed chunk of rows,
/// combined in chunk order.
/// </summary>
internal static unsafe class DistillationKernel
{
    /// <summary>
    /// Σ_i kl_i over the rows; writes kl_i into <paramref name="rowLoss"/> and gradScale·(p − q) into
    /// <paramref name="gradStudent"/> when they are not empty (both passes share the row's softmaxes).
    /// </summary>
    /// <exception cref="ArgumentException">Lengths disagree.</exception>
    /// <exception cref="ArgumentOutOfRangeException">T is not finite and positive.</exception>
    public static double Forward(ReadOnlySpan<float> student, ReadOnlySpan<float> teacher, int classes, float temperature,
        Span<float> rowLoss, float gradScale, Span<float> gradStudent)
    {
        int rows = Check(student, teacher, classes, temperature, rowLoss.Length, gradStudent.Length);
        int rpc = SoftmaxKernel.RowsPerChunk(classes);
        var parts = new double[KernelParallel.ChunkCount(rows, rpc)];
        fixed (float* ps = student, pt = teacher, pl = rowLoss, pd = gradStudent)
        {
            PinnedSpan<float> s = new(ps, student.Length), t = new(pt, teacher.Length);
            PinnedSpan<float> loss = new(pl, rowLoss.Length), grad = new(pd, gradStudent.Length);
            KernelParallel.ForChunks(rows, rpc, 3L * classes, (chunk, r0, r1) =>
                parts[chunk] = ForwardRows(r0, r1, s, t, classes, temperature, loss, gradScale, grad));
        }
        return PartialSums.SumInOrder(parts);
    }

    /// <summary>Rows [r0, r1) of <see cref="Forward"/>: Σ kl_i over them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ForwardRows(int r0, int r1, ReadOnlySpan<float> student, ReadOnlySpan<float> teacher, int classes,
        float temperature, Span<float> rowLoss, float gradScale, Span<float> gradStudent)
    {
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * classes);
        var a = scratch.AsSpan(0, classes);
        var b = scratch.AsSpan(classes, classes);
        double sum = 0;
        for (int r = r0; r < r1; r++)
        {
            int o = r * classes;
            Divide(student.Slice(o, classes), temperature, a);
            Divide(teacher.Slice(o, classes), temperature, b);
            float ms = VectorMath.MaxLogSumExp(a, out float ls);
            float mt = VectorMath.MaxLogSumExp(b, out float lt);
            double kl = 0;
            for (int c = 0; c < classes; c++)
            {
                float lq = b[c] - mt - lt, lp = a[c] - ms - ls;
                float q = VectorMath.Exp(lq);
                if (q > 0f) kl += (double)q * ((double)lq - lp);
                if (!gradStudent.IsEmpty) gradStudent[o + c] = gradScale * (VectorMath.Exp(lp) - q);
            }
            if (!rowLoss.IsEmpty) rowLoss[r] = (float)kl;
            sum += kl;
        }
        ArrayPool<float>.Shared.Return(scratch);
        return sum;
    }

    /// <summary>Scalar, single-threaded reference for <see cref="Forward"/> (two passes per softmax, <see cref="MathF.Exp"/>).</summary>
    internal static double ForwardScalar(ReadOnlySpan<float> student, ReadOnlySpan<float> teacher, int classes, float temperature,
        Span<float> rowLoss, float gradScale, Span<float> gradStudent)
    {
        int rows = Check(student, teacher, classes, temperature, rowLoss.Length, gradStudent.Length);
        var a = new float[classes];
        var b = new float[classes];
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            int o = r * classes;
            for (int c = 0; c < classes; c++) { a[c] = student[o + c] / temperature; b[c] = teacher[o + c] / temperature; }
            float ms = a.Max(), mt = b.Max(), ss = 0f, st = 0f;
            for (int c = 0; c < classes; c++) { ss += MathF.Exp(a[c] - ms); st += MathF.Exp(b[c] - mt); }
            float ls = MathF.Log(ss), lt = MathF.Log(st);
            double kl = 0;
            for (int c = 0; c < classes; c++)
            {
                float lq = b[c] - mt - lt, lp = a[c] - ms - ls;
                float q = MathF.Exp(lq);
                if (q > 0f) kl += (double)q * ((double)lq - lp);
                if (!gradStudent.IsEmpty) gradStudent[o + c] = gradScale * (MathF.Exp(lp) - q);
            }
            if (!rowLoss.IsEmpty) rowLoss[r] = (float)kl;
            total += kl;
        }
        return total;
    }

    private static void Divide(ReadOnlySpan<float> x, float t, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] / t;
    }

    private static int Check(ReadOnlySpan<float> student, ReadOnlySpan<float> teacher, int classes, float temperature, int lossLength,
        int gradLength)
    {
        int rows = KernelArgs.Rows(student.Length, classes, nameof(student));
        KernelArgs.SameLength(student.Length, teacher.Length, nameof(teacher));
        if (lossLength != 0) KernelArgs.SameLength(rows, lossLength, "rowLoss");
        if (gradLength != 0) KernelArgs.SameLength(student.Length, gradLength, "gradStudent");
        LossOptions.CheckTemperature(temperature);
        return rows;
    }
}
