using Xent.NN;
using Xunit;

namespace Xent.Tests.NN;

/// <summary>Initialisers against their analytic distributions: bounds and variance.</summary>
public class InitTests
{
    /// <summary>Asserts every value lies in [−bound, bound] and the sample variance is within 5% of bound²/3 (uniform).</summary>
    private static void AssertUniform(ReadOnlySpan<float> values, double bound)
    {
        double sum = 0, sq = 0;
        foreach (float v in values)
        {
            Assert.InRange(v, -(float)bound, (float)bound);
            sum += v; sq += (double)v * v;
        }
        int n = values.Length;
        double mean = sum / n, variance = sq / n - mean * mean, expected = bound * bound / 3;
        // Mean within 5 standard errors of 0; variance of U(-b, b) is b²/3.
        Assert.InRange(mean, -5 * Math.Sqrt(expected / n), 5 * Math.Sqrt(expected / n));
        Assert.InRange(variance, expected * 0.95, expected * 1.05);
    }

    [Fact]
    public void LinearDefaultIsUniformOneOverSqrtFanIn()
    {
        var layer = new Linear(400, 300, generator: new Generator(1));
        AssertUniform(layer.Weight.Data, 1 / Math.Sqrt(400));
        Assert.All(layer.Bias!.ToArray(), v => Assert.InRange(v, -0.05f, 0.05f)); // |b| ≤ 1/√400
        Assert.Equal([300, 400], layer.Weight.Shape);
        Assert.Equal(["weight", "bias"], layer.NamedParameters().Select(p => p.Key));
        Assert.True(layer.Weight.RequiresGrad);
    }

    [Fact]
    public void Conv2dDefaultUsesReceptiveFieldFanIn()
    {
        var conv = new Conv2d(32, 64, 3, generator: new Generator(2));
        Assert.Equal([64, 32, 3, 3], conv.Weight.Shape);
        AssertUniform(conv.Weight.Data, 1 / Math.Sqrt(32 * 9));
        var big = new Conv2d(16, 1000, (1, 2), bias: true, generator: new Generator(3));
        AssertUniform(big.Bias!.Data, 1 / Math.Sqrt(16 * 2));
        Assert.Null(new Conv2d(1, 2, 3, bias: false).Bias);
        Assert.Equal(["weight"], new Conv2d(1, 2, 3, bias: false).NamedParameters().Select(p => p.Key));
    }

    [Fact]
    public void KaimingAndXavierMatchPyTorchFormulas()
    {
        var w = Tensor.Zeros(500, 200);
        Init.KaimingUniform_(w, generator: new Generator(4)); // leaky_relu, a = 0: gain √2, bound √(6/fan_in)
        AssertUniform(w.Data, Math.Sqrt(6.0 / 200));
        Init.KaimingUniform_(w, mode: FanMode.FanOut, nonlinearity: Nonlinearity.Relu, generator: new Generator(5));
        AssertUniform(w.Data, Math.Sqrt(6.0 / 500));
        Init.XavierUniform_(w, gain: 2, generator: new Generator(6));
        AssertUniform(w.Data, 2 * Math.Sqrt(6.0 / 700));

        Init.KaimingNormal_(w, generator: new Generator(7));
        AssertNormal(w.Data, 0, Math.Sqrt(2.0 / 200));
        Init.XavierNormal_(w, generator: new Generator(8));
        AssertNormal(w.Data, 0, Math.Sqrt(2.0 / 700));
        Init.Normal_(w, 3, 0.5, new Generator(9));
        AssertNormal(w.Data, 3, 0.5);
    }

    private static void AssertNormal(ReadOnlySpan<float> values, double mean, double std)
    {
        double sum = 0, sq = 0;
        foreach (float v in values) { sum += v; sq += (double)v * v; }
        int n = values.Length;
        double m = sum / n, variance = sq / n - m * m;
        Assert.InRange(m, mean - 5 * std / Math.Sqrt(n), mean + 5 * std / Math.Sqrt(n));
        Assert.InRange(variance, std * std * 0.97, std * std * 1.03);
    }

    [Fact]
    public void GainsAndFans()
    {
        Assert.Equal(Math.Sqrt(2.0 / (1 + 5.0)), Init.CalculateGain(Nonlinearity.LeakyRelu, Math.Sqrt(5)), 12);
        Assert.Equal(Math.Sqrt(2.0 / (1 + 1e-4)), Init.CalculateGain(Nonlinearity.LeakyRelu), 12);
        Assert.Equal(5.0 / 3, Init.CalculateGain(Nonlinearity.Tanh), 12);
        Assert.Equal((9, 288), Init.CalculateFanInAndFanOut(Tensor.Zeros(32, 1, 3, 3)));
        Assert.Throws<ArgumentException>(() => Init.CalculateFanInAndFanOut(Tensor.Zeros(5)));
        var t = Tensor.Zeros(3, 3);
        Init.Ones_(t);
        Assert.All(t.ToArray(), v => Assert.Equal(1f, v));
        Init.Zeros_(t);
        Assert.All(t.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void DefaultGeneratorMakesModelsReproducible()
    {
        Tensor.ManualSeed(42);
        var a = new Xent.Models.MnistCnn();
        Tensor.ManualSeed(42);
        var b = new Xent.Models.MnistCnn();
        foreach (var ((name, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
            Assert.True(pa.Data.SequenceEqual(pb.Data), name);
    }
}
