using System.Globalization;
using Xent.NN;
using Xent.Optim;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>
/// Which cause a held-out pass with outputs that are not finite has (<see cref="NonFiniteHeldOut"/>): the trainer's warning named
/// both "test inputs far outside the training data's range" and "a learning rate too high" and left the user to guess. Test inputs
/// (standardised, as the model sees them) beyond 10 times the training inputs' largest magnitude, or not finite, are the cause when
/// every sample whose outputs are not finite is one of them; otherwise the model diverged.
/// </summary>
public sealed class NonFiniteHeldOutTests
{
    private const string Tail = " The test data is the cause, not the training: look in those samples for a value in other units, a " +
        "missing-value code (-9999) or an overflow. The checkpoint predicts NaN probabilities for such inputs.";

    /// <summary>A 2 → 2 linear layer without bias whose weight is <paramref name="w"/> (row-major, out × in).</summary>
    private static Linear Layer(params float[] w)
    {
        var layer = new Linear(2, 2, bias: false);
        w.CopyTo(layer.Weight.Data);
        return layer;
    }

    private static (Tensor, Tensor) Batch(params float[][] rows) =>
        (Tensor.FromArray(rows.SelectMany(r => r).ToArray(), [rows.Length, 2]), Tensor.FromArray(new long[rows.Length]));

    [Theory]
    [InlineData(1 << 21)] // each batch in one pass
    [InlineData(2)] // one sample per pass
    [InlineData(4)] // two samples per pass, the last pass of a batch shorter
    public void SamplesAreCountedByTheirInputsAndOutputs_AtAnyPassSize(int maxValuesPerPass)
    {
        // The identity: each output is its input. Training inputs reached 2, so beyond 20 is far; exactly 20 is not.
        var model = Layer(1, 0, 0, 1);
        model.Train();
        var batches = new[]
        {
            Batch([1, -2], [30, 0], [float.NaN, 0]), // in range; out of range with finite outputs; NaN in, NaN out
            Batch([float.PositiveInfinity, 1], [-20, 5]), // infinity in and out (inf·0 is NaN); at the limit, in range
        };
        var found = NonFiniteHeldOut.Examine(model, batches, trainingMax: 2, maxValuesPerPass);
        Assert.Equal(new NonFiniteHeldOut.Findings(Samples: 5, NonFiniteOutputs: 2, OutOfRange: 3, NonFiniteInputs: 2,
            NonFiniteOutputsInRange: 0, LargestInput: 30), found);
        Assert.True(found.InputsAreTheCause);
        Assert.True(model.Training); // restored after the pass in eval mode
        Assert.Equal("3 of the 5 test samples have inputs beyond 10 times the range of the training inputs (which reach 2, " +
            "standardised as the model sees them): 2 have a value that is not finite (NaN or infinity), the other has values of " +
            "magnitude up to 30. The model's outputs are not finite on 2 of them and finite on every other test sample." + Tail,
            NonFiniteHeldOut.Cause(found, 2, "--lr"));
    }

    [Fact]
    public void OutputsThatAreNotFiniteForInputsInRange_AreADivergedModel_WhateverElseIsOutOfRange()
    {
        // Weights near float32's limit: 2·1e38 + 2·1e38 overflows for an input well within range, as 100·1e38 does for one beyond.
        var model = Layer(1e38f, 1e38f, 0, 0);
        var found = NonFiniteHeldOut.Examine(model, [Batch([2, 2], [100, 0], [0.5f, -1])], trainingMax: 2);
        Assert.Equal(new NonFiniteHeldOut.Findings(3, 2, 1, 0, 1, 100), found);
        Assert.False(found.InputsAreTheCause);
        const string Text = "the model's outputs are not finite on 2 of the 3 test samples, 1 of them with inputs within 10 times the " +
            "range of the training inputs (which reach 2, standardised as the model sees them): the weights grew too large (the " +
            "model diverged), so its checkpoint predicts NaN probabilities. Try a lower learning rate";
        Assert.Equal(Text + ".", NonFiniteHeldOut.Cause(found, 2, null)); // the library's words
        Assert.Equal(Text + " (--lr).", NonFiniteHeldOut.Cause(found, 2, "--lr")); // the CLI names its option
    }

