namespace Xent.Tests.Support;

/// <summary>
/// Compares autograd gradients of <c>sum(f(inputs) · R)</c> with central finite differences
/// whose objective is accumulated in float64. R is a fixed random tensor so every output element matters.
/// </summary>
public static class GradCheck
{
    public static void Check(
        Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-2, double rtol = 2e-3, double atol = 2e-3, int seed = 7)
    {
        foreach (var x in inputs) if (x.DType == DType.Float32) x.RequiresGrad = true;
        var output = f(inputs);
        var r = Tensor.Randn(output.Shape, new Generator(seed));
        (output * r).Sum().Backward();
        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            if (x.DType != DType.Float32) continue;
            var data = x.Data;
            var analytic = x.Grad!.ToArray();
            for (int i = 0; i < data.Length; i++)
            {
                float saved = data[i];
                data[i] = saved + (float)eps;
                double plus = Objective(f, inputs, r);
                data[i] = saved - (float)eps;
                double minus = Objective(f, inputs, r);
                data[i] = saved;
                double numeric = (plus - minus) / (2 * eps);
                Support.Check.Close(numeric, analytic[i], rtol, atol, $"d/d input{k}[{i}]");
            }
        }
    }

    private static double Objective(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor r)
    {
        using var _ = Tensor.NoGrad();
        var y = f(inputs).Data;
        var w = r.Data;
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += (double)y[i] * w[i];
        return s;
    }
}
