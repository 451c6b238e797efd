using Xent.Kernels;

namespace Xent.NN;

/// <summary>
/// Fused linear + cross-entropy loss for large vocabularies: holds the loss options and applies
/// <see cref="F.LinearCrossEntropy"/> to (hidden, head weight, target). Equivalent to
/// <c>new CrossEntropyLoss(...).Forward(F.Linear(hidden, w, b), target)</c> without the (N, V) logits.
/// </summary>
/// <example><code>
/// var lossFn = new LinearCrossEntropyLoss(ignoreIndex: -100, zLossScale: 1e-4f);
/// var loss = lossFn.Forward(hidden, lmHead.Weight, targets);
/// loss.Backward();
/// </code></example>
public sealed class LinearCrossEntropyLoss : Module
{
    /// <summary>Creates the loss; the arguments are those of <see cref="F.LinearCrossEntropy"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public LinearCrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean,
        float labelSmoothing = 0f, float zLossScale = 0f, float? softcap = null, LinearCrossEntropyOptions? options = null)
    {
        LossOptions.CheckLabelSmoothing(labelSmoothing);
        LossOptions.CheckZLossScale(zLossScale);
        if (softcap is float c) SoftcapKernel.ValidateCap(c);
        options?.ToChunking();
        Weight = weight;
        IgnoreIndex = ignoreIndex;
        Reduction = reduction;
        LabelSmoothing = labelSmoothing;
        ZLossScale = zLossScale;
        Softcap = softcap;
        Options = options;
    }

    /// <summary>(V) class weights, or null.</summary>
    public Tensor? Weight { get; }
    /// <summary>Target value whose rows are ignored.</summary>
    public long IgnoreIndex { get; }
    /// <summary>How per-row losses are combined.</summary>
    public Reduction Reduction { get; }
    /// <summary>Label smoothing ε.</summary>
    public float LabelSmoothing { get; }
    /// <summary>z-loss scale (0: none).</summary>
    public float ZLossScale { get; }
    /// <summary>Logit soft-cap, or null.</summary>
    public float? Softcap { get; }
    /// <summary>Tiling overrides, or null.</summary>
    public LinearCrossEntropyOptions? Options { get; }

    /// <summary>The loss of <c>hidden·linearWeightᵀ + linearBias</c> against <paramref name="target"/>.</summary>
    /// <param name="hidden">(N, D) hidden states.</param>
    /// <param name="linearWeight">(V, D) head weight.</param>
    /// <param name="target">(N) int64 class indices.</param>
    /// <param name="linearBias">(V) head bias, or null.</param>
    public Tensor Forward(Tensor hidden, Tensor linearWeight, Tensor target, Tensor? linearBias = null) =>
        F.LinearCrossEntropy(hidden, linearWeight, target, linearBias, Weight, IgnoreIndex, Reduction, LabelSmoothing, ZLossScale, Softcap,
            Options);
}
