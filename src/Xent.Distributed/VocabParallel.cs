using System.Numerics.Tensors;
using Xent.Kernels;

namespace Xent.Distributed;

/// <summary>
/// Vocabulary-parallel <see cref="F.LinearCrossEntropy"/> (Megatron-LM's scheme): rank r of P holds rows
/// [<see cref="Shard"/>(V, r, P)) of the (V, D) weight, and of the bias and class weights; the (N, V) logits are never
/// gathered. Per chunk of rows, each rank computes its logits tile, then two reductions give every rank the row's global
/// softmax statistics: the row max (MAX), then in one message Σ e^(y − max), the target logit and its class weight, and
/// the label-smoothing sum Σ w_c·y_c (SUM; the target's terms are non-zero on its owning rank only). Megatron sends the
/// target logit and Σ exp in two messages; one is enough. Backward needs no statistics beyond the saved log-sum-exp:
/// each rank keeps its own slice's weight (and bias) gradient, and the hidden states' gradient, a sum over the vocabulary,
/// is summed over the ranks once.
/// </summary>
/// <remarks>
/// Every rank must call it (and backward) with the same hidden states, targets and options: the reductions are collective.
/// Sums over ranks are deterministic (<see cref="MpiWorld.AllReduceSum(Span{double})"/>), so all ranks get the same loss
/// and hidden-state gradient bit for bit. Extra memory per rank: a tile of rowChunk × V/P logits, 2·N doubles saved for
/// backward, and the reduction buffers.
/// </remarks>
public static class VocabParallel
{
    /// <summary>The vocabulary rows [Start, Start + Length) rank <paramref name="rank"/> of <paramref name="size"/> holds: contiguous,
    /// lengths differ by at most one.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabSize"/> is negative, <paramref name="size"/> is below 1,
    /// or <paramref name="rank"/> is not in [0, <paramref name="size"/>).</exception>
    public static (int Start, int Length) Shard(int vocabSize, int rank, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(vocabSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if ((uint)rank >= (uint)size) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {size}).");
        int start = (int)((long)vocabSize * rank / size), end = (int)((long)vocabSize * (rank + 1) / size);
        return (start, end - start);
    }

    /// <summary>
    /// The loss of <c>F.LinearCrossEntropy(hidden, W, target, b, weight, …)</c> where W, b and weight are split over the
    /// ranks by <see cref="Shard"/>; gradients flow to <paramref name="hidden"/> (summed over ranks) and to this rank's
    /// <paramref name="weightShard"/> and <paramref name="biasShard"/>.
    /// </summary>
    /// <param name="world">The MPI job.</param>
    /// <param name="hidden">(N, D) hidden states, the same on every rank.</param>
    /// <param name="weightShard">(V/P, D): this rank's rows of the linear weight.</param>
    /// <param name="target">(N) int64 targets in [0, V) or <paramref name="ignoreIndex"/>, the same on every rank.</param>
    /// <param name="vocabSize">V, the whole vocabulary.</param>
    /// <param name="biasShard">(V/P) this rank's bias entries, or null.</param>
    /// <param name="classWeightShard">(V/P) this rank's class weights, or null. Not differentiated.</param>
    /// <param name="ignoreIndex">Target value whose rows contribute nothing.</param>
    /// <param name="reduction">Mean (Σ loss / Σ weight[t_i]), Sum, or None ((N) losses).</param>
    /// <param name="labelSmoothing">ε in [0, 1], normalised as PyTorch's.</param>
    /// <param name="zLossScale">PaLM's z-loss scale (z·lse² per non-ignored row).</param>
    /// <param name="softcap">Gemma 2's logit soft-cap, or null.</param>
    /// <param name="rowChunk">Rows per tile; 0 picks a tile of about 4 MiB.</param>
    /// <exception cref="ArgumentException">A shape, dtype or option is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is out of bounds.</exception>
    public static Tensor LinearCrossEntropy(MpiWorld world, Tensor hidden, Tensor weightShard, Tensor target, int vocabSize,
        Tensor? biasShard = null, Tensor? classWeightShard = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean,
        float labelSmoothing = 0f, float zLossScale = 0f, float? softcap = null, int rowChunk = 0) =>
        LinearCrossEntropyMetered(world, hidden, weightShard, target, vocabSize, biasShard, classWeightShard, ignoreIndex, reduction,
            labelSmoothing, zLossScale, softcap, rowChunk, meter: null);

