using System.Globalization;
using System.Net;
using System.Text;

namespace Xent.Training;

/// <summary>
/// Reliability diagrams (DeGroot and Fienberg; Guo et al. 2017): per equal-width confidence bin, the accuracy of the samples
/// in it against their confidence. A calibrated model's bars sit on the diagonal; bars below it mean over-confidence.
/// <see cref="Svg"/> draws one model's bins, or the bins before and after temperature scaling side by side in each bin,
/// as a self-contained inline SVG for the HTML report (no scripts, no external resources).
/// </summary>
public static class ReliabilityDiagram
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>
    /// The bins of <paramref name="confidences"/> (in [0, 1]) with <see cref="Metrics.CalibrationBin"/>'s edges, the ECE's.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static ReliabilityBin[] Bins(ReadOnlySpan<double> confidences, ReadOnlySpan<bool> correct,
        int bins = Metrics.DefaultCalibrationBins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        if (confidences.Length != correct.Length)
            throw new ArgumentException($"Expected as many correctness flags ({correct.Length}) as confidences ({confidences.Length}).",
                nameof(correct));
        var count = new long[bins];
        var conf = new double[bins];
        var right = new long[bins];
        for (int i = 0; i < confidences.Length; i++)
        {
            int b = Metrics.CalibrationBin(confidences[i], bins);
            count[b]++;
            conf[b] += confidences[i];
            if (correct[i]) right[b]++;
        }
        var result = new ReliabilityBin[bins];
        for (int b = 0; b < bins; b++)
            result[b] = new ReliabilityBin((double)b / bins, (double)(b + 1) / bins, count[b],
                count[b] == 0 ? double.NaN : conf[b] / count[b], count[b] == 0 ? double.NaN : (double)right[b] / count[b]);
        return result;
    }

    /// <summary>The bins of softmax(logits / T) (see <see cref="TemperatureScaling.Confidences"/>).</summary>
    public static ReliabilityBin[] Bins(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, double temperature = 1,
        int bins = Metrics.DefaultCalibrationBins)
    {
        var confidence = new double[targets.Length];
        var correct = new bool[targets.Length];
        TemperatureScaling.Confidences(logits, targets, classes, temperature, confidence, correct);
        return Bins(confidence, correct, bins);
    }

    /// <summary>Plot width and height in pixels.</summary>
    public const int Width = 420, Height = 360;

    private const int Left = 52, Right = 16, Top = 28, Bottom = 44;

    /// <summary>Bar colours: before (or the only series) and after calibration.</summary>
    public const string BeforeColor = "#d9855b", AfterColor = "#4f86c6";

    /// <summary>
    /// An inline SVG reliability diagram: accuracy bars per confidence bin (empty bins drawn as nothing), the diagonal of
    /// perfect calibration, axes with ticks at 0, 0.2, …, 1, and a legend. With <paramref name="after"/>, each bin shows the
    /// two bars side by side. Each bar has a <c>&lt;title&gt;</c> (hover text) with its range, count, confidence and accuracy.
    /// </summary>
    /// <param name="before">Bins of the uncalibrated model (or of the only model).</param>
    /// <param name="after">Bins after calibration with the same edges, or null.</param>
    /// <param name="beforeLabel">Legend text of <paramref name="before"/>, e.g. "T = 1 (ECE 0.081)".</param>
    /// <param name="afterLabel">Legend text of <paramref name="after"/>.</param>
    /// <exception cref="ArgumentException">No bins, or the two series have different bins.</exception>
    public static string Svg(IReadOnlyList<ReliabilityBin> before, IReadOnlyList<ReliabilityBin>? after = null,
        string beforeLabel = "uncalibrated", string afterLabel = "calibrated")
    {
        ArgumentNullException.ThrowIfNull(before);
        if (before.Count == 0) throw new ArgumentException("A reliability diagram needs at least one bin.", nameof(before));
        if (after is not null && (after.Count != before.Count
            || after.Zip(before).Any(p => p.First.Lower != p.Second.Lower || p.First.Upper != p.Second.Upper)))
            throw new ArgumentException("The calibrated bins must have the uncalibrated bins' edges.", nameof(after));
        double pw = Width - Left - Right, ph = Height - Top - Bottom;
        string X(double v) => (Left + v * pw).ToString("0.##", C);
        string Y(double v) => (Top + (1 - v) * ph).ToString("0.##", C);
        var sb = new StringBuilder();
        sb.Append(string.Create(C,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" " +
            $"role=\"img\">"));
        sb.Append("<title>Reliability diagram</title>");
        // Grid, axes and ticks.
        for (int k = 0; k <= 5; k++)
        {
            double v = k / 5.0;
            sb.Append($"<line x1=\"{X(0)}\" y1=\"{Y(v)}\" x2=\"{X(1)}\" y2=\"{Y(v)}\" stroke=\"#eee\"/>");
            sb.Append($"<text x=\"{Left - 6}\" y=\"{Y(v)}\" font-size=\"11\" text-anchor=\"end\" " +
                $"dominant-baseline=\"middle\">{v.ToString("0.0", C)}</text>");
            sb.Append($"<text x=\"{X(v)}\" y=\"{Top + ph + 14}\" font-size=\"11\" text-anchor=\"middle\">{v.ToString("0.0", C)}</text>");
        }
        // Bars: one or two per bin.
        int series = after is null ? 1 : 2;
        for (int s = 0; s < series; s++)
        {
            var bins = s == 0 ? before : after!;
            string color = s == 0 ? BeforeColor : AfterColor;
            foreach (var b in bins)
            {
                if (b.Count == 0 || double.IsNaN(b.Accuracy)) continue;
                double w = (b.Upper - b.Lower) / series;
                double x0 = b.Lower + s * w;
                string tip =
                    string.Create(C,
                    $"{(s == 0 ? beforeLabel : afterLabel)}: confidence ({b.Lower:0.###}, {b.Upper:0.###}], {b.Count} sample(s), mean " +
                    $"confidence {b.MeanConfidence:0.###}, accuracy {b.Accuracy:0.###}");
                sb.Append(string.Create(C,
                    $"<rect class=\"bin s{s}\" x=\"{X(x0)}\" y=\"{Y(b.Accuracy)}\" width=\"{(w * pw - 1).ToString("0.##", C)}\" " +
                    $"height=\"{(b.Accuracy * ph).ToString("0.##", C)}\" fill=\"{color}\" fill-opacity=\"0.85\" " +
                    $"data-accuracy=\"{b.Accuracy.ToString("R", C)}\" data-count=\"{b.Count}\">"))
                  .Append("<title>").Append(WebUtility.HtmlEncode(tip)).Append("</title></rect>");
            }
        }
        sb.Append($"<line x1=\"{X(0)}\" y1=\"{Y(0)}\" x2=\"{X(1)}\" y2=\"{Y(1)}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>");
        sb.Append($"<rect x=\"{X(0)}\" y=\"{Y(1)}\" width=\"{pw.ToString("0.##", C)}\" height=\"{ph.ToString("0.##", C)}\" fill=\"none\" " +
            "stroke=\"#999\"/>");
        sb.Append($"<text x=\"{X(0.5)}\" y=\"{Height - 8}\" font-size=\"12\" text-anchor=\"middle\">confidence (max softmax " +
            "probability)</text>");
        sb.Append($"<text x=\"14\" y=\"{Y(0.5)}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 " +
            $"{Y(0.5)})\">accuracy</text>");
        // Legend, top left inside the plot (the diagonal runs from bottom left to top right).
        for (int s = 0; s < series; s++)
        {
            double ly = Top + 8 + s * 16;
            sb.Append(string.Create(C,
                $"<rect x=\"{Left + 8}\" y=\"{ly}\" width=\"10\" height=\"10\" fill=\"{(s == 0 ? BeforeColor : AfterColor)}\"/>"));
            sb.Append(string.Create(C,
                $"<text x=\"{Left + 22}\" y=\"{ly + 9}\" " +
                $"font-size=\"11\">{WebUtility.HtmlEncode(s == 0 ? beforeLabel : afterLabel)}</text>"));
        }
        sb.Append("</svg>");
        return sb.ToString();
    }
}
