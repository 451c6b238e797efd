using Xent.Autograd;
using Xent.Diagnostics;

namespace Xent;

public static partial class F
{
    /// <summary>
    /// Inverted dropout, PyTorch's <c>F.dropout</c>: in training, zeroes each element with probability
    /// <paramref name="p"/> and scales the survivors by <c>1/(1−p)</c>, so eval needs no rescaling.
    /// </summary>
    /// <param name="input">Float32 tensor of any shape.</param>
    /// <param name="p">Probability of zeroing an element, in [0, 1]; p = 1 gives zeros.</param>
    /// <param name="training">When false, returns <paramref name="input"/> itself.</param>
    /// <param name="generator">Random source (default <see cref="Generator.Default"/>); masks differ from PyTorch's.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckDropoutP(p);
        input.RequireFloat("dropout");
        if (!training) return input;
        return ApplyDropoutMask(input, p, groups: input.NumEl, groupSize: 1, generator, "NativeDropoutBackward");
    }

    /// <summary>
    /// Channel dropout, PyTorch 1.13's <c>F.dropout2d</c>: zeroes whole (n, c) feature maps of an (N, C, H, W)
    /// input with probability <paramref name="p"/> and scales the rest by <c>1/(1−p)</c>.
    /// </summary>
    /// <remarks>
    /// Like PyTorch 1.13, the mask is drawn per (dim 0, dim 1) pair for any input of rank ≥ 2: a 3-D input is
    /// treated as (N, C, L) and a 2-D input (N, F) gets element-wise dropout. Ranks other than 3 and 4 are
    /// deprecated by PyTorch, so they warn once through <see cref="Warnings"/>, with PyTorch's text.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    /// <exception cref="ArgumentException">The input has fewer than 2 dims.</exception>
    public static Tensor Dropout2d(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckDropoutP(p);
        input.RequireFloat("dropout2d");
        int rank = input.Rank;
        if (rank != 3 && rank != 4)
            Warnings.Warn("dropout2d.rank" + rank,
                $"dropout2d: Received a {rank}-D input to dropout2d, which is deprecated and will result in an error in a future release. "
                    +
                "To retain the behavior and silence this warning, please use dropout instead. Note that dropout2d exists to provide " +
                    "channel-wise " +
                "dropout on inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D " +
                    "inputs).");
        if (rank == 3)
            Warnings.Warn("dropout2d.rank3",
                "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired - input is " +
                "interpreted as shape (N, C, L), where C is the channel dim. This behavior will change in a future release to interpret " +
                    "the " +
                "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please " +
                "switch to using dropout1d instead.");
        if (rank < 2)
            throw new ArgumentException("Feature dropout requires at least 2 dimensions in the input, but got input of size " +
                $"{Shapes.Format(input.ShapeSpan)}.", nameof(input));
        if (!training) return input;
        int groups = input.Size(0) * input.Size(1);
        int groupSize = groups == 0 ? 0 : input.NumEl / groups;
        return ApplyDropoutMask(input, p, groups, groupSize, generator, "FeatureDropoutBackward");
    }

    /// <summary>PyTorch's check and message; shared with <see cref="NN.DropoutBase"/>.</summary>
    internal static void CheckDropoutP(double p)
    {
        if (!(p >= 0.0 && p <= 1.0))
        {
            // p as the caller most likely wrote it: a float literal such as -0.1f arrives widened to -0.10000000149011612,
            // so a value that is exactly a float is shown as that float (shortest round-trip: -0.1), any other as the double.
            object given = (double)(float)p == p ? (object)(float)p : p;
            throw new ArgumentOutOfRangeException(nameof(p), given,
                FormattableString.Invariant($"dropout probability has to be between 0 and 1, but got {given}"));
        }
    }

    /// <summary>
    /// Multiplies each run of <paramref name="groupSize"/> consecutive elements by one mask value:
    /// 0 with probability p, else 1/(1−p). The same mask scales the gradient.
    /// </summary>
    private static Tensor ApplyDropoutMask(Tensor input, double p, int groups, int groupSize, Generator? generator, string name)
    {
        var rng = generator ?? Generator.Default;
        var x = input.FloatArray;
        // PyTorch divides a float32 Bernoulli(1-p) mask by (1-p); p = 1 yields an all-zero mask (no 0/0).
        float keepScale = p >= 1.0 ? 0f : (float)(1.0 / (1.0 - p));
        float keepProb = (float)(1.0 - p);
        var mask = new float[groups];
        using (rng.Hold())
            for (int i = 0; i < groups; i++) mask[i] = rng.DrawFloat() < keepProb ? keepScale : 0f;
        var y = StepArena.Allocate(x.Length);
        ScaleGroups(x, mask, groupSize, y);
        var result = new Tensor(y, input.Shape);
        return Tensor.Record(result, name, (g, ctx) =>
        {
            var gx = ctx.NewGrad(input);
            ScaleGroups(g.FloatArray, mask, groupSize, gx.Data);
            return [gx];
        }, input);
    }

    /// <summary><c>dst = src · mask[group]</c> for each run of <paramref name="groupSize"/> elements (one rounding per element).</summary>
    private static void ScaleGroups(ReadOnlySpan<float> src, float[] mask, int groupSize, Span<float> dst)
    {
        if (groupSize == 1)
        {
            // Element-wise dropout: one vector multiply by the mask, not a call per element.
            System.Numerics.Tensors.TensorPrimitives.Multiply(src[..mask.Length], mask, dst);
            return;
        }
        for (int gi = 0, o = 0; gi < mask.Length; gi++, o += groupSize)
            System.Numerics.Tensors.TensorPrimitives.Multiply(src.Slice(o, groupSize), mask[gi], dst.Slice(o, groupSize));
    }
}
