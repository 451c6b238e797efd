using System.Globalization;
using System.Text;

namespace Xent.Training;

/// <summary>
/// Renders an <see cref="EvaluationReport"/> as one self-contained HTML page in <see cref="ReportWriter"/>'s style: the
/// summary metrics, the reliability diagram (before and after the checkpoint's temperature when it has one) with a
/// calibration table, the confusion matrix, per-class precision, recall and F1, and the settings. Inline SVG, no scripts
/// and no external resources. Written atomically.
/// </summary>
public static class EvaluationReportWriter
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Writes the report to <paramref name="path"/> atomically (a reader never sees half a file).</summary>
    public static void Write(string path, EvaluationReport report)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ReportWriter.WriteHtml(path, Render(report));
    }

    /// <summary>The report as an HTML string.</summary>
    public static string Render(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var r = report.Result;
        var names = report.ClassNames;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(Esc(report.Title))
          .Append("</title>\n<style>\n").Append(ReportWriter.Css).Append(Css).Append("</style>\n</head>\n<body>\n");
        sb.Append("<h1>").Append(Esc(report.Title)).Append("</h1>\n");
        // The terminal's warnings, in its order, above the numbers they qualify.
        foreach (string warning in NonFiniteOutputs.Warning(r) is { } nonFinite ? [.. report.Warnings, nonFinite] : report.Warnings)
            sb.Append(ReportWriter.Warning(warning));
        sb.Append("<p class=\"summary\">").Append(Summary(report)).Append("</p>\n");

        if (r.MultiLabel)
        {
            sb.Append("<div>\n<h2>Per-label metrics</h2>\n").Append(ReportWriter.PerLabelTable(r, names)).Append("</div>\n");
            sb.Append("<p class=\"note\">A multi-label model's outputs are independent sigmoids, ")
              .Append("so it has no reliability diagram over exclusive classes.</p>\n");
        }
        else
        {
            if (report.Uncalibrated is { } before)
            {
                sb.Append("<h2>Calibration</h2>\n<div class=\"row\">\n<figure class=\"reliability\">");
                if (report.Calibrated is { } after)
                    sb.Append(ReliabilityDiagram.Svg(before, after, Label(1, before), Label(report.Temperature, after)))
                      .Append("<figcaption>Reliability diagram before (T = 1) and after (T = ").Append(T(report.Temperature))
                      .Append(") temperature scaling</figcaption>");
                else
                    sb.Append(ReliabilityDiagram.Svg(before, null, Label(1, before)))
                      .Append("<figcaption>Reliability diagram of the uncalibrated model (T = 1)</figcaption>");
                sb.Append("</figure>\n<div>\n").Append(CalibrationTable(report)).Append("</div>\n</div>\n");
            }
            sb.Append("<div class=\"row\">\n");
            sb.Append("<figure>").Append(ReportWriter.ConfusionMatrixSvg(r.ConfusionMatrix, names))
              .Append("<figcaption>Confusion matrix (rows: true class, columns: predicted; shade: fraction of the row)</figcaption>")
              .Append("</figure>\n");
            sb.Append("<div>\n<h2>Per-class metrics</h2>\n").Append(PerClassTable(r, names)).Append("</div>\n");
            sb.Append(ReportWriter.ConfusedPairsSection(r.ConfusionMatrix, names));
            sb.Append("</div>\n");
        }

        sb.Append("<h2>Settings</h2>\n<table class=\"settings\">\n");
        foreach (var (k, v) in report.Settings)
            sb.Append("<tr><th>").Append(Esc(k)).Append("</th><td>").Append(Esc(v)).Append("</td></tr>\n");
        sb.Append("</table>\n");
        string version = typeof(ReportWriter).Assembly.GetName().Version?.ToString(3) ?? "";
        sb.Append("<p class=\"foot\">Written by xent eval ").Append(Esc(version))
          .Append(" on ").Append(Esc(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", C))).Append(".</p>\n");
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    private static readonly string Css =
        ".note{font-size:13px;color:#555;max-width:520px}\n" +
        ".calibration td,.calibration th{text-align:right}.calibration td:first-child,.calibration th:first-child{text-align:left}\n" +
        // The caption wraps under the plot instead of widening the figure.
        "figure.reliability{width:" + ReliabilityDiagram.Width.ToString(C) + "px}\n";

    private static string Summary(EvaluationReport report)
    {
        var r = report.Result;
        if (r.MultiLabel)
            return string.Create(C, $"Subset accuracy <b>{Percent(r.Accuracy)}</b> ({r.Correct} of {r.Total}) · macro-F1 {Num(r.MacroF1)}")
                + string.Create(C, $" · mean binary cross-entropy {Num(r.MeanCrossEntropy)}");
        string t = report.Temperature == 1 ? "" : $" (at the checkpoint's temperature {T(report.Temperature)})";
        return string.Create(C, $"Accuracy <b>{Percent(r.Accuracy)}</b> ({r.Correct} of {r.Total}) · macro-F1 {Num(r.MacroF1)}")
            + string.Create(C, $" · mean cross-entropy {Num(r.MeanCrossEntropy)}")
            + string.Create(C, $" · expected calibration error {Num(r.ExpectedCalibrationError)}{t}");
    }

    private static string CalibrationTable(EvaluationReport report)
    {
        var sb = new StringBuilder("<table class=\"calibration\">\n");
        sb.Append("<tr><th>temperature</th><th>mean cross-entropy</th><th>ECE (15 bins)</th></tr>\n");
        Row("1 (raw logits)", report.UncalibratedCrossEntropy, report.Uncalibrated!);
        if (report.Calibrated is { } after) Row(T(report.Temperature) + " (the checkpoint's)", report.CalibratedCrossEntropy, after);
        sb.Append("</table>\n<p class=\"note\">Each bar is the accuracy of the samples whose confidence (largest softmax probability) ")
          .Append("falls in its bin; a calibrated model's bars sit on the dashed diagonal, bars below it are over-confident. ")
          .Append("Accuracy does not depend on the temperature.");
        if (report.Calibrated is null)
            sb.Append(" <code>xent calibrate --checkpoint C --data HELD_OUT --out C2</code> fits a temperature on held-out data.");
        sb.Append("</p>\n");
        return sb.ToString();

        void Row(string temperature, double crossEntropy, IReadOnlyList<ReliabilityBin> bins) =>
            sb.Append("<tr><td>").Append(temperature).Append("</td><td class=\"num\">").Append(Num(crossEntropy))
              .Append("</td><td class=\"num\">").Append(Num(EvaluationReport.ExpectedCalibrationError(bins))).Append("</td></tr>\n");
    }

    private static string PerClassTable(EvaluationResult f, IReadOnlyList<string> names)
    {
        var sb = new StringBuilder("<table>\n<tr><th>class</th><th>samples</th><th>precision</th><th>recall</th><th>F1</th></tr>\n");
        var (precision, recall, f1, counts) = (f.Precision, f.Recall, f.F1, f.Counts);
        for (int t = 0; t < f.PerClassAccuracy.Length; t++)
        {
            long n = counts[t].Tp + counts[t].Fn; // the row's sum
            string rec = double.IsNaN(recall[t]) ? "–" : recall[t].ToString("F4", C); // no samples: undefined
            sb.Append(string.Create(C, $"<tr><td class=\"name\">{Esc(ReportWriter.Name(names, t))}</td><td class=\"num\">{n}</td>"))
              .Append(string.Create(C, $"<td class=\"num\">{precision[t]:F4}</td><td class=\"num\">{rec}</td>"))
              .Append(string.Create(C, $"<td class=\"num\">{f1[t]:F4}</td></tr>\n"));
        }
        sb.Append("</table>\n");
        return ReportWriter.ScrollWhenLong(sb.ToString(), f.PerClassAccuracy.Length);
    }

    private static string Label(double temperature, IReadOnlyList<ReliabilityBin> bins) =>
        string.Create(C, $"T = {T(temperature)} (ECE {Num(EvaluationReport.ExpectedCalibrationError(bins))})");

    private static string T(double temperature) => temperature.ToString("0.####", C);

    /// <summary>A metric as the terminal prints it, NaN included (it was "–" here, "NaN" there: qa-s21-seen M4).</summary>
    private static string Num(double v) => v.ToString("F4", C);

    private static string Percent(double v) => double.IsFinite(v) ? (100 * v).ToString("F2", C) + "%" : "–";

    private static string Esc(string s) => ReportWriter.Esc(s);
}
