using System.Globalization;
using System.Text;
using Xent.Data;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// Which of a model's classes an IDX folder's labels 0–9 stand for. An IDX file holds only numbers; xent names them by the
/// folder (<see cref="ClassNames.ForDataset"/>: Fashion-MNIST's names when the path says "fashion", the digits otherwise). A
/// model trained on IDX data or on numeric labels (digits or Fashion-MNIST's names in label order) takes label k as its class
/// k. Any other model (trained on image class folders, whose classes are sorted by name, or on named labels) is matched by
/// name, so that a model that calls label 0 "T-shirt_top" and sorts it ninth is scored against the right class; a label in
/// the data that none of the model's classes names is refused, as a CSV or .npy label the model does not know is.
/// </summary>
internal static class IdxClasses
{
    /// <summary><paramref name="data"/> with its labels numbered as <paramref name="modelClasses"/> number them.</summary>
    /// <exception cref="InvalidDataException">A label in the data that none, or several, of the model's classes name.</exception>
    public static IDataset Match(IDataset data, string path, IReadOnlyList<string> modelClasses)
    {
        var idxNames = ClassNames.ForDataset(Path.GetFullPath(path));
        if (modelClasses.SequenceEqual(ClassNames.Digits) || modelClasses.SequenceEqual(ClassNames.FashionMnist)) return data;
        // Only the labels the data holds need a class: a folder of 1s and 3s fits a model of the classes "1" and "3".
        var present = new bool[idxNames.Count];
        for (int i = 0; i < data.Count; i++) present[data.Target(i)] = true;
        long[] map = new long[idxNames.Count];
        var problems = new List<string>();
        for (int k = 0; k < idxNames.Count; k++)
        {
            if (!present[k]) continue;
            var found = Find(k, idxNames[k], modelClasses);
            if (found.Count == 1) map[k] = found[0];
            else problems.Add(found.Count == 0 ? $"{k} '{idxNames[k]}'"
                : $"{k} '{idxNames[k]}' (named by several: {string.Join(", ", found.Select(c => $"'{modelClasses[c]}'"))})");
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"'{path}' is an IDX folder whose labels 0–9 xent reads as " +
                $"{(idxNames == ClassNames.FashionMnist ? "Fashion-MNIST's classes" : "the digits 0–9")}, and the model's " +
                $"{modelClasses.Count} classes ({Shorten(modelClasses)}) do not name label {string.Join(", ", problems)} one to one; " +
                "evaluate on data with the model's classes (a class folder, CSV or .npy).");
        bool identity = true;
        for (int k = 0; k < map.Length; k++) identity &= !present[k] || map[k] == k;
        return identity ? data : new TargetMapDataset(data, map);
    }

    /// <summary>
    /// The classes in <paramref name="classes"/> that name label <paramref name="label"/>, <paramref name="name"/>, by the first
    /// rule that finds any: the same text; the same letters and digits in any case, each run of other characters alike
    /// ("T-shirt_top" for "T-shirt/top", since a folder name cannot hold '/'); or the label's number at the start, before
    /// anything but a digit ("0_T-shirt_top", as tools/data/idx_to_png.py names its folders, or "07" for 7).
    /// </summary>
    private static List<int> Find(int label, string name, IReadOnlyList<string> classes)
    {
        List<int> Where(Func<string, bool> names) => Enumerable.Range(0, classes.Count).Where(c => names(classes[c])).ToList();
        var found = Where(c => c == name);
        if (found.Count > 0) return found;
        string key = Key(name);
        found = Where(c => Key(c) == key);
        return found.Count > 0 ? found : Where(c => LeadingNumber(c) == label);
    }

    /// <summary>Lower-case letters and digits, each run of other characters as one '_' ("-1" stays apart from "1").</summary>
    private static string Key(string name)
    {
        var key = new StringBuilder(name.Length);
        foreach (char ch in name)
        {
            if (char.IsLetterOrDigit(ch)) key.Append(char.ToLowerInvariant(ch));
            else if (key.Length == 0 || key[^1] != '_') key.Append('_');
        }
        return key.ToString();
    }

    /// <summary>The number the name starts with (ASCII digits), or −1.</summary>
    private static long LeadingNumber(string name)
    {
        int n = 0;
        while (n < name.Length && n < 9 && char.IsAsciiDigit(name[n])) n++;
        if (n == 0 || (n < name.Length && char.IsAsciiDigit(name[n]))) return -1;
        return long.Parse(name.AsSpan(0, n), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    private static string Shorten(IReadOnlyList<string> names) =>
        names.Count <= 12 ? string.Join(", ", names) : string.Join(", ", names.Take(10)) + $", … ({names.Count - 10} more)";
}
