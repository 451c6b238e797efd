using SeedTraining;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Examples;

/// <summary>The second seed's snippets (examples/SeedTraining) against float64 references computed here.</summary>
public class SeedExamplesTests
{
    /// <summary>Mean cross-entropy in float64: log-sum-exp minus the target logit, weighted.</summary>
    private static double ReferenceCrossEntropy(Tensor logits, Tensor targets, float[]? weight = null)
    {
        int n = logits.Size(0), c = logits.Size(1);
        double total = 0, weightSum = 0;
        for (int i = 0; i < n; i++)
        {
            var row = logits.Data.Slice(i * c, c);
            double max = double.NegativeInfinity;
            foreach (float v in row) max = Math.Max(max, v);
            double sum = 0;
            foreach (float v in row) sum += Math.Exp(v - max);
            int t = (int)targets.Int64Data[i];
            double w = weight?[t] ?? 1.0;
            total += w * (max + Math.Log(sum) - row[t]);
            weightSum += w;
        }
        return total / weightSum;
    }

    [Fact]
    public void InitialLossOnRandomDataIsNearLnC()
    {
        for (int seed = 0; seed < 5; seed++)
        {
            var (loss, logits, targets) = SeedExamples.CrossEntropyLossStep(new Generator(seed));
            Check.Close(ReferenceCrossEntropy(logits, targets), loss, 1e-5, what: "loss");
            // Default init gives logits with std ≈ 1/√3, so the expected loss is ln 10 plus a little.
            Assert.InRange(loss, Math.Log(10) - 0.35, Math.Log(10) + 0.6);
        }
    }

    [Fact]
    public void FunctionalCrossEntropyIsNearLnC() =>
        Assert.InRange(SeedExamples.FunctionalCrossEntropy(new Generator(3)), Math.Log(10) - 0.35, Math.Log(10) + 0.6);

    [Fact]
    public void InverseFrequencyWeightsAreNormalisedToTheClassCount()
    {
        float[] counts = [100, 200, 50, 300, 150];
        var w = SeedExamples.InverseFrequencyWeights(counts).ToArray();
        double norm = counts.Sum(c => 1.0 / c);
        for (int i = 0; i < counts.Length; i++) Check.Close(1.0 / counts[i] / norm * counts.Length, w[i], 1e-6);
        Check.Close(counts.Length, w.Sum(), 1e-6);
    }

    [Fact]
    public void WeightedCrossEntropyMatchesReference()
    {
        var (weights, logits, targets, loss) = SeedExamples.WeightedCrossEntropy(new Generator(4));
        Check.Close(ReferenceCrossEntropy(logits, targets, weights.ToArray()), loss, 1e-5);
    }

    [Fact]
    public void MultiLabelBceMatchesReference()
    {
        var (logits, targets, loss) = SeedExamples.MultiLabel(new Generator(5));
        var x = logits.ToArray();
        var y = targets.ToArray();
        double total = 0;
        for (int i = 0; i < x.Length; i++)
            total += -(y[i] * Math.Log(1 / (1 + Math.Exp(-x[i]))) + (1 - y[i]) * Math.Log(1 - 1 / (1 + Math.Exp(-x[i]))));
        Check.Close(total / x.Length, loss, 1e-5);
        for (int i = 0; i < 100; i++)
        {
            double labels = y.AsSpan(i * 10, 10).ToArray().Sum();
            Assert.InRange(labels, 1, 3);
        }
    }

    [Fact]
    public void LinearModelWithSgdLearnsSeparableData()
    {
        var (accuracy, first, last) = SeedExamples.TrainSeparable(seed: 7);
        Assert.True(accuracy > 0.95, $"test accuracy {accuracy:P2} should exceed 95%");
        Assert.True(last < first, $"loss should fall: {first} -> {last}");
    }
}
