using Xent.Diagnostics;
using Xent.Kernels;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// Negative log-likelihood of class-index targets under log-probabilities, exactly
    /// <c>torch.nn.functional.nll_loss</c> (PyTorch 1.13): loss_i = −weight[t_i]·input[i, t_i].
    /// <c>NllLoss(LogSoftmax(x, 1), t)</c> equals <c>CrossEntropy(x, t)</c>.
    /// </summary>
    /// <remarks>
    /// <para><b>Shapes.</b> <paramref name="input"/> is (C) with a 0-d target, (N, C) with target (N), or
    /// (N, C, d1, …, dk) with target (N, d1, …, dk). Any float works, as in PyTorch, and the loss is computed from it as
    /// given.</para>
    /// <para><b>Diagnostics.</b> Log-probabilities are ≤ 0: when the first rows of <paramref name="input"/> hold a value above 0
    /// (beyond 1e-4, room for rounding), it warns once through <see cref="Warnings"/> that the log was probably forgotten
    /// (probabilities or logits passed where <c>nll_loss</c> wants their log-softmax); the loss is then negative or meaningless,
    /// and PyTorch returns it silently.</para>
    /// <para><b>Reductions.</b> None returns the target's shape with 0 where the target equals
    /// <paramref name="ignoreIndex"/>; Sum sums; Mean divides by Σ weight[t_i] over the non-ignored targets (their
    /// count without weights). When every target is ignored, Mean is NaN (0/0) as in PyTorch, and the gradient is 0.</para>
    /// <para>One autograd node; the gradient is −weight[t_i]·g_i at each target position and 0 elsewhere (input only).</para>
    /// </remarks>
    /// <param name="input">Log-probabilities, float32.</param>
    /// <param name="target">Class indices, int64.</param>
    /// <param name="weight">Optional (C) rescaling weight per class.</param>
    /// <param name="ignoreIndex">A target value that does not contribute; may be a valid class.</param>
    /// <param name="reduction">None, Mean (default) or Sum.</param>
    /// <exception cref="ArgumentOutOfRangeException">A target is neither in [0, C) nor <paramref name="ignoreIndex"/> ("Target 12 is out of
    /// bounds.").</exception>
    /// <exception cref="ArgumentException">The target is not int64, shapes do not match, or the weight is not (C) or requires
    /// grad while grad mode is on (PyTorch's message: it is not differentiable).</exception>
    /// <exception cref="InvalidOperationException"><paramref name="input"/> or <paramref name="weight"/> is int64, not
    /// float32.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
        Reduction reduction = Reduction.Mean)
    {
        input.RequireFloat(nameof(NllLoss));
        LossOptions.CheckReduction(reduction);
        if (input.Rank < 1) throw new ArgumentException($"Expected 1 or more dimensions (got {input.Rank}).", nameof(input));
        var (outer, classes, inner) = Shapes.Split(input.ShapeSpan, input.Rank == 1 ? 0 : 1);
        RequireClasses(input, classes, input.Rank == 1 ? 0 : 1, "nll_loss");
        var w = CheckClassWeight(weight, classes, "nll_loss");
        CheckIndexTargetShape(input, target, nameof(NllLoss));
        CrossEntropyKernel.ValidateTargets(target.LongArray, classes, ignoreIndex); // no kernel reads them here

        var x = input.FloatArray;
        WarnIfNotLogProbabilities(x, classes);
        var targets = target.LongArray;
        int rows = outer * inner;
        // Flat input offset of row r's target (−1 when ignored): x[o, t, i] with r = o·inner + i.
        var offsets = new int[rows];
        var loss = new float[rows];
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            long t = targets[r];
            if (t == ignoreIndex) { offsets[r] = -1; continue; }
            int o = r / inner, i = r - o * inner;
            int off = (o * classes + (int)t) * inner + i;
            offsets[r] = off;
            loss[r] = -(w.Length == 0 ? 1f : w[(int)t]) * x[off];
            sum += loss[r];
        }
        double den = CrossEntropyKernel.TargetWeightSum(targets, w, ignoreIndex);
        var result = reduction switch
        {
            Reduction.None => new Tensor(loss, target.Shape),
            Reduction.Sum => Tensor.Scalar((float)sum),
            _ => Tensor.Scalar((float)(sum / den)),
        };
        var inputShape = input.Shape;
        return Tensor.Record(result, "NllLossBackward", (g, ctx) =>
        {
            var rowGrad = RowGrad(g, reduction, den);
            var dx = new float[x.Length];
            for (int r = 0; r < rows; r++)
            {
                int off = offsets[r];
                if (off < 0) continue;
                dx[off] = -(w.Length == 0 ? 1f : w[(int)targets[r]]) * (rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r]);
            }
            return [ctx.Adopt(dx, inputShape)];
        }, input);
    }

    /// <summary>
    /// How far above 0 a log-probability may lie before the forgotten-log diagnostic speaks: a log-softmax is ≤ 0 exactly, but a
    /// log of probabilities normalised elsewhere can come out a few ulps above it.
    /// </summary>
    private const float LogProbabilityTolerance = 1e-4f;

    /// <summary>Values the forgotten-log diagnostic reads at most: 8 rows of a 512-class input, a few microseconds.</summary>
    private const int LogProbabilityCheckValues = 4096;

    /// <summary>
    /// Warns once when the first <see cref="ProbabilityCheckRows"/> rows' worth of values, at most
    /// <see cref="LogProbabilityCheckValues"/>, hold one above 0: a sample, as the softmax-twice check of <see cref="CrossEntropy"/>
    /// takes, so the cost does not grow with the batch or the class count (nll_loss itself reads one value per row).
    /// </summary>
    private static void WarnIfNotLogProbabilities(float[] x, int classes)
    {
        int n = (int)Math.Min(Math.Min(x.Length, LogProbabilityCheckValues), (long)ProbabilityCheckRows * classes);
        float max = float.NegativeInfinity;
        for (int i = 0; i < n; i++)
            if (x[i] > max) max = x[i]; // NaN (a diverged model) is skipped: it is not this mistake
        if (!(max > LogProbabilityTolerance)) return;
        Warnings.Warn("nll-loss-positive-input",
            "F.NllLoss received an input with values above 0 (" + max.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) +
            "): nll_loss expects log-probabilities (≤ 0), so these look like probabilities or logits and the loss is " +
            "meaningless. Apply F.LogSoftmax(x, 1) (or .Log() to probabilities) first, or pass logits to F.CrossEntropy.");
    }
}
