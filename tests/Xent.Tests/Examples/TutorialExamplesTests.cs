using TutorialTraining;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Examples;

/// <summary>The PyTorch tutorial's snippets (examples/TutorialTraining) against float64 references computed here.</summary>
public class TutorialExamplesTests
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
            var (loss, logits, targets) = TutorialExamples.CrossEntropyLossStep(new Generator(seed));
            Check.Close(ReferenceCrossEntropy(logits, targets), loss, 1e-5, what: "loss");
            // Default init gives logits with std ≈ 1/√3, so the expected loss is ln 10 plus a little.
            Assert.InRange(loss, Math.Log(10) - 0.35, Math.Log(10) + 0.6);
        }
    }

    [Fact]
    public void FunctionalCrossEntropyMatchesAFloat64Reference()
    {
        float loss = TutorialExamples.FunctionalCrossEntropy(new Generator(3));
        // The same draws from the same seed, then logits = x·Wᵀ + b and the loss in float64, without Xent's ops.
        var generator = new Generator(3);
        var model = new SimpleModel(TutorialExamples.InputSize, TutorialExamples.NumClasses, generator);
        var inputs = Tensor.Randn([100, TutorialExamples.InputSize], generator);
        var targets = Tensor.RandInt(0, TutorialExamples.NumClasses, [100], generator);
        var state = model.StateDict();
        float[] w = state["linear.weight"].ToArray(), b = state["linear.bias"].ToArray(), x = inputs.ToArray();
        int d = TutorialExamples.InputSize, c = TutorialExamples.NumClasses;
        var logits = new float[100 * c];
        for (int i = 0; i < 100; i++)
            for (int k = 0; k < c; k++)
            {
                double z = b[k];
                for (int j = 0; j < d; j++) z += (double)x[i * d + j] * w[k * d + j];
                logits[i * c + k] = (float)z;
            }
        Check.Close(ReferenceCrossEntropy(Tensor.FromArray(logits, [100, c]), targets), loss, 1e-5, what: "loss");
        Assert.InRange(loss, Math.Log(10) - 0.35, Math.Log(10) + 0.6); // an untrained model knows nothing: about ln 10
    }

    [Fact]
    public void InverseFrequencyWeightsAreNormalisedToTheClassCount()
    {
        float[] counts = [100, 200, 50, 300, 150];
        var w = TutorialExamples.InverseFrequencyWeights(counts).ToArray();
        double norm = counts.Sum(c => 1.0 / c);
        for (int i = 0; i < counts.Length; i++) Check.Close(1.0 / counts[i] / norm * counts.Length, w[i], 1e-6);
        Check.Close(counts.Length, w.Sum(), 1e-6);
    }

    [Fact]
    public void WeightedCrossEntropyMatchesReference()
    {
        var (weights, logits, targets, loss) = TutorialExamples.WeightedCrossEntropy(new Generator(4));
        Check.Close(ReferenceCrossEntropy(logits, targets, weights.ToArray()), loss, 1e-5);
    }

    [Fact]
    public void MultiLabelBceMatchesReference()
    {
        var (logits, targets, loss) = TutorialExamples.MultiLabel(new Generator(5));
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
        var (accuracy, first, last) = TutorialExamples.TrainSeparable(seed: 7);
        Assert.True(accuracy > 0.95, $"test accuracy {accuracy:P2} should exceed 95%");
        Assert.True(last < first, $"loss should fall: {first} -> {last}");
    }
}
