using System.Text.Json;
using Xent.Tests.Support;

namespace Xent.Tests.Kernels;

/// <summary>One problem for the fused linear cross-entropy: inputs and options.</summary>
internal sealed record LinearCeProblem(float[] Hidden, float[] Weight, float[] Bias, long[] Targets, int D, float[] ClassWeight,
    long IgnoreIndex, float Eps, float Z, float Cap)
{
    public int N => Targets.Length;
    public int V => Weight.Length / D;

    /// <summary>A random problem; <paramref name="ignored"/> rows get the ignore index.</summary>
    public static LinearCeProblem Random(int seed, int n, int d, int v, bool bias, bool classWeight, int ignored,
        long ignoreIndex = -100, float eps = 0f, float z = 0f, float cap = 0f, float scale = 1f)
    {
        var rnd = new Random(seed);
        var t = new long[n];
        for (int i = 0; i < n; i++) t[i] = rnd.Next(v);
        for (int k = 0; k < ignored; k++) t[rnd.Next(n)] = ignoreIndex;
        return new LinearCeProblem(
            KernelTestUtil.RandomArray(rnd, n * d, scale), KernelTestUtil.RandomArray(rnd, v * d, 1f / MathF.Sqrt(d)),
            bias ? KernelTestUtil.RandomArray(rnd, v, 0.5f) : [], t, d,
            classWeight ? Enumerable.Range(0, v).Select(_ => (float)(rnd.NextDouble() * 1.5 + 0.25)).ToArray() : [],
            ignoreIndex, eps, z, cap);
    }
}

/// <summary>
/// The unfused computation in float64, written independently of the library: materialise all
/// N×V logits, apply the cap, log-softmax, PyTorch's cross-entropy formulas and the z-loss.
/// </summary>
internal static class LinearCrossEntropyReference
{
    public sealed record Result(double[] Loss, double Denominator, double[] GradHidden, double[] GradWeight, double[] GradBias);

    /// <param name="rowGrad">Upstream gradient per row (d objective / d loss_i).</param>
    public static Result Compute(LinearCeProblem p, double[] rowGrad)
    {
        int n = p.N, d = p.D, v = p.V;
        var y = new double[n * v];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < v; c++)
            {
                double s = p.Bias.Length > 0 ? p.Bias[c] : 0;
                for (int k = 0; k < d; k++) s += (double)p.Hidden[i * d + k] * p.Weight[c * d + k];
                y[i * v + c] = p.Cap > 0 ? p.Cap * Math.Tanh(s / p.Cap) : s;
            }
        double W(int c) => p.ClassWeight.Length > 0 ? p.ClassWeight[c] : 1.0;
        double wTotal = 0;
        for (int c = 0; c < v; c++) wTotal += W(c);
        var loss = new double[n];
        var gh = new double[n * d];
        var gw = new double[v * d];
        var gb = new double[v];
        double denominator = 0;
        for (int i = 0; i < n; i++)
        {
            long t = p.Targets[i];
            if (t == p.IgnoreIndex) continue;
            double m = double.NegativeInfinity, s = 0;
            for (int c = 0; c < v; c++) m = Math.Max(m, y[i * v + c]);
            for (int c = 0; c < v; c++) s += Math.Exp(y[i * v + c] - m);
            double lse = m + Math.Log(s);
            denominator += W((int)t);
            double nll = lse - y[i * v + t], smooth = 0;
            for (int c = 0; c < v; c++) smooth += W(c) * (lse - y[i * v + c]);
            loss[i] = (1 - p.Eps) * W((int)t) * nll + p.Eps / v * smooth + p.Z * lse * lse;
            for (int c = 0; c < v; c++)
            {
                double prob = Math.Exp(y[i * v + c] - lse);
                double g = (1 - p.Eps) * W((int)t) * (prob - (c == t ? 1 : 0)) + p.Eps / v * (wTotal * prob - W(c)) + 2 * p.Z * lse * prob;
                if (p.Cap > 0) g *= 1 - (y[i * v + c] / p.Cap) * (y[i * v + c] / p.Cap);
                g *= rowGrad[i];
                gb[c] += g;
                for (int k = 0; k < d; k++)
                {
                    gh[i * d + k] += g * p.Weight[c * d + k];
                    gw[c * d + k] += g * p.Hidden[i * d + k];
                }
            }
        }
        return new Result(loss, denominator, gh, gw, gb);
    }

    public static float[] ToFloat(double[] x) => x.Select(v => (float)v).ToArray();

    /// <summary>allclose with atol relative to the largest expected magnitude (gradients span several decades).</summary>
    public static void CloseScaled(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double relAtol, string what)
    {
        double max = 0;
        foreach (float e in expected) if (float.IsFinite(e)) max = Math.Max(max, Math.Abs(e));
        Check.Close(expected, actual, rtol, relAtol * max + 1e-30, what);
    }
}

/// <summary>A case of tools/golden/data/linear_ce (written by tools/golden/gen_linear_ce.py).</summary>
public sealed record LinearCeGoldenCase(string Name, int N, int D, int V, bool HasBias, bool HasClassWeight, long IgnoreIndex,
    float LabelSmoothing, float ZLoss, float? Softcap, string[] Grads)
{
    public const string Area = "linear_ce";

    public static IEnumerable<object[]> All()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Golden.PathOf(Area, "cases.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            yield return [c.GetProperty("name").GetString()!];
    }

    public static LinearCeGoldenCase Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Golden.PathOf(Area, "cases.json")));
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var cap = c.GetProperty("softcap");
        return new LinearCeGoldenCase(name, c.GetProperty("n").GetInt32(), c.GetProperty("d").GetInt32(), c.GetProperty("v").GetInt32(),
            c.GetProperty("has_bias").GetBoolean(), c.GetProperty("has_class_weight").GetBoolean(),
                c.GetProperty("ignore_index").GetInt64(),
            (float)c.GetProperty("label_smoothing").GetDouble(), (float)c.GetProperty("z_loss").GetDouble(),
            cap.ValueKind == JsonValueKind.Null ? null : (float)cap.GetDouble(),
            c.GetProperty("grads").EnumerateArray().Select(g => g.GetString()!).ToArray());
    }

    public Tensor Get(string file) => Golden.Load(Area, Name + "/" + file);
    public Tensor? GetOptional(string file, bool present) => present ? Get(file) : null;
}
