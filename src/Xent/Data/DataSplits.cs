namespace Xent.Data;

/// <summary>
/// Seeded held-out splits: stratified by class (as scikit-learn's <c>stratify=y</c>), so every class keeps its share on both sides.
/// </summary>
public static class DataSplits
{
    /// <summary>
    /// Splits <paramref name="dataset"/>'s positions into a training part and a held-out part of about
    /// <paramref name="fraction"/> of the samples. Single-label data is split class by class: round(n_c · fraction)
    /// samples of class c are held out, at least one when the class has two or more (so every class is seen in both
    /// parts when it can be). Multi-label data is split uniformly. Both lists come back sorted; the same random seed gives the same split.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in (0, 1).</exception>
    /// <exception cref="InvalidDataException">The dataset is too small to hold out anything and keep something to train on.</exception>
    public static (int[] Train, int[] HeldOut) Stratified(IDataset dataset, double fraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction,
            "The held-out fraction must be in (0, 1).");
        var g = new Generator(seed);
        var groups = new SortedDictionary<long, List<int>>();
        bool multi = dataset.LabelCount > 0;
        for (int i = 0; i < dataset.Count; i++)
        {
            long key = multi ? 0 : dataset.Target(i);
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = [];
            list.Add(i);
        }
        var train = new List<int>(dataset.Count);
        var held = new List<int>();
        foreach (var (_, list) in groups)
        {
            var items = list.ToArray();
            g.Shuffle(items.AsSpan());
            int take = (int)Math.Round(items.Length * fraction, MidpointRounding.AwayFromZero);
            if (take == 0 && items.Length >= 2) take = 1;
            if (take == items.Length && items.Length >= 2) take = items.Length - 1;
            held.AddRange(items.AsSpan(0, take));
            train.AddRange(items.AsSpan(take));
        }
        if (train.Count == 0 || held.Count == 0)
            throw new InvalidDataException($"{dataset.Count} sample(s) are too few to split into a training and a held-out part.");
        train.Sort();
        held.Sort();
        return (train.ToArray(), held.ToArray());
    }
}
