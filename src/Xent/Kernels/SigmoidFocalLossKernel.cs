namespace Xent.Kernels;

/// <summary>
/// Element-wise sigmoid focal loss, torchvision 0.14's <c>torchvision.ops.sigmoid_focal_loss</c> (RetinaNet), over flat
/// spans of logits x and targets y (usually in [0, 1]; any finite y gives torchvision's loss and gradient, as
/// BinaryCrossEntropyWithLogits does). With s = σ(x), ce = max(x, 0) − x·y + log(1 + e^−|x|) (binary cross-entropy
/// with logits), q = 1 − p_t = s·(1 − y) + (1 − s)·y and α_t = α·y + (1 − α)·(1 − y) (1 when α &lt; 0):
/// <code>
/// loss    = α_t·ce·q^γ
/// dloss/dx = α_t·((s − y)·q^γ + γ·ce·q^(γ−1)·s·(1 − s)·(1 − 2y))
/// </code>
/// Each element is evaluated in float64 with s and 1 − s as σ(x) and σ(−x), so saturated logits keep q's digits (which
/// torchvision's float32 1 − p_t loses: its loss is exactly 0 where the true value is tiny) and γ &lt; 1 stays finite
/// where q → 0 (the second term's limit, 0, is used when q is 0 at a saturated logit, where torchvision's autograd gives
/// 0·∞ = NaN). A target outside [0, 1] can make q ≤ 0, where q^(γ−1) is evaluated as it stands (an integer γ gives a
/// number, any other γ NaN, as in torchvision). At x = ±∞ the loss and gradient are torchvision's, NaN included: loss
/// α_t·(1 − y)·∞·q^γ at +∞ and NaN at −∞; gradient α_t·(s − y) for γ = 0 and NaN for γ &gt; 0. Sums are float64 per fixed
/// chunk, in chunk order.
/// </summary>
internal static unsafe class SigmoidFocalLossKernel
{
    private const int ChunkElements = 16384;

