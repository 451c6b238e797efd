using Xent.Kernels;

namespace Xent;

/// <summary>
/// Tiling of <see cref="F.LinearCrossEntropy"/>. Unset values are chosen from the problem size
/// (≈ 512 rows, a vocabulary chunk that makes one logits tile ≈ 2 MiB, 2 partitions). Results
/// depend on these values (they fix the order of float sums), never on the thread count.
/// </summary>
public sealed class LinearCrossEntropyOptions
{
    /// <summary>Rows of hidden states per tile.</summary>
    public int? RowChunk { get; init; }

    /// <summary>Classes (vocabulary entries) per tile.</summary>
    public int? VocabChunk { get; init; }

    /// <summary>
    /// Contiguous vocabulary ranges processed in parallel (at most this many threads run the tiles;
    /// each partition beyond the first holds an extra (N, D) gradient buffer during backward).
    /// </summary>
    public int? Partitions { get; init; }

    /// <summary>
    /// Bytes of scratch the training path (gradients computed with the loss, 'mean' or 'sum') may hold: its block of
    /// whole logits rows, partial hidden-state gradients and row losses. Unset: 12.5 MiB, or 1/12 of the N×V logits or
    /// 1/8 of the V×D weight when larger. A larger budget means longer blocks, so each vocabulary chunk of the weight is read fewer
    /// times (at N=1024, D=512, V=32000 the default makes blocks of 96 rows); at least one row is always used. Results
    /// depend on the block length (it fixes the order of the sums), never on the thread count.
    /// </summary>
    public long? TrainingScratchBytes { get; init; }

    internal LinearCrossEntropyChunking ToChunking()
    {
        Check(RowChunk, nameof(RowChunk));
        Check(VocabChunk, nameof(VocabChunk));
        Check(Partitions, nameof(Partitions));
        Check(TrainingScratchBytes, nameof(TrainingScratchBytes));
        return new LinearCrossEntropyChunking(RowChunk ?? 0, VocabChunk ?? 0, Partitions ?? 0, TrainingScratchBytes ?? 0);
    }

    private static void Check(long? value, string name)
    {
        if (value is <= 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive when set.");
    }
}
