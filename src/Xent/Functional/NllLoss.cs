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
    /// (N, C, d1, …, dk) with target (N, d1, …, dk). The input is not checked to be log-probabilities: any
    /// float works, as in PyTorch.</para>
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
}
