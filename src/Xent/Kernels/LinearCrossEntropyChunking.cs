namespace Xent.Kernels;

/// <summary>
/// How <see cref="LinearCrossEntropyKernel"/> tiles its work. Zero (the default) means "choose
/// from the problem size": about 512 rows per chunk, a vocabulary chunk that makes one logits
/// tile ≈ 2 MiB (L2/L3-resident), and 2 vocabulary partitions.
/// </summary>
/// <param name="RowChunk">Rows of hidden states per tile (N-chunk).</param>
/// <param name="VocabChunk">Classes per tile (V-chunk).</param>
/// <param name="Partitions">
/// Number of contiguous vocabulary ranges processed independently (one thread each). Results
/// depend on the chunking and the partition count — they fix the order of every float sum —
/// but never on <see cref="KernelParallel.MaxThreads"/>. Each partition beyond the first holds
/// an (N, D) partial gradient of the hidden states during backward.
/// </param>
/// <param name="GradientScratchBytes">
/// Bytes the training path's scratch (its block of rows × V logits, partial dH and the N row losses) may take; 0 for the
/// default (<see cref="DefaultGradientBlockBytes"/>, or 1/12 of the N×V logits or 1/8 of the V×D weight when larger).
/// </param>
internal readonly record struct LinearCrossEntropyChunking(int RowChunk = 0, int VocabChunk = 0, int Partitions = 0,
    long GradientScratchBytes = 0)
{
    /// <summary>Default rows per chunk.</summary>
    public const int DefaultRowChunk = 512;
    /// <summary>Default bytes of one logits tile (RowChunk × VocabChunk floats).</summary>
    public const int DefaultTileBytes = 2 << 20;
    /// <summary>Default number of vocabulary partitions.</summary>
    public const int DefaultPartitions = 2;

    /// <summary>The chunk sizes used for an (N, D) × (V, D) problem: explicit values win, zeros are filled in.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative.</exception>
    public (int RowChunk, int VocabChunk, int Partitions) Resolve(int rows, int vocab)
    {
        if (RowChunk < 0) throw new ArgumentOutOfRangeException(nameof(RowChunk), RowChunk,
            "RowChunk must be positive (or 0 for automatic).");
        if (VocabChunk < 0) throw new ArgumentOutOfRangeException(nameof(VocabChunk), VocabChunk,
            "VocabChunk must be positive (or 0 for automatic).");
        if (Partitions < 0) throw new ArgumentOutOfRangeException(nameof(Partitions), Partitions,
            "Partitions must be positive (or 0 for automatic).");
        rows = Math.Max(rows, 1);
        vocab = Math.Max(vocab, 1);
        int nb = RowChunk > 0 ? RowChunk : Balanced(rows, DefaultRowChunk, 8);
        nb = Math.Min(nb, rows);
        int vb = VocabChunk;
        if (vb == 0)
        {
            int target = Math.Clamp(DefaultTileBytes / (sizeof(float) * nb), 256, 16384);
            vb = Balanced(vocab, target, 32);
        }
        vb = Math.Min(vb, vocab);
        int chunks = (vocab + vb - 1) / vb;
        int p = Partitions > 0 ? Partitions : DefaultPartitions;
        return (nb, vb, Math.Min(p, chunks));
    }

    /// <summary>
    /// Default bytes of the scratch of the training path (<see cref="LinearCrossEntropyKernel.ForwardBackward"/>): its (rows × V)
    /// logits block, partial dH and row losses; 12.5 MiB. At N=1024, D=512, V=32000 that is 96 rows, three whole 32-row
    /// tiles of the kernel that makes the next block's logits (12 MiB gave 88 rows, whose last tile ran a quarter empty).
    /// </summary>
    public const int DefaultGradientBlockBytes = 25 << 19;
    /// <summary>
    /// Default bytes of one vocabulary chunk of W in the training path, unless <see cref="MinGradientVocabChunk"/> classes
    /// are more (4 MiB at D = 2048). Of a chunk's three GEMMs two read W (dH, then the next block's logits; dW does not),
    /// back to back, so the second finds the chunk in a core's L2 when it is this size.
    /// </summary>
    internal const int DefaultGradientWeightChunkBytes = 1 << 20;
    /// <summary>
    /// Fewest classes per vocabulary chunk of the training path (by default): the chunk is the depth of its dH product,
    /// which reads and writes the rows × D partial dH once per chunk and packs the block's H twice, so at large D
    /// (2048: 1 MiB would be 128 classes) chunks of 512 classes cost 5–10% less CPU than L2-sized ones.
    /// </summary>
    internal const int MinGradientVocabChunk = 512;
    /// <summary>Default number of vocabulary partitions of the training path (each beyond the first holds a rows × D partial dH).</summary>
    internal const int DefaultGradientPartitions = 4;

    /// <summary>
    /// Rows per block of <see cref="LinearCrossEntropyKernel.ForwardBackward"/>, which holds all V logits of
    /// its rows and, with <paramref name="dim"/> &gt; 0, (partitions − 1) partial dH blocks of rows × D: as many
    /// rows as fit max(<see cref="DefaultGradientBlockBytes"/>, 1/12 of the N×V logits, 1/8 of the V×D weight), or
    /// <see cref="GradientScratchBytes"/> when set, less the N floats of row losses (at least one row), split evenly; an
    /// explicit <see cref="RowChunk"/> lowers it further. Fixed by the problem size, never by the thread count.
    /// </summary>
    /// <remarks>
    /// Every block reads all of W and reads and writes all of dW, so the blocks must grow with D for that traffic to stay a
    /// small part of the work. At N=1024, V=32000, D = 2048 the fixed 12.5 MiB gave 80-row blocks and the fused path ran at
    /// 0.69–0.80× of the unfused one; 1/8 of W (31 MiB, 208 rows) gives 0.87–0.94× (bench/HISTORY.md). At D = 1024 (104 rows
    /// instead of 88) the difference was within noise. At D = 512 and below, 1/8 of W (8 MiB at V = 32000) is under
    /// 12.5 MiB, so those blocks are unchanged.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative.</exception>
    /// <param name="rows">N.</param>
    /// <param name="vocab">V.</param>
    /// <param name="dim">D, or 0 for neither the weight's share nor partial dH blocks.</param>
    /// <param name="partialHidden">Whether the blocks hold partial dH (false when no hidden-state gradient is wanted).</param>
    internal int GradientRows(int rows, int vocab, int dim = 0, bool partialHidden = true)
    {
        if (RowChunk < 0) throw new ArgumentOutOfRangeException(nameof(RowChunk), RowChunk,
            "RowChunk must be positive (or 0 for automatic).");
        rows = Math.Max(rows, 1);
        vocab = Math.Max(vocab, 1);
        long logitsBytes = (long)vocab * sizeof(float);
        long rowBytes = logitsBytes
            + (dim > 0 && partialHidden ? (long)(GradientLayout(vocab, dim).Partitions - 1) * dim * sizeof(float) : 0);
        if (GradientScratchBytes < 0) throw new ArgumentOutOfRangeException(nameof(GradientScratchBytes), GradientScratchBytes,
            "GradientScratchBytes must be positive (or 0 for automatic).");
        long weightBytes = (long)vocab * Math.Max(dim, 0) * sizeof(float);
        long budget = (GradientScratchBytes > 0 ? GradientScratchBytes
            : Math.Max(DefaultGradientBlockBytes, Math.Max((long)rows * logitsBytes / 12, weightBytes / 8))) - (long)rows * sizeof(float);
        // One array holds the block: at most Array.MaxLength floats.
        int fit = (int)Math.Clamp(Math.Min(budget / rowBytes, Array.MaxLength / vocab), 1, rows);
        // The same rule whether the budget is the default or set: the blocks fix the order of the sums, so changing them would
        // change the default results (at N=300 the fit 300 is rounded down to 296, giving two blocks of at most 152 rows).
        int nb = fit >= 16 ? Balanced(rows, fit - fit % 8, 8) : Balanced(rows, fit, 1);
        if (RowChunk > 0) nb = Math.Min(nb, RowChunk);
        return Math.Min(nb, rows);
    }

    /// <summary>
    /// Vocabulary chunking of <see cref="LinearCrossEntropyKernel.ForwardBackward"/>: classes per chunk
    /// (<see cref="VocabChunk"/>, or as many rows of W as fit <see cref="DefaultGradientWeightChunkBytes"/> but at least
    /// <see cref="MinGradientVocabChunk"/>),
    /// and contiguous partitions of chunks (<see cref="Partitions"/>, or <see cref="DefaultGradientPartitions"/>),
    /// each run by one thread. Fixed by the problem size, never by the thread count.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative.</exception>
    internal (int VocabChunk, int Partitions) GradientLayout(int vocab, int dim)
    {
        if (VocabChunk < 0) throw new ArgumentOutOfRangeException(nameof(VocabChunk), VocabChunk,
            "VocabChunk must be positive (or 0 for automatic).");
        if (Partitions < 0) throw new ArgumentOutOfRangeException(nameof(Partitions), Partitions,
            "Partitions must be positive (or 0 for automatic).");
        vocab = Math.Max(vocab, 1);
        int vb = VocabChunk > 0 ? VocabChunk
            : Balanced(vocab, Math.Clamp(DefaultGradientWeightChunkBytes / (sizeof(float) * Math.Max(dim, 1)), MinGradientVocabChunk, 4096)
                / 32 * 32, 32);
        vb = Math.Min(vb, vocab);
        int chunks = (vocab + vb - 1) / vb;
        int p = Partitions > 0 ? Partitions : DefaultGradientPartitions;
        return (vb, Math.Min(p, chunks));
    }

    /// <summary>Chunk ≤ <paramref name="target"/> (rounded up to <paramref name="multiple"/>) that splits <paramref name="length"/>
    /// evenly.</summary>
    private static int Balanced(int length, int target, int multiple)
    {
        if (length <= target) return length;
        int count = (length + target - 1) / target;
        int size = (length + count - 1) / count;
        return Math.Min(length, (size + multiple - 1) / multiple * multiple);
    }
}
