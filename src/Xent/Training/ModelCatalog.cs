using Xent.Models;
using Xent.NN;

namespace Xent.Training;

/// <summary>The models the CLI trains and evaluates, by name, built for a <see cref="ModelSpec"/>'s input shape and class count.</summary>
public static class ModelCatalog
{
    /// <summary>
    /// Known names: <c>cnn</c> (the PyTorch MNIST tutorial's CNN), <c>linear</c> (logistic regression), <c>mlp</c> (ReLU hidden layers).
    /// </summary>
    public static IReadOnlyList<string> Names { get; } = ["cnn", "linear", "mlp"];

    /// <summary>Hidden sizes of <c>mlp</c> when none are given.</summary>
    public static IReadOnlyList<int> DefaultHidden { get; } = [256];

    /// <summary>Largest fc1 input the CNN accepts (64 × 32 × 32, images up to 69×69); larger images should be resized.</summary>
    public const int MaxCnnFlatSize = 64 * 32 * 32;

    /// <summary>
    /// Throws unless the cnn model takes <paramref name="height"/> × <paramref name="width"/> images: at least 6x6, and small
    /// enough that fc1 has at most <see cref="MaxCnnFlatSize"/> inputs. The CLI checks a requested --image-size with it before
    /// decoding any image.
    /// </summary>
    /// <exception cref="ArgumentException">The images are too small or too large.</exception>
    internal static void CheckCnnImageSize(int height, int width) => CheckCnnImageSize(height, width, commandLine: false);

    /// <summary>
    /// <see cref="CheckCnnImageSize(int, int)"/>, naming the CLI's <c>--image-size</c> when <paramref name="commandLine"/>, and
    /// <see cref="Data.DataOptions.ImageSize"/> otherwise.
    /// </summary>
    internal static void CheckCnnImageSize(int height, int width, bool commandLine)
    {
        // Height first, as --image-size HxW takes them: a size copied from the message must not come out transposed.
        if (height < 6 || width < 6)
            throw new ArgumentException(
                $"the cnn model needs images of at least 6x6, got {Data.ImageFolderSource.SizeText(height, width)}.");
        // MnistCnn.FlatSize, without its overflow check; Int128, since 64 times two ints near 2^30 passes a long's range.
        Int128 flat = (Int128)64 * ((height - 4) / 2) * ((width - 4) / 2);
        if (flat > MaxCnnFlatSize)
            throw new ArgumentException($"{Data.ImageFolderSource.SizeText(height, width)} images would give the cnn model a fc1 layer " +
                $"of {flat} inputs; resize them to at most 69x69 ({(commandLine ? "--image-size" : "DataOptions.ImageSize")}).");
    }

    /// <summary>
    /// Builds model <paramref name="name"/> for 1×28×28 images and 10 classes with initial weights drawn from <paramref name="generator"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static Module Create(string name, Generator generator) => name switch
    {
        "cnn" => new MnistCnn(generator),
        "linear" => new LinearClassifier(784, 10, generator),
        "mlp" => new Mlp(784, 256, 10, generator),
        _ => throw new ArgumentException($"Unknown model '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>
    /// Builds <paramref name="spec"/>'s model for its input shape and outputs. At 1×28×28 with 10 classes this draws the same
    /// weights as <see cref="Create(string, Generator)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown model, a CNN on feature vectors, or images too small or too large for the
    /// CNN.</exception>
    public static Module Create(ModelSpec spec, Generator generator) => Create(spec, generator, commandLine: false);

    /// <summary>
    /// <see cref="Create(ModelSpec, Generator)"/>, with the advice of its errors naming the CLI's flags when
    /// <paramref name="commandLine"/>.
    /// </summary>
    internal static Module Create(ModelSpec spec, Generator generator, bool commandLine)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int inputSize = spec.InputShape.Aggregate(1, (a, d) => checked(a * d));
        switch (spec.Model)
        {
            case "cnn":
                if (spec.InputKind != ModelSpec.ImageInput)
                    throw new ArgumentException("the cnn model takes images (C, H, W); use " +
                        (commandLine ? "--model mlp or linear" : "the mlp or linear model") + " for feature vectors.");
                int c = spec.InputShape[0], h = spec.InputShape[1], w = spec.InputShape[2];
                CheckCnnImageSize(h, w, commandLine);
                return new MnistCnn(c, h, w, spec.NumClasses, generator);
            case "linear":
                return new LinearClassifier(inputSize, spec.NumClasses, generator);
            case "mlp":
                return new Mlp(inputSize, spec.Hidden.Length > 0 ? spec.Hidden : DefaultHidden, spec.NumClasses, generator);
            default:
                throw new ArgumentException($"Unknown model '{spec.Model}'; expected one of {string.Join(", ", Names)}.");
        }
    }

    /// <summary><c>auto</c>: <c>cnn</c> for images, <c>mlp</c> for feature vectors.</summary>
    public static string Auto(string inputKind) => inputKind == ModelSpec.ImageInput ? "cnn" : "mlp";

    /// <summary>
    /// Guesses the model from a state dict's keys (<c>conv1.weight</c> → cnn, <c>linear.weight</c> → linear, <c>fc1.weight</c> → mlp), or
    /// null.
    /// </summary>
    public static string? Infer(IEnumerable<string> keys)
    {
        var set = keys.ToHashSet(StringComparer.Ordinal);
        if (set.Contains("conv1.weight")) return "cnn";
        if (set.Contains("linear.weight")) return "linear";
        if (set.Contains("fc1.weight")) return "mlp";
        return null;
    }

    /// <summary>
    /// The spec of a checkpoint written before specs existed (or a PyTorch state dict): model <paramref name="name"/> on
    /// 1×28×28 IDX images with the tutorial's Normalize(0.1307, 0.3081) and <paramref name="classNames"/>.
    /// </summary>
    public static ModelSpec LegacySpec(string name, IReadOnlyList<string> classNames) => new()
    {
        Model = name,
        InputKind = ModelSpec.ImageInput,
        InputShape = [1, 28, 28],
        ClassNames = [.. classNames],
        Mean = [0.1307f],
        Std = [0.3081f],
        Hidden = name == "mlp" ? [.. DefaultHidden] : [],
    };
}
