using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// The knowledge-distillation loss of Hinton et al. (2015): T²·KL(softmax(teacher/T) ‖ softmax(student/T)) averaged
    /// over the batch, i.e. <c>T*T * kl_div(log_softmax(s/T, 1), softmax(t/T, 1), reduction='batchmean')</c> in PyTorch.
    /// The T² factor keeps the gradient's size independent of T, so it mixes with a hard-label cross-entropy at any T.
    /// </summary>
    /// <remarks>
    /// <para>Both inputs are (N, C) logits. Classes the teacher gives probability 0 contribute 0. The gradient
    /// (T/N)·(softmax(s/T) − softmax(t/T)) flows to <paramref name="studentLogits"/> only: the teacher is a constant
    /// (as if detached), whether or not it requires grad. One autograd node.</para>
    /// </remarks>
    /// <param name="studentLogits">(N, C) logits of the model being trained.</param>
    /// <param name="teacherLogits">(N, C) logits of the teacher.</param>
    /// <param name="temperature">T &gt; 0; T &gt; 1 softens both distributions.</param>
    /// <returns>A 0-d loss.</returns>
    /// <exception cref="ArgumentException"><paramref name="studentLogits"/> is not (N, C), or
    /// <paramref name="teacherLogits"/> has another shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not finite and positive.</exception>
    /// <exception cref="InvalidOperationException">Either input is int64, not float32.</exception>
    public static Tensor DistillationLoss(Tensor studentLogits, Tensor teacherLogits, float temperature)
    {
        studentLogits.RequireFloat(nameof(DistillationLoss));
        teacherLogits.RequireFloat(nameof(DistillationLoss));
        if (studentLogits.Rank != 2)
            throw new ArgumentException("DistillationLoss: expected (N, C) student logits but got shape " +
                $"{Shapes.Format(studentLogits.ShapeSpan)}.", nameof(studentLogits));
        if (!Shapes.Equal(studentLogits.ShapeSpan, teacherLogits.ShapeSpan))
            throw new ArgumentException($"DistillationLoss: the teacher's logits {Shapes.Format(teacherLogits.ShapeSpan)} must have the " +
                $"student's shape {Shapes.Format(studentLogits.ShapeSpan)}.", nameof(teacherLogits));
        LossOptions.CheckTemperature(temperature);
        int n = studentLogits.Shape[0], classes = studentLogits.Shape[1];
        var s = studentLogits.FloatArray;
        var t = teacherLogits.FloatArray;
        var shape = studentLogits.Shape;
        bool needGrad = Autograd.GradMode.IsEnabled && studentLogits.RequiresGrad;
        var grad = needGrad ? GC.AllocateUninitializedArray<float>(s.Length) : [];
        double tt = (double)temperature * temperature;
        // The gradient of the loss itself, (T/N)·(p − q), comes out of the same pass; backward scales it.
        double sum = n == 0 || classes == 0 ? 0
            : DistillationKernel.Forward(s, t, classes, temperature, default, (float)(temperature / (double)n), grad);
        var result = Tensor.Scalar((float)(tt * sum / n));
        // As cross-entropy: the saved gradient is handed over (scaled in place) on the node's last use. (N, C) rows: no layout change.
        return Tensor.Record(result, "DistillationLossBackward",
            (g, ctx) => [SavedGradient(grad, g.Item(), ctx, shape)], studentLogits);
    }
}