    /// <summary>
    /// <see cref="LinearCrossEntropy"/> that also counts the scratch this call and its backward allocate in
    /// <paramref name="meter"/> (for <c>xent bench linear-ce --vocab-parallel</c>).
    /// </summary>
    internal static Tensor LinearCrossEntropyMetered(MpiWorld world, Tensor hidden, Tensor weightShard, Tensor target, int vocabSize,
        Tensor? biasShard = null, Tensor? classWeightShard = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean,
        float labelSmoothing = 0f, float zLossScale = 0f, float? softcap = null, int rowChunk = 0, ScratchMeter? meter = null)
    {
        ArgumentNullException.ThrowIfNull(world);
        var p = Check(world, hidden, weightShard, target, vocabSize, biasShard, classWeightShard, labelSmoothing, zLossScale, softcap,
            rowChunk);
        p.IgnoreIndex = ignoreIndex;
        var fw = new VocabParallelKernel(world, p, hidden.FloatArray, weightShard.FloatArray, biasShard?.FloatArray ?? [],
            classWeightShard?.FloatArray ?? [], target.LongArray, meter);
        bool needsGrad = Autograd.GradMode.IsEnabled
            && (hidden.RequiresGrad || weightShard.RequiresGrad || (biasShard?.RequiresGrad ?? false));
        var rowLoss = new float[p.N];
        var (total, denominator) = fw.Forward(rowLoss);
        var result = reduction switch
        {
            Reduction.None => new Tensor(rowLoss, target.Shape),
            Reduction.Sum => Tensor.Scalar((float)total),
            _ => Tensor.Scalar((float)(total / denominator)),
        };
        if (!needsGrad) return result;
        Tensor[] inputs = biasShard is null ? [hidden, weightShard] : [hidden, weightShard, biasShard];
        return Tensor.Record(result, "VocabParallelLinearCrossEntropyBackward", (g, ctx) =>
        {
            var rowGrad = new float[p.N];
            if (reduction == Reduction.None) g.Data.CopyTo(rowGrad);
            else rowGrad.AsSpan().Fill(reduction == Reduction.Sum ? g.Item() : (float)(g.Item() / denominator));
            var gh = new float[p.N * p.D];
            var gw = weightShard.RequiresGrad ? new float[p.LocalV * p.D] : [];
            var gb = biasShard is not null && biasShard.RequiresGrad ? new float[p.LocalV] : [];
            fw.Backward(rowGrad, gh, gw, gb);
            // All three are fresh arrays nothing else holds: the engine may adopt them as the leaves' Grad.
            var grads = new Tensor?[inputs.Length];
            if (hidden.RequiresGrad) grads[0] = ctx.Adopt(gh, hidden.Shape);
            if (gw.Length > 0) grads[1] = ctx.Adopt(gw, weightShard.Shape);
            if (gb.Length > 0) grads[2] = ctx.Adopt(gb, biasShard!.Shape);
            return grads;
        }, inputs);
    }

    private static VocabParallelProblem Check(MpiWorld world, Tensor hidden, Tensor weightShard, Tensor target, int vocabSize,
        Tensor? biasShard, Tensor? classWeightShard, float labelSmoothing, float zLossScale, float? softcap, int rowChunk)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(weightShard);
        ArgumentNullException.ThrowIfNull(target);
        hidden.RequireFloat("VocabParallel.LinearCrossEntropy's hidden");
        weightShard.RequireFloat("VocabParallel.LinearCrossEntropy's weightShard");
        if (hidden.Rank != 2)
            throw new ArgumentException($"hidden must be 2-D (N, D) but has shape {Shapes.Format(hidden.ShapeSpan)}.", nameof(hidden));
        if (target.DType != DType.Int64 || target.Rank != 1 || target.NumEl != hidden.Size(0))
            throw new ArgumentException($"target must be int64 of shape [{hidden.Size(0)}].", nameof(target));
        var (start, length) = Shard(vocabSize, world.Rank, world.Size);
        int d = hidden.Size(1);
        if (weightShard.Rank != 2 || weightShard.Size(0) != length || weightShard.Size(1) != d)
            throw new ArgumentException(
                $"rank {world.Rank} of {world.Size} holds vocabulary rows [{start}, {start + length}) of {vocabSize}: "
                + $"weightShard must be [{length}, {d}] but is {Shapes.Format(weightShard.ShapeSpan)}.", nameof(weightShard));
        foreach (var (t, name) in new[] { (biasShard, nameof(biasShard)), (classWeightShard, nameof(classWeightShard)) })
        {
            if (t is null) continue;
            t.RequireFloat("VocabParallel.LinearCrossEntropy's " + name);
            if (t.Rank != 1 || t.NumEl != length)
                throw new ArgumentException($"{name} must be [{length}] but is {Shapes.Format(t.ShapeSpan)}.", name);
        }
        if (labelSmoothing is < 0f or > 1f || float.IsNaN(labelSmoothing))
            throw new ArgumentException($"label_smoothing must be between 0.0 and 1.0. Got: {labelSmoothing}", nameof(labelSmoothing));
        if (zLossScale < 0f || !float.IsFinite(zLossScale))
            throw new ArgumentException($"zLossScale must be finite and non-negative, got {zLossScale}.", nameof(zLossScale));
        if (softcap is float c && !(c > 0f && float.IsFinite(c)))
            throw new ArgumentException($"softcap must be positive and finite, got {c}.", nameof(softcap));
        ArgumentOutOfRangeException.ThrowIfNegative(rowChunk);
        int n = hidden.Size(0);
        int chunk = rowChunk > 0 ? rowChunk : Math.Clamp((4 << 20) / (sizeof(float) * Math.Max(1, length)), 16, 1024);
        return new VocabParallelProblem
        {
            N = n, D = d, V = vocabSize, Start = start, LocalV = length, RowChunk = Math.Max(1, Math.Min(chunk, n)),
            Eps = labelSmoothing, Z = zLossScale, Cap = softcap ?? 0f, Weighted = classWeightShard is not null,
        };
    }
}

/// <summary>Sizes and options of one vocabulary-parallel call.</summary>
internal sealed class VocabParallelProblem
{
    public int N, D, V, Start, LocalV, RowChunk;
    public long IgnoreIndex;
    public float Eps, Z, Cap;
    public bool Weighted;
}
