namespace Xent.NN;

/// <summary>
/// Cross-entropy between logits and class indices or class probabilities, PyTorch's <c>nn.CrossEntropyLoss</c>:
/// <c>new CrossEntropyLoss(weight: w, labelSmoothing: 0.1f).Forward(logits, target)</c>. A thin wrapper over
/// <see cref="F.CrossEntropy"/>, whose documentation gives the shapes, reductions and PyTorch's quirks.
/// </summary>
/// <param name="weight">Optional (C) rescaling weight per class.</param>
/// <param name="ignoreIndex">A class-index target value that does not contribute (default −100).</param>
/// <param name="reduction">None, Mean (default) or Sum.</param>
/// <param name="labelSmoothing">ε in [0, 1] (default 0).</param>
/// <param name="zLossScale">PaLM's z-loss: adds scale·logsumexp² per non-ignored element (default 0: off).</param>
/// <param name="softcap">Gemma 2's logit soft-capping cap·tanh(x/cap) before the softmax (default null: off).</param>
public sealed class CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean,
    float labelSmoothing = 0f,
    float zLossScale = 0f, float? softcap = null) : Module
{
    /// <summary>The (C) class weight, or null.</summary>
    public Tensor? Weight { get; } = weight;

    /// <summary>The ignored target value.</summary>
    public long IgnoreIndex { get; } = ignoreIndex;

    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The label smoothing ε.</summary>
    public float LabelSmoothing { get; } = labelSmoothing;

    /// <summary>The z-loss scale (0: off).</summary>
    public float ZLossScale { get; } = zLossScale;

    /// <summary>The logit soft-cap, or null.</summary>
    public float? Softcap { get; } = softcap;

    /// <summary>The loss of <paramref name="input"/> logits against <paramref name="target"/>; see <see cref="F.CrossEntropy"/>.</summary>
    public Tensor Forward(Tensor input, Tensor target) =>
        F.CrossEntropy(input, target, Weight, IgnoreIndex, Reduction, LabelSmoothing, ZLossScale, Softcap);
}
