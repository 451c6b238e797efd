using Microsoft.ML.OnnxRuntime;
using Xent.NN;

namespace Xent.Onnx.Tests.Support;

/// <summary>
/// Runs exported models in ONNX Runtime and compares them with Xent's own forward pass on the same raw inputs.
/// Set <c>XENT_ONNX_DUMP</c> to a folder to keep every model a test exports there (tools/onnx/check.sh
/// runs the ONNX checker on them).
/// </summary>
internal static class OnnxCheck
{
    /// <summary>The bound the issue sets on |probability(ORT) − probability(Xent)|.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>Exports, optionally dumps, and opens the model in ONNX Runtime.</summary>
    public static InferenceSession Export(Module model, OnnxExportOptions options, string dumpName)
    {
        byte[] bytes = OnnxExporter.ExportToArray(model, options);
        if (Environment.GetEnvironmentVariable("XENT_ONNX_DUMP") is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, dumpName + ".onnx"), bytes);
        }
        return new InferenceSession(bytes);
    }

    /// <summary>Runs <paramref name="session"/> on a (batch, …sample) float32 input; returns its two outputs, row-major.</summary>
    public static (float[] Logits, float[] Probabilities) Run(InferenceSession session, float[] input, int[] shape)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape.Select(d => (long)d).ToArray());
        using var options = new RunOptions();
        using var outputs = session.Run(options, [OnnxExporter.InputName], [value],
            [OnnxExporter.LogitsName, OnnxExporter.ProbabilitiesName]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
    }

    /// <summary>
    /// Xent's answer for the same raw input: standardise as the data pipeline does, forward in eval mode, then
    /// softmax (or sigmoid) of logits / T.
    /// </summary>
    public static (float[] Logits, float[] Probabilities) Reference(Module model, OnnxExportOptions options, float[] raw, int[] shape)
    {
        var x = (float[])raw.Clone();
        if (options.Mean is { } mean && options.Std is { } std)
        {
            int stats = shape[1], inner = x.Length / shape[0] / stats;
            for (int i = 0; i < x.Length; i++)
            {
                int c = i / inner % stats;
                if (options.ImputeMissing && float.IsNaN(x[i])) x[i] = mean[c];
                x[i] = (x[i] - mean[c]) / std[c];
            }
        }
        model.Eval();
        using (Tensor.NoGrad())
        {
            var logits = model.Forward(Tensor.FromArray(x, shape));
            var scaled = options.Temperature == 1f ? logits : logits / options.Temperature;
            var p = options.MultiLabel ? scaled.Sigmoid() : F.Softmax(scaled, 1);
            return (logits.ToArray(), p.ToArray());
        }
    }

    /// <summary>Random raw inputs in [lo, hi), deterministic per seed.</summary>
    public static float[] RandomInput(int count, int seed, float lo = 0f, float hi = 1f)
    {
        var rng = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < x.Length; i++) x[i] = lo + (hi - lo) * rng.NextSingle();
        return x;
    }

    /// <summary>Runs ORT and Xent on <paramref name="batch"/> random samples and asserts max |Δp| ≤ 1e-5; returns it.</summary>
    public static double AssertMatches(InferenceSession session, Module model, OnnxExportOptions options, int batch, int seed,
        float lo = 0f, float hi = 1f, Action<float[]>? edit = null)
    {
        int[] shape = [batch, .. options.InputShape];
        var raw = RandomInput(shape.Aggregate(1, (a, b) => a * b), seed, lo, hi);
        edit?.Invoke(raw);
        var (ortLogits, ortP) = Run(session, raw, shape);
        var (refLogits, refP) = Reference(model, options, raw, shape);
        Assert.Equal(refP.Length, ortP.Length);
        Assert.Equal(refLogits.Length, ortLogits.Length);
        double maxDp = 0, maxDLogit = 0, scale = 1;
        for (int i = 0; i < refP.Length; i++)
        {
            maxDp = Math.Max(maxDp, Math.Abs(refP[i] - ortP[i]));
            maxDLogit = Math.Max(maxDLogit, Math.Abs(refLogits[i] - ortLogits[i]));
            scale = Math.Max(scale, Math.Abs(refLogits[i]));
        }
        Assert.True(maxDp <= Tolerance, $"max |Δp| = {maxDp:E2} > {Tolerance:E0} at batch {batch}");
        // The logits output is the raw logits, unscaled by the temperature: float32 agreement relative to their size.
        Assert.True(maxDLogit <= 1e-5 * scale, $"max |Δlogit| = {maxDLogit:E2} (largest |logit| {scale:F2})");
        return maxDp;
    }
}
