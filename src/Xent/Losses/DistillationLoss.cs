namespace Xent.NN;

/// <summary>
/// Hinton et al.'s knowledge-distillation loss, T²·KL(softmax(teacher/T) ‖ softmax(student/T)) per sample:
/// <c>new DistillationLoss(temperature: 4).Forward(studentLogits, teacherLogits)</c>. A thin wrapper over <see cref="F.DistillationLoss"/>.
/// </summary>
/// <param name="temperature">T &gt; 0.</param>
public sealed class DistillationLoss(float temperature) : Module
{
    /// <summary>The softmax temperature T.</summary>
    public float Temperature { get; } = temperature;

    /// <summary>
    /// The loss of <paramref name="studentLogits"/> against the constant <paramref name="teacherLogits"/>; see
    /// <see cref="F.DistillationLoss"/>.
    /// </summary>
    public Tensor Forward(Tensor studentLogits, Tensor teacherLogits) => F.DistillationLoss(studentLogits, teacherLogits, Temperature);
}