    [Theory]
    [InlineData(4, 1, 1, 1, 0, 0.5, "1 of the 4 test samples has inputs beyond 10 times the range of the training inputs (which " +
        "reach 1.25, standardised as the model sees them): it has a value that is not finite (NaN or infinity). The model's outputs " +
        "are not finite on 1 of them and finite on every other test sample." + Tail)]
    [InlineData(9, 0, 2, 0, 0, 1.234e30, "2 of the 9 test samples have inputs beyond 10 times the range of the training inputs " +
        "(which reach 1.25, standardised as the model sees them): values of magnitude up to 1.234E+30." + Tail)]
    [InlineData(9, 3, 3, 3, 0, 2, "3 of the 9 test samples have inputs beyond 10 times the range of the training inputs (which " +
        "reach 1.25, standardised as the model sees them): each has a value that is not finite (NaN or infinity). The model's " +
        "outputs are not finite on 3 of them and finite on every other test sample." + Tail)]
    [InlineData(9, 9, 0, 0, 9, 1, "the model's outputs are not finite on 9 of the 9 test samples, all of them with inputs within 10 " +
        "times the range of the training inputs (which reach 1.25, standardised as the model sees them): the weights grew too large " +
        "(the model diverged), so its checkpoint predicts NaN probabilities. Try a lower learning rate (--lr).")]
    [InlineData(9, 0, 0, 0, 0, 1, "the model's outputs on the test samples are finite but so large that the loss overflows, and every " +
        "test input lies within 10 times the range of the training inputs (which reach 1.25, standardised as the model sees them): " +
        "the weights grew too large (the model diverged), so its checkpoint predicts NaN probabilities. Try a lower learning rate " +
        "(--lr).")]
    public void TheCauseIsWordedForWhatWasFound(int samples, int nonFiniteOutputs, int outOfRange, int nonFiniteInputs, int inRange,
        double largest, string expected) =>
        Assert.Equal(expected, NonFiniteHeldOut.Cause(
            new NonFiniteHeldOut.Findings(samples, nonFiniteOutputs, outOfRange, nonFiniteInputs, inRange, largest), 1.25, "--lr"));

    [Fact]
    public void TheTrainersWarningHoldsTheTestInputsAgainstTheLargestTrainingInput()
    {
        // Two batches of training inputs in (-1, 1); the test set's third sample has an infinite input, which alone gives it
        // infinite logits (and a NaN loss).
        var rnd = new Random(3);
        float[][] train = [.. Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, 16).Select(_ => (float)(rnd.NextDouble() * 2 - 1))
            .ToArray())];
        double trainingMax = train.SelectMany(b => b).Max(v => Math.Abs((double)v));
        var trainBatches = train.Select(b => (Tensor.FromArray(b, [8, 2]), Tensor.FromArray(Enumerable.Range(0, 8)
            .Select(i => (long)(i % 2)).ToArray()))).ToArray();
        var test = new[] { Batch([0.5f, 0.5f], [-0.25f, 1], [float.PositiveInfinity, 0.5f], [0, 0]) };
        var model = new Linear(2, 2, generator: new Generator(4));
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1), (x, y) => F.CrossEntropy(x, y),
            new TrainerOptions { Epochs = 1 });
        var warnings = new List<string>();
        trainer.Warning = warnings.Add;
        var result = trainer.Run(_ => trainBatches, trainBatches.Length, () => test)!;
        Assert.False(double.IsFinite(result.Test.MeanCrossEntropy), $"{result.Test.MeanCrossEntropy}");
        string loss = result.TrainLoss.ToString("F4", CultureInfo.InvariantCulture);
        string what = double.IsNaN(result.Test.MeanCrossEntropy) ? "NaN" : "infinite";
        Assert.Equal($"the held-out loss is {what} after epoch 1 (the training loss is {loss}): 1 of the 4 test samples has inputs " +
            $"beyond 10 times the range of the training inputs (which reach {trainingMax.ToString("F2", CultureInfo.InvariantCulture)}, " +
            "standardised as the model sees them): it has a value that is not finite (NaN or infinity). The model's outputs are not " +
            "finite on 1 of them and finite on every other test sample." + Tail, Assert.Single(warnings));
    }
}
