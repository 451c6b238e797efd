using Xent.Tests.Support;
using Xunit;
using Xent.Diagnostics;

namespace Xent.Tests.Losses;

/// <summary>The softmax-twice diagnostic of <see cref="F.CrossEntropy"/>.</summary>
[Collection(WarningsCollection.Name)]
public class CrossEntropyWarningTests
{
    private static Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed));

    [Fact]
    public void SoftmaxAppliedTwice_WarnsOnce()
    {
        var messages = new List<string>();
        var previous = Warnings.Handler;
        Warnings.Handler = m => { lock (messages) messages.Add(m); };
        try
        {
            Warnings.Reset();
            var probs = F.Softmax(Randn(15, 16, 10), 1);
            F.CrossEntropy(probs, Tensor.RandInt(10, [16], new Generator(16)));
            F.CrossEntropy(probs, Tensor.RandInt(10, [16], new Generator(17)));
            lock (messages) Assert.Single(messages, m => m.Contains("softmax is being applied twice", StringComparison.Ordinal));
        }
        finally
        {
            Warnings.Handler = previous;
        }
    }

    [Fact]
    public void Logits_DoNotWarn()
    {
        var messages = new List<string>();
        var previous = Warnings.Handler;
        Warnings.Handler = m => { lock (messages) messages.Add(m); };
        try
        {
            // Rows of non-negative values that do not sum to 1, and rows with negatives: neither looks like probabilities.
            Warnings.Reset();
            F.CrossEntropy(Tensor.Rand([8, 10], new Generator(18)), Tensor.RandInt(10, [8], new Generator(19)));
            F.CrossEntropy(Randn(20, 8, 10), Tensor.RandInt(10, [8], new Generator(21)));
            lock (messages) Assert.DoesNotContain(messages, m => m.Contains("softmax is being applied twice", StringComparison.Ordinal));
        }
        finally
        {
            Warnings.Handler = previous;
        }
    }
}
