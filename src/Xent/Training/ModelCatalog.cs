using Xent.Models;
using Xent.NN;

namespace Xent.Training;

/// <summary>The models the CLI trains and evaluates, by name, for 28×28 single-channel images and 10 classes.</summary>
public static class ModelCatalog
{
    /// <summary>Known names: <c>cnn</c> (the seeds' CNN), <c>linear</c> (logistic regression), <c>mlp</c> (784-256-10).</summary>
    public static IReadOnlyList<string> Names { get; } = ["cnn", "linear", "mlp"];

    /// <summary>Builds model <paramref name="name"/> with initial weights drawn from <paramref name="generator"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static Module Create(string name, Generator generator) => name switch
    {
        "cnn" => new MnistCnn(generator),
        "linear" => new LinearClassifier(784, 10, generator),
        "mlp" => new Mlp(784, 256, 10, generator),
        _ => throw new ArgumentException($"Unknown model '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>Guesses the model from a state dict's keys (<c>conv1.weight</c> → cnn, <c>linear.weight</c> → linear, <c>fc1.weight</c> → mlp), or null.</summary>
    public static string? Infer(IEnumerable<string> keys)
    {
        var set = keys.ToHashSet(StringComparer.Ordinal);
        if (set.Contains("conv1.weight")) return "cnn";
        if (set.Contains("linear.weight")) return "linear";
        if (set.Contains("fc1.weight")) return "mlp";
        return null;
    }
}
