using System.Globalization;
using System.Net;
using System.Text;
using Xent.IO;

namespace Xent.Training;

/// <summary>
/// Renders a training run as one self-contained <c>report.html</c>: loss and accuracy curves and
/// the confusion matrix as inline SVG, a per-class accuracy table and the run's settings. No
/// scripts and no external resources, so it opens anywhere, offline. Written atomically.
/// </summary>
public static class ReportWriter
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Writes the report to <paramref name="path"/> atomically (a reader never sees half a file).</summary>
    public static void Write(string path, TrainingReport report)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        WriteHtml(path, Render(report));
    }

    /// <summary>Writes <paramref name="html"/> as UTF-8 without a BOM, atomically; the one writer of every HTML report.</summary>
    internal static void WriteHtml(string path, string html)
    {
        using var writer = AtomicFileWriter.Begin(path);
        writer.Stream.Write(new UTF8Encoding(false).GetBytes(html));
        writer.Commit();
    }

    /// <summary>The report as an HTML string.</summary>
    public static string Render(TrainingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
          .Append(Esc(report.Title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n");
        sb.Append("<h1>").Append(Esc(report.Title)).Append("</h1>\n");
        sb.Append(WarningsSection(report));
        sb.Append("<p class=\"summary\">").Append(Summary(report)).Append("</p>\n");
        if (report.RunNote is { } runNote) sb.Append("<p class=\"summary\">").Append(Esc(runNote)).Append("</p>\n");

        sb.Append("<div class=\"row\">\n");
        // A multi-label run trains BCEWithLogitsLoss, and its accuracy counts a sample right only when every label is.
        bool multi = report.Final is { MultiLabel: true };
        sb.Append("<figure>").Append(LossChart(report)).Append("<figcaption>")
          .Append(multi ? "Binary cross-entropy loss (BCEWithLogitsLoss)" : "Cross-entropy loss")
          // The two curves are different losses when the training loss adds smoothing, weights or a focal term: said under it.
          .Append(report.LossNote is { } lossNote ? $"<span class=\"note\">{Esc(lossNote)}</span>" : "")
          .Append("</figcaption></figure>\n");
        sb.Append("<figure>").Append(AccuracyChart(report)).Append("<figcaption>")
          .Append(multi ? "Test subset accuracy after each epoch" : "Test accuracy after each epoch").Append("</figcaption></figure>\n");
        sb.Append("</div>\n");

        if (report.Final is { MultiLabel: true } finalMulti)
            sb.Append("<div>\n<h2>Per-label metrics</h2>\n").Append(PerLabelTable(finalMulti, report.ClassNames)).Append("</div>\n");
        else if (report.Final is { } final)
        {
            sb.Append("<div class=\"row\">\n");
            sb.Append("<figure>").Append(ConfusionMatrixSvg(final.ConfusionMatrix, report.ClassNames))
              .Append("<figcaption>Confusion matrix (rows: true class, columns: predicted; shade: fraction of the " +
                  "row)</figcaption></figure>\n");
            sb.Append("<div>\n<h2>Per-class accuracy</h2>\n").Append(PerClassTable(final, report.ClassNames)).Append("</div>\n");
            sb.Append(ConfusedPairsSection(final.ConfusionMatrix, report.ClassNames));
            sb.Append("</div>\n");
        }

        sb.Append("<h2>Settings</h2>\n<table class=\"settings\">\n");
        foreach (var (k, v) in report.Settings)
            sb.Append("<tr><th>").Append(Esc(k)).Append("</th><td>").Append(Esc(v)).Append("</td></tr>\n");
        sb.Append("</table>\n");
        sb.Append("<p class=\"foot\">Written by xent ").Append(Esc(typeof(ReportWriter).Assembly.GetName().Version?.ToString(3) ?? ""))
          .Append(" on ").Append(Esc(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", C))).Append(".</p>\n");
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>
    /// The run's warnings, as the terminal said them and in its order, under a "Warnings" heading above the summary; then, for a
    /// test pass with NaN or infinite outputs, eval's warning, last and right above the numbers it qualifies. Empty for none.
    /// </summary>
    private static string WarningsSection(TrainingReport report)
    {
        string? nonFinite = report.Final is { } tested ? NonFiniteOutputs.Warning(tested) : null;
        // The non-finite warning is printed after the last report is written; were it ever collected first, it is said once.
        var all = report.Warnings.Where(w => w != nonFinite).Concat(nonFinite is null ? [] : [nonFinite]).ToList();
        if (all.Count == 0) return "";
        var sb = new StringBuilder("<h2>Warnings</h2>\n");
        foreach (string warning in all) sb.Append(Warning(warning));
        return sb.ToString();
    }

    /// <summary>A warning paragraph above a report's summary.</summary>
    internal static string Warning(string text) => "<p class=\"warning\"><b>Warning:</b> " + Esc(text) + "</p>\n";

    internal const string Css =
        "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px auto;max-width:1160px;color:#222;padding:0 " +
            "16px}\n" +
        "h1{font-size:24px;margin:0 0 6px}h2{font-size:17px;margin:8px 0}\n" +
        ".summary{font-size:15px;color:#444;margin:0 0 16px}\n" +
        ".row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start;margin-bottom:16px}\n" +
        "figure{margin:0}figcaption{font-size:13px;color:#555;text-align:center;margin-top:4px}\n" +
        "figcaption .note{display:block;max-width:540px;margin:2px auto 0}\n" +
        "table{border-collapse:collapse;font-size:14px}th,td{padding:4px 10px;border-bottom:1px solid #e3e3e3;text-align:left}\n" +
        "td.num{text-align:right;font-variant-numeric:tabular-nums}.bar{background:#7aa6d8;height:10px;display:inline-block}\n" +
        ".settings th{font-weight:600;color:#333}.foot{color:#888;font-size:12px;margin-top:24px}\n" +
        // A class name (or a path) without spaces breaks inside rather than pushing the table's numbers off the page.
        "td.name{max-width:24em;overflow-wrap:anywhere}.settings td{overflow-wrap:anywhere}\n" +
        "svg text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}\n" +
        // A figure wider than the page (the confusion matrix of many classes) shrinks to it, keeping its proportions.
        "svg{max-width:100%;height:auto}\n" +
        ".warning{font-size:14px;color:#4a3500;background:#fff6e0;border-left:4px solid #e0a020;padding:8px 12px;margin:0 0 12px;" +
            "max-width:900px}\n" +
        ".sub{font-size:13px;color:#555;margin:0 0 6px;max-width:540px}\n" +
        ".scroll{max-height:36em;overflow-y:auto}.scroll th{position:sticky;top:0;background:#fff}\n";

    private static string Summary(TrainingReport r)
    {
        var ends = r.Rows.Where(x => x.IsEpochEnd).ToList();
        if (r.Final is not { } f)
            return ends.Count == 0 ? "No epoch has finished yet." : $"{ends.Count} epoch(s) finished.";
        // The calibration error is that of the softmax's top class, which a multi-label model does not have.
        return f.MultiLabel
            ? string.Create(C,
                $"Test subset accuracy <b>{100 * f.Accuracy:F2}%</b> ({f.Correct} of {f.Total}) after {ends.Count} epoch(s) · mean " +
                $"binary cross-entropy {f.MeanCrossEntropy:F4} · macro-F1 {f.MacroF1:F4}")
            : string.Create(C,
                $"Test accuracy <b>{100 * f.Accuracy:F2}%</b> ({f.Correct} of {f.Total}) after {ends.Count} epoch(s) · mean " +
                $"cross-entropy {f.MeanCrossEntropy:F4} · expected calibration error {f.ExpectedCalibrationError:F4}");
    }

    private sealed record Series(string Name, string Color, List<(double X, double Y)> Points, bool Line, bool Markers,
        bool Dashed = false);

    private static string LossChart(TrainingReport r)
    {
        int bpe = Math.Max(1, r.BatchesPerEpoch);
        var running = r.Rows.Where(x => !x.IsEpochEnd).Select(x => (x.Epoch - 1 + (double)x.Batch / bpe, x.TrainLoss)).ToList();
        var trainEpoch = r.Rows.Where(x => x.IsEpochEnd).Select(x => ((double)x.Epoch, x.TrainLoss)).ToList();
        var test = r.Rows.Where(x => x.IsEpochEnd && x.TestLoss.HasValue).Select(x => ((double)x.Epoch, x.TestLoss!.Value)).ToList();
        var series = new List<Series>();
        if (running.Count > 0) series.Add(new("train (running mean)", "#7aa6d8", running, Line: true, Markers: false));
        series.Add(new("train (epoch mean)", "#1f4e9c", trainEpoch, Line: trainEpoch.Count > 1, Markers: true));
        series.Add(new(r.TestLossName, "#d9661f", test, Line: test.Count > 1, Markers: true, Dashed: true));
        return LineChart(series, "epoch", "loss", yFromZero: true, yMaxCap: null, percent: false, r);
    }

    private static string AccuracyChart(TrainingReport r)
    {
        var acc = r.Rows.Where(x => x.IsEpochEnd).Select(x => ((double)x.Epoch, 100 * x.TestAccuracy!.Value)).ToList();
        var series = new List<Series> { new("test accuracy", "#2c8c4a", acc, Line: acc.Count > 1, Markers: true) };
        // The axis stays within [0, 100]: its padding below a 0% epoch ran to -10% (qa-s21-seen L2).
        return LineChart(series, "epoch", "accuracy (%)", yFromZero: false, yMaxCap: 100, percent: true, r);
    }

    private static string LineChart(List<Series> series, string xLabel, string yLabel, bool yFromZero, double? yMaxCap, bool percent,
        TrainingReport r)
    {
        const double W = 540, H = 330, L = 58, R = 16, T = 34, B = 46;
        double pw = W - L - R, ph = H - T - B;
        var all = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Y)).ToList();
        int epochs = Math.Max(1, r.Rows.Count == 0 ? 1 : r.Rows.Max(x => x.Epoch));
        // The axis spans the points (epoch 1's row, or the first logged batch), not from epoch 0, where no point can be: a 1- or
        // 2-epoch run's points sat at the right of an axis from 0. A single epoch is centred.
        var xs = series.SelectMany(s => s.Points).Select(p => p.X).ToList();
        double xMin = xs.Count == 0 ? 1 : Math.Min(1, xs.Min()), xMax = Math.Max(epochs, xs.Count == 0 ? 1 : xs.Max());
        double xPad = xMax - xMin < 1e-9 ? 0.5 : 0.03 * (xMax - xMin);
        (xMin, xMax) = (xMin - xPad, xMax + xPad);
        // Ticks between epochs only where there are points between epochs (the running loss), and never at 0 or below.
        bool wholeEpochs = xs.All(x => x == Math.Round(x));
        double yMin, yMax;
        if (all.Count == 0) { yMin = 0; yMax = 1; }
        else
        {
            yMin = all.Min(p => p.Y); yMax = all.Max(p => p.Y);
            if (yFromZero) yMin = Math.Min(0, yMin);
            double pad = Math.Max((yMax - yMin) * 0.08, percent ? 0.5 : 1e-3);
            if (!yFromZero) yMin -= pad;
            if (percent) yMin = Math.Max(yMin, 0);
            yMax += pad;
            if (yMaxCap is double cap) yMax = Math.Min(yMax, cap);
            if (yMax <= yMin) yMax = yMin + 1;
        }
        var yTicks = NiceTicks(yMin, yMax, 6);
        var yLabels = TickLabels(yTicks);
        yMin = Math.Min(yMin, yTicks[0]);
        yMax = Math.Max(yMax, yTicks[^1]);
        var xTicks = NiceTicks(xMin, xMax, Math.Clamp(epochs, 2, 10))
            .Where(t => t >= xMin && t <= xMax && t > 1e-9 && (!wholeEpochs || Math.Abs(t - Math.Round(t)) < 1e-9)).ToList();
        double X(double x) => L + (x - xMin) / (xMax - xMin) * pw;
        double Y(double y) => T + (1 - (y - yMin) / (yMax - yMin)) * ph;

        var sb = new StringBuilder();
        sb.Append(string.Create(C, $"<svg width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\">"));
        sb.Append(string.Create(C, $"<rect x=\"{L}\" y=\"{T}\" width=\"{pw}\" height=\"{ph}\" fill=\"#fafafa\" stroke=\"#ccc\"/>"));
        for (int i = 0; i < yTicks.Length; i++)
        {
            double t = yTicks[i];
            if (t < yMin - 1e-12 || t > yMax + 1e-12) continue;
            double y = Y(t);
            sb.Append(string.Create(C, $"<line x1=\"{L}\" x2=\"{L + pw}\" y1=\"{y:F1}\" y2=\"{y:F1}\" stroke=\"#e6e6e6\"/>"));
            sb.Append(string.Create(C,
                $"<text x=\"{L - 6}\" y=\"{y + 4:F1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">{yLabels[i]}</text>"));
        }
        foreach (double t in xTicks)
        {
            double x = X(t);
            sb.Append(string.Create(C, $"<line x1=\"{x:F1}\" x2=\"{x:F1}\" y1=\"{T}\" y2=\"{T + ph}\" stroke=\"#e6e6e6\"/>"));
            sb.Append(string.Create(C,
                $"<text x=\"{x:F1}\" y=\"{T + ph + 16}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">{FormatTick(t)}</text>"));
        }
        sb.Append(string.Create(C,
            $"<text x=\"{L + pw / 2}\" y=\"{H - 8}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333\">{Esc(xLabel)}</text>"));
        sb.Append(string.Create(C,
            $"<text transform=\"translate(14 {T + ph / 2}) rotate(-90)\" font-size=\"12\" text-anchor=\"middle\" " +
            $"fill=\"#333\">{Esc(yLabel)}</text>"));

        foreach (var s in series)
        {
            var pts = s.Points.Where(p => double.IsFinite(p.Y)).ToList();
            if (s.Line && pts.Count > 1)
            {
                sb.Append("<polyline fill=\"none\" stroke=\"").Append(s.Color).Append("\" stroke-width=\"2\"")
                  .Append(s.Dashed ? " stroke-dasharray=\"6 4\"" : "").Append(" points=\"");
                foreach (var p in pts) sb.Append(string.Create(C, $"{X(p.X):F1},{Y(p.Y):F1} "));
                sb.Append("\"/>");
            }
            if (s.Markers)
                foreach (var p in pts)
                    sb.Append(string.Create(C,
                        $"<circle cx=\"{X(p.X):F1}\" cy=\"{Y(p.Y):F1}\" r=\"4\" fill=\"{s.Color}\"><title>{Esc(s.Name)}: epoch " +
                        $"{FormatTick(p.X)}, {p.Y:G5}</title></circle>"));
        }
        // Legend along the top.
        double lx = L;
        foreach (var s in series)
        {
            sb.Append(string.Create(C,
                $"<line x1=\"{lx}\" x2=\"{lx + 18}\" y1=\"{T - 14}\" y2=\"{T - 14}\" stroke=\"{s.Color}\" " +
                $"stroke-width=\"3\"{(s.Dashed ? " stroke-dasharray=\"5 3\"" : "")}/>"));
            sb.Append(string.Create(C, $"<text x=\"{lx + 23}\" y=\"{T - 10}\" font-size=\"12\" fill=\"#333\">{Esc(s.Name)}</text>"));
            lx += 32 + 6.6 * s.Name.Length;
        }
        if (all.Count == 0)
            sb.Append(string.Create(C,
                $"<text x=\"{L + pw / 2}\" y=\"{T + ph / 2}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#999\">no data yet</text>"));
        sb.Append("</svg>");
        return sb.ToString();
    }

    /// <summary>Tick values at 1, 2 or 5 × 10^k covering [lo, hi].</summary>
    internal static double[] NiceTicks(double lo, double hi, int target)
    {
        if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
        double raw = (hi - lo) / Math.Max(1, target);
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double norm = raw / mag;
        double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
        double start = Math.Floor(lo / step + 1e-9) * step;
        var ticks = new List<double>();
        for (double t = start; t < hi + step * 0.999; t += step) ticks.Add(Math.Round(t / step) * step);
        return ticks.ToArray();
    }

    /// <summary>
    /// Labels of a value axis's <see cref="NiceTicks"/> that fit its 52 px left of the plot: as many decimals as the step needs
    /// (a step of 0.0002 read "0" at three), and from 1e5 up a mantissa and exponent, "1.5e36": a diverged run's loss axis was
    /// labelled 1000000000000000000000000000000000000, cut to "00000000" at the page's edge (qa-s21-seen L2).
    /// </summary>
    internal static string[] TickLabels(double[] ticks)
    {
        if (ticks.Length == 0) return [];
        if (ticks.Max(Math.Abs) >= 1e5) return ticks.Select(t => t == 0 ? "0" : t.ToString("0.##e0", C)).ToArray();
        double step = ticks.Length > 1 ? ticks[1] - ticks[0] : 1;
        int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
        string format = decimals == 0 ? "0" : "0." + new string('#', decimals);
        return ticks.Select(t => t.ToString(format, C)).ToArray();
    }

    private static string FormatTick(double v) => Math.Abs(v - Math.Round(v)) < 1e-9 ? Math.Round(v).ToString("0", C)
        : v.ToString("0.###", C);

    /// <summary>Most characters of a class name the confusion matrix's axes show; longer names end in "…" (full in a tooltip).</summary>
    internal const int MaxLabelChars = 32;

    /// <summary>
    /// Width of one character of the 12 px axis labels, a generous average for sans-serif text (lower case is narrower), so the
    /// margins sized from it hold the longest label.
    /// </summary>
    internal const double LabelCharWidth = 12 * 0.62;

    /// <summary>
    /// The class names as the axes show them: whole up to <see cref="MaxLabelChars"/> characters, otherwise cut with "…"; cut
    /// names that would look alike (long names differing only at their end) end in their class index instead, "… #7".
    /// </summary>
    internal static string[] AxisLabels(IReadOnlyList<string> names, int k)
    {
        var labels = new string[k];
        for (int i = 0; i < k; i++)
        {
            string name = Name(names, i);
            labels[i] = name.Length <= MaxLabelChars ? name : Cut(name, MaxLabelChars - 1) + "…";
        }
        var seen = labels.GroupBy(l => l, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        for (int i = 0; i < k; i++)
        {
            if (!seen.Contains(labels[i]) || labels[i].Length == Name(names, i).Length) continue;
            string index = " #" + i.ToString(C);
            labels[i] = Cut(Name(names, i), MaxLabelChars - 1 - index.Length) + "…" + index;
        }
        return labels;

        // The first n characters, never splitting a surrogate pair.
        static string Cut(string s, int n) => char.IsHighSurrogate(s[n - 1]) ? s[..(n - 1)] : s[..n];
    }

    /// <summary>
    /// Side of one confusion-matrix cell, in SVG units: 46 up to 10 classes, 460 / k (at least 14) up to 50, then cells that keep
    /// the matrix about 700 wide, a multiple of 0.1 so that every cell's edge is exact in the one decimal written. The page scales
    /// the SVG down to its width besides (<see cref="Css"/>), so 120 classes no longer make a 1,800 px wide figure.
    /// </summary>
    internal static double MatrixCell(int k) =>
        k <= 10 ? 46 : k <= 50 ? Math.Max(14, 460.0 / k) : Math.Max(0.1, Math.Floor(7000.0 / k) / 10);

    /// <summary>The side of the smallest square a confusion-matrix cell is drawn as, in SVG units.</summary>
    internal const double MinDot = 2.4;

    /// <summary>
    /// Every how many classes an axis is labelled: every class while cells are at least 14 units apart (12 px text), otherwise the
    /// smallest of 2, 5, 10, 20, 50, … that spaces the labels so (the cells' tooltips name every class).
    /// </summary>
    internal static int LabelEvery(double cell)
    {
        const double Gap = 14 - 1e-9;
        if (cell >= Gap) return 1;
        for (int decade = 1; ; decade *= 10)
            foreach (int n in (ReadOnlySpan<int>)[2 * decade, 5 * decade, 10 * decade])
                if (n * cell >= Gap) return n;
    }

    /// <summary>
    /// The confusion matrix as SVG: a white square, and a rect (with a tooltip naming both classes and the count) only for each
    /// cell that is not zero, so its size grows with the samples' confusions rather than with k² (120 classes wrote 14,400 rects,
    /// 2.7 MB). Many classes get smaller cells and a label on every n-th row and column, with a tick.
    /// </summary>
    internal static string ConfusionMatrixSvg(long[,] m, IReadOnlyList<string> names)
    {
        int k = m.GetLength(0);
        double cell = MatrixCell(k);
        int every = LabelEvery(cell);
        var labels = AxisLabels(names, k);
        // Margins sized to the longest label shown: row labels end 6 px left of the matrix and must clear the rotated "true class"
        // (x 14) on their left; column labels rise at 55° from 6 px above it, and the last one leans right past the matrix.
        double longest = 0;
        for (int i = 0; i < k; i += every) longest = Math.Max(longest, labels[i].Length * LabelCharWidth);
        double angle = 55 * Math.PI / 180;
        double left = Math.Max(118, Math.Ceiling(30 + longest)), top = Math.Max(112, Math.Ceiling(12 + longest * Math.Sin(angle)));
        double size = cell * k, W = left + size + Math.Max(70, Math.Ceiling(12 + longest * Math.Cos(angle))), H = top + size + 34;
        var sb = new StringBuilder();
        sb.Append(string.Create(C, $"<svg width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\">"));
        // The zero cells: white, as their rects were.
        sb.Append(string.Create(C, $"<rect x=\"{left:F1}\" y=\"{top:F1}\" width=\"{size:F1}\" height=\"{size:F1}\" fill=\"#fff\"/>"));
        // A white line between cells while they are large enough to spare it; smaller cells touch.
        sb.Append(cell >= 10 ? "<g stroke=\"#fff\">" : "<g>");
        // Cells under 2.4 units (from 292 classes) would be under a pixel on the page, a confusion of a sample or two invisible:
        // each is drawn as a 2.4 square about its centre instead, overlapping its neighbours, the mistakes over the diagonal; the
        // tooltips still say which is which.
        double dot = Math.Max(cell, MinDot), inset = (cell - dot) / 2;
        var (mistakes, counts) = (new StringBuilder(), new StringBuilder());
        for (int t = 0; t < k; t++)
        {
            long rowSum = 0;
            for (int p = 0; p < k; p++) rowSum += m[t, p];
            for (int p = 0; p < k; p++)
            {
                if (m[t, p] == 0) continue;
                double f = (double)m[t, p] / rowSum;
                // Correct predictions shade blue, mistakes orange, both by their share of the row.
                var (r0, g0, b0) = t == p ? (31, 78, 156) : (217, 102, 31);
                double a = t == p ? f : Math.Min(1, f * 2.5);
                int rr = (int)Math.Round(255 + (r0 - 255) * a), gg = (int)Math.Round(255 + (g0 - 255) * a),
                    bb = (int)Math.Round(255 + (b0 - 255) * a);
                double x = left + p * cell, y = top + t * cell;
                (t == p ? sb : mistakes).Append(string.Create(C,
                    $"<rect x=\"{x + inset:F1}\" y=\"{y + inset:F1}\" width=\"{dot:F1}\" height=\"{dot:F1}\" " +
                    $"fill=\"rgb({rr},{gg},{bb})\">" +
                    $"<title>true {Esc(Name(names, t))}, predicted {Esc(Name(names, p))}: {m[t, p]} ({100 * f:F1}% of the " +
                    $"row)</title></rect>"));
                if (cell >= 24)
                {
                    string fill = a > 0.55 ? "#fff" : "#222";
                    counts.Append(string.Create(C,
                        $"<text x=\"{x + cell / 2:F1}\" y=\"{y + cell / 2 + 4:F1}\" font-size=\"{(cell >= 40 ? 12 : 9)}\" " +
                        $"text-anchor=\"middle\" fill=\"{fill}\">{m[t, p]}</text>"));
                }
            }
        }
        sb.Append(mistakes).Append("</g>").Append(counts);
        for (int i = 0; i < k; i += every)
        {
            double c = left + (i + 0.5) * cell;
            double r = top + (i + 0.5) * cell;
            // A cut label keeps the full name as its tooltip.
            string label = labels[i] == Name(names, i) ? Esc(labels[i]) : $"<title>{Esc(Name(names, i))}</title>{Esc(labels[i])}";
            sb.Append(string.Create(C,
                $"<text x=\"{left - 6}\" y=\"{r + 4:F1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#333\">{label}</text>"));
            sb.Append(string.Create(C,
                $"<text transform=\"translate({c + 4:F1} {top - 6}) rotate(-55)\" font-size=\"12\" fill=\"#333\">{label}</text>"));
            // Thinned labels: a tick says which row or column each one names.
            if (every > 1)
                sb.Append(string.Create(C,
                    $"<path d=\"M{left - 4} {r:F1}H{left}M{c:F1} {top - 4}V{top}\" stroke=\"#888\"/>"));
        }
        string thinned = every == 1 ? "" : string.Create(C, $" (every {every}{(every == 2 ? "nd" : "th")} labelled)");
        sb.Append(string.Create(C,
            $"<text x=\"{left + size / 2:F1}\" y=\"{top + size + 22:F1}\" font-size=\"12\" text-anchor=\"middle\" " +
            $"fill=\"#333\">predicted class{thinned}</text>"));
        sb.Append(string.Create(C,
            $"<text transform=\"translate(14 {top + size / 2:F1}) rotate(-90)\" font-size=\"12\" text-anchor=\"middle\" " +
            $"fill=\"#333\">true class{thinned}</text>"));
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string PerClassTable(EvaluationResult f, IReadOnlyList<string> names)
    {
        var sb = new StringBuilder("<table>\n<tr><th>class</th><th>accuracy</th><th></th><th>samples</th></tr>\n");
        var counts = f.Counts;
        for (int t = 0; t < f.PerClassAccuracy.Length; t++)
        {
            long n = counts[t].Tp + counts[t].Fn; // the row's sum
            double a = f.PerClassAccuracy[t];
            string acc = double.IsNaN(a) ? "–" : (100 * a).ToString("F2", C) + "%";
            int bar = double.IsNaN(a) ? 0 : (int)Math.Round(120 * a);
            sb.Append(string.Create(C,
                $"<tr><td class=\"name\">{Esc(Name(names, t))}</td><td class=\"num\">{acc}</td><td><span class=\"bar\" " +
                $"style=\"width:{bar}px\"></span></td><td class=\"num\">{n}</td></tr>\n"));
        }
        sb.Append("</table>\n");
        return ScrollWhenLong(sb.ToString(), f.PerClassAccuracy.Length);
    }

    /// <summary>Classes above which the per-class table scrolls in a box of its own rather than run the page on for k rows.</summary>
    internal const int LongTable = 50;

    /// <summary>
    /// A per-class (or per-label) table of more than <see cref="LongTable"/> rows in a scrolling box, its header kept in view.
    /// </summary>
    internal static string ScrollWhenLong(string table, int rows) =>
        rows > LongTable ? "<div class=\"scroll\">\n" + table + "</div>\n" : table;

    /// <summary>
    /// Classes above which the reports list the <see cref="ConfusedPairs"/>: a matrix that large is hard to read cell by cell.
    /// </summary>
    internal const int ManyClasses = 20;

    /// <summary>How many of the largest off-diagonal cells the "most confused pairs" table lists.</summary>
    internal const int ConfusedPairCount = 20;

    /// <summary>
    /// The off-diagonal cells of a confusion matrix that are not zero, as (true, predicted, count), largest count first, ties in
    /// class order (true class, then predicted) so that the list is the same on every run.
    /// </summary>
    internal static List<(int True, int Predicted, long Count)> ConfusedPairs(long[,] m)
    {
        int k = m.GetLength(0);
        var cells = new List<(int True, int Predicted, long Count)>();
        for (int t = 0; t < k; t++)
            for (int p = 0; p < k; p++)
                if (t != p && m[t, p] != 0) cells.Add((t, p, m[t, p]));
        cells.Sort((a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count) : a.True != b.True ? a.True.CompareTo(b.True)
            : a.Predicted.CompareTo(b.Predicted));
        return cells;
    }

    /// <summary>
    /// The "Most confused pairs" section of a single-label report of more than <see cref="ManyClasses"/> classes (empty otherwise):
    /// the largest off-diagonal cells with each one's share of its true class's samples.
    /// </summary>
    internal static string ConfusedPairsSection(long[,] m, IReadOnlyList<string> names)
    {
        int k = m.GetLength(0);
        if (k <= ManyClasses) return "";
        var all = ConfusedPairs(m);
        var sb = new StringBuilder("<div>\n<h2>Most confused pairs</h2>\n");
        if (all.Count == 0) return sb.Append("<p class=\"sub\">No sample was predicted as another class.</p>\n</div>\n").ToString();
        var pairs = all.Take(ConfusedPairCount).ToList();
        string largest = pairs.Count < all.Count ? pairs.Count.ToString(C) + " largest of the " : "";
        sb.Append(string.Create(C, $"<p class=\"sub\">The {largest}{all.Count} off-diagonal cells of the confusion matrix that are "))
            .Append("not zero: samples of a class predicted as another, most first.</p>\n");
        sb.Append("<table class=\"pairs\">\n<tr><th>true class</th><th>predicted class</th><th>samples</th>" +
            "<th>of the true class</th></tr>\n");
        foreach (var (t, p, count) in pairs)
        {
            long row = 0;
            for (int j = 0; j < k; j++) row += m[t, j];
            sb.Append(string.Create(C,
                $"<tr><td class=\"name\">{Esc(Name(names, t))}</td><td class=\"name\">{Esc(Name(names, p))}</td>" +
                $"<td class=\"num\">{count}</td><td class=\"num\">{100.0 * count / row:F1}%</td></tr>\n"));
        }
        sb.Append("</table>\n</div>\n");
        return sb.ToString();
    }

    internal static string PerLabelTable(EvaluationResult f, IReadOnlyList<string> names)
    {
        // Support, the samples that have the label, as the terminal's table has it (qa-s21-seen L6).
        var sb = new StringBuilder("<table>\n<tr><th>label</th><th>accuracy</th><th>precision</th><th>recall</th><th>F1</th>" +
            "<th>support</th></tr>\n");
        var (p, r, f1) = (f.Precision, f.Recall, f.F1);
        for (int t = 0; t < f.PerClassAccuracy.Length; t++)
        {
            string recall = double.IsNaN(r[t]) ? "–" : r[t].ToString("F4", C); // a label no sample has: undefined
            sb.Append(string.Create(C,
                $"<tr><td class=\"name\">{Esc(Name(names, t))}</td><td class=\"num\">{100 * f.PerClassAccuracy[t]:F2}%</td><td " +
                $"class=\"num\">{p[t]:F4}</td><td class=\"num\">{recall}</td><td class=\"num\">{f1[t]:F4}</td><td " +
                $"class=\"num\">{f.Counts[t].Tp + f.Counts[t].Fn}</td></tr>\n"));
        }
        sb.Append("</table>\n");
        return ScrollWhenLong(sb.ToString(), f.PerClassAccuracy.Length);
    }

    internal static string Name(IReadOnlyList<string> names, int i) => i < names.Count ? names[i] : i.ToString(C);

    internal static string Esc(string s) => WebUtility.HtmlEncode(s);
}
