using System.Globalization;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// The evaluation tables that <c>xent train</c> prints after its last epoch and <c>xent eval</c> prints: accuracy and per-class figures.
/// </summary>
internal static class ResultTables
{
    /// <summary>The accuracy line (subset accuracy and mean BCE for multi-label), then per-class accuracy.</summary>
    public static void PrintFinal(EvaluationResult r, IReadOnlyList<string> names)
    {
        var ci = CultureInfo.InvariantCulture;
        if (r.MultiLabel)
        {
            Console.WriteLine(string.Create(ci,
                $"Test subset accuracy: {100 * r.Accuracy:F2}% ({r.Correct}/{r.Total}), mean BCE {NumberText.Fixed(r.MeanCrossEntropy)}"));
            PrintPerClass(r, names, "label"); // ends with the macro-F1

            return;
        }
        Console.WriteLine(string.Create(ci,
            $"Test accuracy: {100 * r.Accuracy:F2}% ({r.Correct}/{r.Total}), mean cross-entropy " +
            $"{NumberText.Fixed(r.MeanCrossEntropy)}, ECE {r.ExpectedCalibrationError:F4}"));
        Console.WriteLine("Per-class accuracy:");
        int width = Math.Max(5, names.Max(TextCells.Width)); // terminal columns: CJK names take two per character
        for (int c = 0; c < r.PerClassAccuracy.Length; c++)
        {
            double a = r.PerClassAccuracy[c];
            string name = c < names.Count ? names[c] : c.ToString(ci);
            Console.WriteLine(string.Create(ci,
                $"  {TextCells.PadRight(name, width)}  {(double.IsNaN(a) ? "     -" : (100 * a).ToString("F2", ci).PadLeft(6) + "%")}"));
        }
    }

    /// <summary>Per-class precision, recall, F1 and support (multi-label: per-label accuracy too), then macro-F1.</summary>
    public static void PrintPerClass(EvaluationResult r, IReadOnlyList<string> names, string what = "class")
    {
        var ci = CultureInfo.InvariantCulture;
        int width = Math.Max(5, names.Max(TextCells.Width)); // terminal columns: CJK names take two per character
        var (p, rc, f1) = (r.Precision, r.Recall, r.F1);
        Console.WriteLine($"  {what.PadRight(width)}  {(r.MultiLabel ? "accuracy  " : "")}precision  recall      F1  support");
        for (int c = 0; c < r.PerClassAccuracy.Length; c++)
        {
            string name = c < names.Count ? names[c] : c.ToString(ci);
            string acc = r.MultiLabel ? (100 * r.PerClassAccuracy[c]).ToString("F2", ci).PadLeft(7) + "%  " : "";
            long support = r.Counts[c].Tp + r.Counts[c].Fn;
            string recall = double.IsNaN(rc[c]) ? "-" : rc[c].ToString("F4", ci); // no samples: undefined, as per-class accuracy
            Console.WriteLine(string.Create(ci,
                $"  {TextCells.PadRight(name, width)}  {acc}{p[c],9:F4}  {recall,6}  {f1[c],6:F4}  {support,7}"));
        }
        Console.WriteLine(string.Create(ci, $"Macro-F1: {r.MacroF1:F4}"));
    }
}
