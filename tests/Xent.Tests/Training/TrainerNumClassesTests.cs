using Xent.NN;
using Xent.Optim;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>
/// <see cref="TrainerOptions.NumClasses"/> against the model's outputs per sample (qa-s21-tutorial M1): a mismatch stops the run
/// at the first batch with one message naming both, before the ln C check and before anything is trained; left unset, the
/// count is the model's, and the ln C check and the held-out metrics use it.
/// </summary>
public sealed class TrainerNumClassesTests
{
    /// <summary>Four batches of 8 samples with 6 features and labels 0..2.</summary>
    private static (Tensor X, Tensor Y)[] Batches(float scale = 1f)
    {
        var rnd = new Random(5);
        return [.. Enumerable.Range(0, 4).Select(_ => (
            Tensor.FromArray(Enumerable.Range(0, 8 * 6).Select(_ => scale * (float)(rnd.NextDouble() * 2 - 1)).ToArray(), [8, 6]),
            Tensor.FromArray(Enumerable.Range(0, 8).Select(_ => (long)rnd.Next(3)).ToArray())))];
    }

    private static (Trainer Trainer, Module Model, List<string> Warnings) Make(int outputs, int? numClasses, bool multiLabel = false)
    {
        var model = new Sequential(new Linear(6, outputs, generator: new Generator(11)));
        Func<Tensor, Tensor, Tensor> criterion = multiLabel ? (x, y) => F.BinaryCrossEntropyWithLogits(x, y)
            : (x, y) => F.CrossEntropy(x, y);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1), criterion,
            new TrainerOptions { Epochs = 1, NumClasses = numClasses, MultiLabel = multiLabel });
        var warnings = new List<string>();
        trainer.Warning = warnings.Add;
        return (trainer, model, warnings);
    }

    [Theory]
    [InlineData(3, 10)] // the QA's case: NumClasses left at the old default 10 for a 3-class model
    [InlineData(3, 2)]
    [InlineData(10, 3)]
    public void AMismatchStopsAtTheFirstBatch_NamingBothNumbers(int outputs, int numClasses)
    {
        var (trainer, model, warnings) = Make(outputs, numClasses);
        var before = model.Parameters().Select(p => p.ToArray()).ToArray();
        var batches = Batches();
        int pulled = 0;
        IEnumerable<(Tensor, Tensor)> Counted() { foreach (var b in batches) { pulled++; yield return b; } }
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Run(_ => Counted(), batches.Length, () => batches));
        Assert.Equal($"the model returns {outputs} logits per sample but TrainerOptions.NumClasses is {numClasses}; they must be " +
            "equal: change NumClasses or the model's last layer (or leave NumClasses unset to take the model's).", e.Message);
        Assert.Equal(1, pulled);
        Assert.Empty(warnings); // no ln C warning about a C that is not the model's
        Assert.Equal(before, model.Parameters().Select(p => p.ToArray()).ToArray()); // nothing trained
    }

    [Fact]
    public void AMultiLabelMismatchNamesTheLabelCount()
    {
        var (trainer, _, _) = Make(3, 4, multiLabel: true);
        // 0/1 label rows: label k is on when the class index is k.
        var batches = Batches().Select(b => (b.X, Tensor.FromArray(
            b.Y.ToInt64Array().SelectMany(y => Enumerable.Range(0, 3).Select(k => k == y ? 1f : 0f)).ToArray(), [8, 3]))).ToArray();
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Run(_ => batches, batches.Length, () => batches));
        Assert.StartsWith("the model returns 3 logits per sample but TrainerOptions.NumClasses (the label count, as MultiLabel is " +
            "set) is 4;", e.Message);
    }

    [Fact]
    public void AMatchingNumClassesTrains()
    {
        var (trainer, _, warnings) = Make(3, 3);
        var batches = Batches();
        Assert.Equal(32, trainer.Run(_ => batches, batches.Length, () => batches)!.Test.Total);
        Assert.Empty(warnings);
    }

    [Fact]
    public void LeftUnset_TheModelsOutputsAreTheClassCount()
    {
        Assert.Null(new TrainerOptions().NumClasses);
        var (trainer, model, warnings) = Make(3, null);
        var batches = Batches();
        var result = trainer.Run(_ => batches, batches.Length, () => batches)!;
        Assert.Empty(warnings); // a 3-class model starts near ln 3, which the old default compared with ln 10
        // The held-out metrics are over the model's 3 classes: the mean cross-entropy is F.CrossEntropy's over the same rows.
        double expected;
        using (Tensor.NoGrad())
            expected = batches.Average(b => F.CrossEntropy(model.Forward(b.X), b.Y).Item());
        Assert.Equal(expected, result.Test.MeanCrossEntropy, 5);
        Assert.Equal(32, result.Test.Total);
    }

    [Fact]
    public void LeftUnset_TheLnCCheckUsesTheModelsClassCount()
    {
        // Inputs ×255, as the README's unnormalised-inputs mistake: the first loss is far from ln 3, and the warning says ln(3).
        var (trainer, _, warnings) = Make(3, null);
        var batches = Batches(255f);
        trainer.Run(_ => batches, batches.Length, () => batches);
        Assert.Contains(warnings, w => w.Contains("is far from ln(3) = 1.0986", StringComparison.Ordinal));
    }

    [Fact]
    public void ANumClassesBelowOneIsRefused()
    {
        var model = new Sequential(new Linear(6, 3, generator: new Generator(11)));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(model, new Sgd(model.Parameters(), 0.1),
            (x, y) => F.CrossEntropy(x, y), new TrainerOptions { NumClasses = 0 }));
        Assert.Contains("NumClasses must be at least 1, got 0.", e.Message);
    }
}
