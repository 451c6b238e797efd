namespace Xent.Distributed.TestHost;

/// <summary>
/// One vocabulary-parallel test problem, generated identically by the MPI test host (each rank) and by the tests
/// (single process): hidden states, the whole weight, bias and class weights, targets (some ignored) and the options.
/// </summary>
public sealed record LinearCeCase(
    int N, int D, int V, bool Bias, bool Weighted, bool Ignore, float Smoothing, float ZLoss, float? Softcap, Reduction Reduction)
{
    private static readonly System.Globalization.CultureInfo Ci = System.Globalization.CultureInfo.InvariantCulture;

    public const long IgnoreIndex = -100;

    /// <summary>The command-line form the host parses back with <see cref="Parse"/>.</summary>
    public string[] ToArgs() =>
    [
        N.ToString(Ci), D.ToString(Ci), V.ToString(Ci), Bias ? "bias" : "-", Weighted ? "weighted" : "-", Ignore ? "ignore" : "-",
        Smoothing.ToString("R", Ci), ZLoss.ToString("R", Ci), Softcap?.ToString("R", Ci) ?? "-", Reduction.ToString(),
    ];

    public static LinearCeCase Parse(ReadOnlySpan<string> a)
    {
        return new(int.Parse(a[0], Ci), int.Parse(a[1], Ci), int.Parse(a[2], Ci), a[3] == "bias", a[4] == "weighted", a[5] == "ignore",
            float.Parse(a[6], Ci), float.Parse(a[7], Ci), a[8] == "-" ? null : float.Parse(a[8], Ci), Enum.Parse<Reduction>(a[9]));
    }

    /// <summary>The inputs: fixed by the sizes alone (seeded), so every process builds the same ones.</summary>
    public (float[] Hidden, float[] Weight, float[]? BiasValues, float[]? ClassWeight, long[] Target, float[] Upstream) Inputs()
    {
        var rnd = new Random(1234 + N * 31 + V);
        float[] Uniform(int length, float scale) => [.. Enumerable.Range(0, length).Select(_ => (float)(rnd.NextDouble() * 2 - 1) * scale)];
        var h = Uniform(N * D, 1f);
        var w = Uniform(V * D, 2f / MathF.Sqrt(D));
        var b = Bias ? Uniform(V, 0.5f) : null;
        float[]? cw = Weighted ? [.. Enumerable.Range(0, V).Select(_ => (float)(0.25 + rnd.NextDouble() * 2))] : null;
        var t = Enumerable.Range(0, N).Select(_ => (long)rnd.Next(V)).ToArray();
        if (Ignore) for (int i = 0; i < N; i += 5) t[i] = IgnoreIndex;
        // Upstream gradient for Reduction.None: not all ones, so the per-row scaling is exercised.
        float[] g = [.. Enumerable.Range(0, N).Select(i => 0.5f + (i % 4) * 0.25f)];
        return (h, w, b, cw, t, g);
    }
}
