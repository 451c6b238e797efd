using Xent.Diagnostics;
using Xent.NN;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>
/// <c>new Predictor(model, spec)</c> refuses a model that does not fit the spec at once, in words that name both, rather
/// than failing at the first prediction with a matrix message or, where the shapes happen to fit, returning probabilities
/// for the wrong classes (qa-s20-lib L6).
/// </summary>
[Collection(WarningsCollection.Name)]
public class PredictorConstructionTests
{
    private static ModelSpec Features(int features, params string[] classes) => new()
    {
        Model = "linear", InputKind = ModelSpec.FeatureInput, InputShape = [features], ClassNames = classes,
        Mean = new float[features], Std = Enumerable.Repeat(1f, features).ToArray(),
    };

    [Fact]
    public void AModelThatTakesAnotherInputSizeIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new Predictor(new Linear(3, 2, generator: new Generator(1)), Features(4, "a", "b")));
        Assert.Equal("model", e.ParamName);
        Assert.StartsWith("The model does not fit the spec: it does not take an input of the spec's shape (4) (mat1 and mat2 shapes " +
            "cannot be multiplied (1x4 and 3x2)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AModelWithAnotherClassCountIsRefused()
    {
        // The input fits, so only the logit count tells: 3 logits for 2 classes would otherwise be read as 2 probabilities.
        var e = Assert.Throws<ArgumentException>(() => new Predictor(new Linear(4, 3, generator: new Generator(1)), Features(4, "a", "b")));
        Assert.StartsWith("The model does not fit the spec: for one input of shape (4) it gives logits of shape [1, 3], where the " +
            "spec's 2 class(es) need [1, 2].", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnImageModelOfTheSpecsShapeIsAccepted()
    {
        var spec = new ModelSpec
        {
            Model = "cnn", InputKind = ModelSpec.ImageInput, InputShape = [1, 28, 28], ClassNames = [.. ClassNames.Digits],
            Mean = [0.5f], Std = [0.25f],
        };
        var predictor = new Predictor(ModelCatalog.Create(spec, new Generator(2)), spec);
        var p = predictor.Predict(new float[28 * 28]);
        Assert.Equal(10, p.Length);
        Assert.Equal(1.0, p.Sum(), 1e-12);
        // The same model for 3-channel images does not fit.
        var rgb = spec with { InputShape = [3, 28, 28], Mean = [0.5f, 0.5f, 0.5f], Std = [0.25f, 0.25f, 0.25f] };
        var e = Assert.Throws<ArgumentException>(() => new Predictor(ModelCatalog.Create(spec, new Generator(2)), rgb));
        Assert.Contains("does not take an input of the spec's shape (3, 28, 28)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCheckIsSilentAndLeavesTheFirstPredictionsWarning()
    {
        // The tutorial CNN's dropout2 sees a 2-D input, which PyTorch warns about, in eval mode too. The check's forward
        // pass must not print that before a later error (the CLI's one line), nor use up the warning the real input gives.
        var spec = new ModelSpec
        {
            Model = "cnn", InputKind = ModelSpec.ImageInput, InputShape = [1, 28, 28], ClassNames = [.. ClassNames.Digits],
            Mean = [0.5f], Std = [0.25f],
        };
        var messages = new List<string>();
        var previous = Warnings.Handler;
        Warnings.Handler = m => { lock (messages) messages.Add(m); };
        try
        {
            Warnings.Reset();
            var predictor = new Predictor(ModelCatalog.Create(spec, new Generator(2)), spec);
            lock (messages) Assert.Empty(messages);
            predictor.Predict(new float[28 * 28]);
            lock (messages) Assert.Single(messages, m => m.Contains("Received a 2-D input to dropout2d", StringComparison.Ordinal));
        }
        finally
        {
            Warnings.Handler = previous;
            Warnings.Reset();
        }
    }
}
