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
/// name, so that a model that calls label 0 "T-shirt_top" and sorts it ninth is scored against the right class; a folder
/// class the model lacks is refused, as a CSV or .npy label the model does not know is.
/// </summary>
internal static class IdxClasses
{
    /// <summary><paramref name="data"/> with its labels numbered as <paramref name="modelClasses"/> number them.</summary>
    /// <exception cref="InvalidDataException">An IDX class that none of the model's classes names.</exception>
    public static IDataset Match(IDataset data, string path, IReadOnlyList<string> modelClasses)
    {
        var idxNames = ClassNames.ForDataset(Path.GetFullPath(path));
        if (modelClasses.SequenceEqual(ClassNames.Digits) || modelClasses.SequenceEqual(ClassNames.FashionMnist)) return data;
        long[] map = new long[idxNames.Count];
        var missing = new List<string>();
        for (int k = 0; k < idxNames.Count; k++)
        {
            map[k] = Find(k, idxNames[k], modelClasses);
            if (map[k] < 0) missing.Add($"{k} '{idxNames[k]}'");
        }
        if (missing.Count > 0)
            throw new InvalidDataException($"'{path}' is an IDX folder whose labels 0–9 xent reads as " +
                $"{(idxNames == ClassNames.FashionMnist ? "Fashion-MNIST's classes" : "the digits 0–9")}, and the model's " +
                $"{modelClasses.Count} classes ({Shorten(modelClasses)}) do not name label {string.Join(", ", missing)}; " +
                "evaluate on data with the model's classes (a class folder, CSV or .npy).");
        bool identity = true;
        for (int k = 0; k < map.Length; k++) identity &= map[k] == k;
        return identity ? data : new TargetMapDataset(data, map);
    }

    /// <summary>
    /// The index of the class in <paramref name="classes"/> that names label <paramref name="label"/>, <paramref name="name"/>:
    /// the same text, or else the only one with the same letters and digits in any case ("T-shirt_top" for "T-shirt/top",
    /// since a folder name cannot hold '/'), or with the label's number before them ("0_T-shirt_top", as
    /// tools/data/idx_to_png.py names its folders); −1 for none, or for several.
    /// </summary>
    private static long Find(int label, string name, IReadOnlyList<string> classes)
    {
        for (int c = 0; c < classes.Count; c++)
            if (classes[c] == name) return c;
        string key = Key(name), numbered = label.ToString(CultureInfo.InvariantCulture) + key;
        long found = -1;
        for (int c = 0; c < classes.Count; c++)
        {
            string other = Key(classes[c]);
            if (other != key && other != numbered) continue;
            if (found >= 0) return -1;
            found = c;
        }
        return found;
    }

    private static string Key(string name)
    {
        var key = new StringBuilder(name.Length);
        foreach (char ch in name)
            if (char.IsLetterOrDigit(ch)) key.Append(char.ToLowerInvariant(ch));
        return key.ToString();
    }

    private static string Shorten(IReadOnlyList<string> names) =>
        names.Count <= 12 ? string.Join(", ", names) : string.Join(", ", names.Take(10)) + $", … ({names.Count - 10} more)";
}
