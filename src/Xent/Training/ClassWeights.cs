namespace Xent.Training;

/// <summary>Class weights for a loss on imbalanced data, from the training split's class counts.</summary>
internal static class ClassWeights
{
    /// <summary>
    /// The PyTorch tutorial's inverse-frequency weights, <c>w = 1/count; w = w / w.sum() * C</c>: each class weighs 1/count_c,
    /// scaled so that the weights sum to the class count C. They are scikit-learn's "balanced" N / (C·count_c) times a constant,
    /// which the 'mean' reduction (Σ w[tᵢ]·lᵢ / Σ w[tᵢ]) cancels. A class without samples weighs 0 and is left out of the sum,
    /// where the tutorial's formula would give it an infinite weight and every weight NaN. Computed in float64, rounded once.
    /// </summary>
    internal static Tensor InverseFrequency(ReadOnlySpan<long> counts)
    {
        double sum = 0;
        foreach (long c in counts)
            if (c > 0) sum += 1.0 / c;
        var w = new float[counts.Length];
        for (int c = 0; c < counts.Length; c++) w[c] = counts[c] == 0 ? 0f : (float)(1.0 / counts[c] / sum * counts.Length);
        return Tensor.FromArray(w);
    }
}
