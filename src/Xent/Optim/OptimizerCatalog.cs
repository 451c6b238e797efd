using Xent.NN;

namespace Xent.Optim;

/// <summary>
/// The optimizers the CLI offers, by name, with the learning rate and weight decay each takes when none is given,
/// as <see cref="Training.ModelCatalog"/> does for models.
/// </summary>
public static class OptimizerCatalog
{
    /// <summary>Known names: <c>adam</c> (the default), <c>sgd</c>, <c>adamw</c>, <c>adadelta</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["adam", "sgd", "adamw", "adadelta"];

    /// <summary>
    /// The learning rate used when none is given: PyTorch's default (Adam and AdamW 1e-3, Adadelta 1.0), and 0.01
    /// for SGD, which has none in PyTorch.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static double DefaultLr(string name) => Check(name) switch
    {
        "sgd" => 0.01,
        "adadelta" => 1.0,
        _ => 1e-3,
    };

    /// <summary>The weight decay used when none is given: PyTorch's default (1e-2 for AdamW, 0 for the others).</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static double DefaultWeightDecay(string name) => Check(name) == "adamw" ? 1e-2 : 0;

    /// <summary>
    /// Builds optimizer <paramref name="name"/> over <paramref name="parameters"/>; options left null take
    /// <see cref="DefaultLr"/> and <see cref="DefaultWeightDecay"/>, every other option its PyTorch default.
    /// </summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="parameters">The parameters to optimize (one group).</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="weightDecay">L2 penalty (decoupled for AdamW).</param>
    /// <param name="momentum">SGD's momentum; only SGD takes one.</param>
    /// <exception cref="ArgumentException">Unknown name, a momentum for an optimizer other than SGD, or an invalid option (PyTorch's
    /// message).</exception>
    public static Optimizer Create(
        string name, IEnumerable<Parameter> parameters, double? lr = null, double? weightDecay = null, double momentum = 0)
    {
        double l = lr ?? DefaultLr(name), wd = weightDecay ?? DefaultWeightDecay(name);
        if (momentum != 0 && name != "sgd")
            throw new ArgumentException($"Only sgd takes a momentum; {name} was given {ParamGroup.Format(momentum)}.", nameof(momentum));
        return name switch
        {
            "sgd" => new Sgd(parameters, l, momentum: momentum, weightDecay: wd),
            "adamw" => new AdamW(parameters, l, weightDecay: wd),
            "adadelta" => new Adadelta(parameters, l, weightDecay: wd),
            _ => new Adam(parameters, l, weightDecay: wd),
        };
    }

    private static string Check(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Names.Contains(name) ? name
            : throw new ArgumentException($"Unknown optimizer '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name));
    }
}