    /// <summary>Writes the element-wise loss (when <paramref name="loss"/> is not empty) and returns Σ loss in float64.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">γ is negative or not finite, or α is NaN.</exception>
    public static double Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> target, float alpha, float gamma, Span<float> loss)
    {
        Check(input, target, alpha, gamma, loss.Length, allowEmpty: true);
        var parts = new double[KernelParallel.ChunkCount(input.Length, ChunkElements)];
        fixed (float* px = input, py = target, pl = loss)
        {
            PinnedSpan<float> x = new(px, input.Length), y = new(py, target.Length), l = new(pl, loss.Length);
            KernelParallel.ForChunks(input.Length, ChunkElements, 40, (chunk, i0, i1) =>
                parts[chunk] = ForwardRange(i0, i1, x, y, alpha, gamma, l));
        }
        return PartialSums.SumInOrder(parts);
    }

    /// <summary>Elements [i0, i1) of the loss (into <paramref name="loss"/> unless it is empty) and their sum.</summary>
    private static double ForwardRange(int i0, int i1, ReadOnlySpan<float> input, ReadOnlySpan<float> target, float alpha, float gamma,
        Span<float> loss)
    {
        double s = 0;
        for (int i = i0; i < i1; i++)
        {
            float v = (float)Element(input[i], target[i], alpha, gamma, out _);
            if (!loss.IsEmpty) loss[i] = v;
            s += v;
        }
        return s;
    }

    /// <summary>dloss/dx times g (one value per element in <paramref name="gradLoss"/>, or one for all).</summary>
    public static void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> target, float alpha, float gamma,
        ReadOnlySpan<float> gradLoss, Span<float> gradInput)
    {
        Check(input, target, alpha, gamma, gradInput.Length, allowEmpty: false);
        KernelArgs.OneOrLength(input.Length, gradLoss.Length, nameof(gradLoss));
        fixed (float* px = input, py = target, pg = gradLoss, pd = gradInput)
        {
            PinnedSpan<float> x = new(px, input.Length), y = new(py, target.Length);
            PinnedSpan<float> g = new(pg, gradLoss.Length), d = new(pd, gradInput.Length);
            KernelParallel.ForChunks(input.Length, ChunkElements, 40, (_, i0, i1) => BackwardRange(i0, i1, x, y, alpha, gamma, g, d));
        }
    }

    /// <summary>Elements [i0, i1) of the input gradient; <paramref name="gradLoss"/> has one value per element or one for all.</summary>
    private static void BackwardRange(int i0, int i1, ReadOnlySpan<float> input, ReadOnlySpan<float> target, float alpha, float gamma,
        ReadOnlySpan<float> gradLoss, Span<float> gradInput)
    {
        for (int i = i0; i < i1; i++)
        {
            Element(input[i], target[i], alpha, gamma, out double d);
            gradInput[i] = (float)((gradLoss.Length == 1 ? gradLoss[0] : gradLoss[i]) * d);
        }
    }

    /// <summary>The loss of one element and its derivative, in float64.</summary>
    private static double Element(float xf, float yf, float alpha, float gamma, out double grad)
    {
        double x = xf, y = yf;
        double e = Math.Exp(-Math.Abs(x));                           // in (0, 1]
        double s = x >= 0 ? 1 / (1 + e) : e / (1 + e);               // σ(x)
        double sm = x >= 0 ? e / (1 + e) : 1 / (1 + e);              // σ(−x) = 1 − σ(x), with its own digits
        double q = s * (1 - y) + sm * y;
        double at = alpha >= 0 ? alpha * y + (1 - alpha) * (1 - y) : 1;
        double qg = gamma == 0 ? 1 : Math.Pow(q, gamma);
        double ce, focus;
        if (double.IsInfinity(x))
        {
            // torchvision's arithmetic, as BinaryCrossEntropyWithLogits follows PyTorch's: its ce = (1 − y)·x + softplus(−x) is
            // (1 − y)·∞ at +∞ and ∞ − ∞ = NaN at −∞, and its focusing term multiplies that ce by σ'(x) = 0 (NaN for γ > 0).
            ce = x > 0 ? (1 - y) * x : double.NaN;
            focus = gamma == 0 ? 0 : double.NaN;
        }
        else
        {
            ce = Math.Max(x, 0) - x * y + (e < 1e-5 ? e * (1 - 0.5 * e) : Math.Log(1 + e));
            focus = gamma == 0 ? 0
                : q > 0 ? gamma * ce * qg / q * s * sm * (1 - 2 * y)
                : FocusAtNonPositiveQ(q, gamma, ce, s * sm * (1 - 2 * y));
        }
        grad = at * ((s - y) * qg + focus);
        return at * ce * qg;
    }

    /// <summary>
    /// γ·ce·q^(γ−1)·dq/dx where q ≤ 0 (or NaN). A target outside [0, 1] makes q negative, where q^γ is still defined for an
    /// integer γ, so q^(γ−1) is taken as it is (not qg / q, which is 0/0 at q = 0). q = 0 for a target in [0, 1] only at a
    /// saturated logit, where dq/dx = σ(x)·σ(−x)·(1 − 2y) is 0 too: the limit 0 is used there (q^(γ−1) may be ∞ for γ &lt; 1).
    /// </summary>
    private static double FocusAtNonPositiveQ(double q, float gamma, double ce, double dq) =>
        dq == 0 ? 0 : gamma * ce * Math.Pow(q, gamma - 1.0) * dq;

    private static void Check(ReadOnlySpan<float> input, ReadOnlySpan<float> target, float alpha, float gamma, int outLength,
        bool allowEmpty)
    {
        KernelArgs.SameLength(input.Length, target.Length, nameof(target));
        if (outLength != input.Length && !(allowEmpty && outLength == 0))
            throw new ArgumentException($"Expected the output to have {input.Length} elements but it has {outLength}.");
        LossOptions.CheckGamma(gamma);
        if (float.IsNaN(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha,
            "alpha must be a number (negative disables the weighting).");
    }
}
