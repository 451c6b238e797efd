namespace Xent.Tests.Kernels;

/// <summary>Float64 references for the cross-entropy family, written from the formulas, not from the kernels.</summary>
internal static class CeReference
{
    public static double[] LogSoftmax(ReadOnlySpan<double> x)
    {
        double m = double.NegativeInfinity;
        foreach (double v in x) m = Math.Max(m, v);
        double s = 0;
        foreach (double v in x) s += Math.Exp(v - m);
        var y = new double[x.Length];
        for (int c = 0; c < x.Length; c++) y[c] = x[c] - m - Math.Log(s);
        return y;
    }

    /// <summary>Per-row loss with class-index targets (PyTorch semantics; ignored rows 0).</summary>
    public static double[] IndexLoss(double[] x, long[] t, int classes, double[]? w, long ignore, double eps)
    {
        var loss = new double[t.Length];
        for (int i = 0; i < t.Length; i++)
        {
            if (t[i] == ignore) continue;
            var lp = LogSoftmax(x.AsSpan(i * classes, classes));
            double wt = w?[t[i]] ?? 1;
            loss[i] = -wt * lp[t[i]];
            if (eps == 0) continue; // no smoothing term at all (0·inf would be NaN with −inf logits)
            double smooth = 0;
            for (int c = 0; c < classes; c++) smooth -= (w?[c] ?? 1) * lp[c];
            loss[i] = (1 - eps) * loss[i] + eps / classes * smooth;
        }
        return loss;
    }

    public static double IndexDenominator(long[] t, double[]? w, long ignore) => t.Where(v => v != ignore).Sum(v => w?[v] ?? 1);

    /// <summary>Per-row loss with probability targets.</summary>
    public static double[] ProbLoss(double[] x, double[] q, int classes, double[]? w, double eps)
    {
        int rows = x.Length / classes;
        var loss = new double[rows];
        for (int i = 0; i < rows; i++)
        {
            var lp = LogSoftmax(x.AsSpan(i * classes, classes));
            for (int c = 0; c < classes; c++) loss[i] -= (w?[c] ?? 1) * (q[i * classes + c] * (1 - eps) + eps / classes) * lp[c];
        }
        return loss;
    }

    /// <summary>Central finite differences of f at x, in float64.</summary>
    public static double[] FiniteDifferences(Func<double[], double> f, double[] x, double h = 1e-6)
    {
        var g = new double[x.Length];
        var xp = (double[])x.Clone();
        for (int i = 0; i < x.Length; i++)
        {
            double hi = h * Math.Max(1, Math.Abs(x[i]));
            xp[i] = x[i] + hi; double fp = f(xp);
            xp[i] = x[i] - hi; double fm = f(xp);
            xp[i] = x[i];
            g[i] = (fp - fm) / (2 * hi);
        }
        return g;
    }

    public static double[] ToDouble(float[] a) => Array.ConvertAll(a, v => (double)v);
    public static float[] ToFloat(double[] a) => Array.ConvertAll(a, v => (float)v);

    public static float[] RandomLogits(Random rng, int n, double scale = 3) =>
        Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
}
