using Xent.Models;
using Xent.NN;

namespace Xent.Onnx;

/// <summary>
/// The built-in models as the ordered layers their <c>Forward</c> applies, each with the scope its ONNX nodes are
/// named after. A model whose <c>Forward</c> is more than a chain of supported layers gets one case here; everything
/// else is exported through <see cref="Sequential"/> or throws.
/// </summary>
internal static class OnnxLayers
{
    /// <summary>Module types the exporter understands, for error messages.</summary>
    public const string Supported =
        "Sequential, Linear, Conv2d, ReLU, MaxPool2d, Flatten, Dropout, Dropout2d and the built-in models MnistCnn, Mlp and " +
            "LinearClassifier";

    /// <summary>
    /// The chain of layers <paramref name="model"/> applies, or null when it is itself a layer (or unknown).
    /// Layers that exist only inside <c>Forward</c> (ReLU, the pooling, flattening) are created here with the same settings.
    /// </summary>
    public static IReadOnlyList<(string Scope, Module Layer)>? Decompose(Module model) => model switch
    {
        Sequential s => s.NamedChildren().Select(c => (c.Key, c.Value)).ToList(),
        // Forward flattens inputs of rank > 2 from dim 1; Flatten(1) on a (N, F) input is the identity, so always emit it.
        LinearClassifier m => [("flatten", new Flatten()), ("linear", m.Linear)],
        Mlp m => MlpLayers(m),
        MnistCnn m =>
        [
            ("conv1", m.Conv1), ("relu1", new ReLU()), ("conv2", m.Conv2), ("relu2", new ReLU()),
            ("pool", new MaxPool2d(2)), ("dropout1", m.Dropout1), ("flatten", new Flatten()),
            ("fc1", m.Fc1), ("relu3", new ReLU()), ("dropout2", m.Dropout2), ("fc2", m.Fc2),
        ],
        _ => null,
    };

    // fc1 → ReLU → fc2 → … → ReLU → fcK: the model's children are its Linear layers in order, however many hidden layers it has.
    private static List<(string, Module)> MlpLayers(Mlp m)
    {
        var layers = new List<(string, Module)> { ("flatten", new Flatten()) };
        var linears = m.NamedChildren().ToList();
        for (int i = 0; i < linears.Count; i++)
        {
            layers.Add((linears[i].Key, linears[i].Value));
            if (i + 1 < linears.Count) layers.Add((linears[i].Key + ".relu", new ReLU()));
        }
        return layers;
    }
}
