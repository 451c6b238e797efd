using Xent.NN;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// How <c>eval</c>, <c>calibrate</c>, <c>predict</c> and <c>export</c> read a checkpoint: its model with the weights loaded,
/// and its <see cref="ModelSpec"/>. A checkpoint without a spec (an older xent, or a PyTorch state dict) gets the spec of
/// the only thing it could be: the MNIST-format recipe, 1×28×28 images with Normalize(0.1307, 0.3081).
/// </summary>
internal static class CheckpointModel
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="modelName">The architecture a user named (<c>--model</c>); null to take the checkpoint's.</param>
    /// <param name="dataPath">For a checkpoint without a spec: the data whose folder name picks the class names; null for the
    /// training data folder the checkpoint's metadata records.</param>
    /// <returns>The model, its spec, whether the spec was assumed (no spec in the checkpoint), and the checkpoint's metadata.</returns>
    /// <exception cref="IOException">No such file, or a folder.</exception>
    /// <exception cref="InvalidDataException">Not a checkpoint, or weights that fit no model or not the named one.</exception>
    public static (Module Model, ModelSpec Spec, bool Legacy, Dictionary<string, string> Metadata) Load(
        string path, string? modelName = null, string? dataPath = null)
    {
        var (tensors, metadata) = InputFiles.ReadCheckpoint(path);
        return Load(path, tensors, metadata, modelName, dataPath);
    }

    /// <summary>
    /// <see cref="Load(string, string?, string?)"/> of a checkpoint already read by <see cref="InputFiles.ReadCheckpoint"/>.
    /// </summary>
    public static (Module Model, ModelSpec Spec, bool Legacy, Dictionary<string, string> Metadata) Load(string path,
        IReadOnlyDictionary<string, Tensor> tensors, Dictionary<string, string> metadata, string? modelName = null, string? dataPath = null)
    {
        var (state, _, _) = TrainingCheckpoint.Split(tensors, metadata);
        var spec = ModelSpec.FromMetadata(metadata, path);
        bool legacy = spec is null;
        string? named = modelName ?? spec?.Model ?? (metadata.TryGetValue("model", out var m) && ModelCatalog.Names.Contains(m) ? m : null);
        string name = named ?? ModelCatalog.Infer(state.Keys) ?? throw new InvalidDataException(NoModelMessage(path, state.Keys));
        if (spec is null)
        {
            string classesFrom = dataPath is not null ? Path.GetFullPath(dataPath)
                : metadata.TryGetValue("setting.data", out var data) ? data : "";
            spec = ModelCatalog.LegacySpec(name, ClassNames.ForDataset(classesFrom));
            if (name == "mlp" && LegacyHidden(state) is { Length: > 0 } hidden) spec = spec with { Hidden = hidden };
        }
        spec = spec with { Model = name };
        try
        {
            var model = ModelCatalog.Create(spec, new Generator(0), commandLine: true); // the weights are replaced by the checkpoint's
            model.LoadStateDict(state);
            return (model, spec, legacy, metadata);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            string hint = named is null && legacy ? ClosestModelHint(name, spec, state.Keys) : "";
            throw new InvalidDataException($"'{path}' does not fit the {name} model: {e.Message.ReplaceLineEndings(" ")}{hint}", e);
        }
    }

    /// <summary>
    /// A spec-less mlp's hidden sizes: the rows of fc1 … fc(K−1), for the last K of an unbroken run of 2-D fc1.weight, fc2.weight, …
    /// (PyTorch's MLP 784→128→64→10 has fc1, fc2, fc3); empty when there is no fc2.
    /// </summary>
    private static int[] LegacyHidden(IReadOnlyDictionary<string, Tensor> state)
    {
        var rows = new List<int>();
        for (int k = 1; state.TryGetValue($"fc{k}.weight", out var w) && w.Rank == 2; k++) rows.Add(w.Size(0));
        return rows.Count < 2 ? [] : [.. rows[..^1]];
    }

    /// <summary>The error for a spec-less state dict whose names start no model: what it holds, and what each model starts with.</summary>
    private static string NoModelMessage(string path, IReadOnlyCollection<string> keys) =>
        (keys.Count == 0 ? $"'{path}' holds no model tensors"
            : $"'{path}' has no model spec, and its tensor names ({string.Join(", ", keys.Take(4))}{(keys.Count > 4 ? ", …" : "")}) " +
                "match no model")
        + ": xent's models start with conv1.weight (cnn), linear.weight (linear) or fc1.weight (mlp), under PyTorch's names without " +
        "a prefix (no 'model.' or 'module.').";

    /// <summary>
    /// For a spec-less state dict that does not fit the model its names suggested: the model whose parameter names it shares most
    /// (a renamed conv1.weight makes the tutorial's CNN look like an mlp), and what it lacks of them; empty when that is the same
    /// model.
    /// </summary>
    private static string ClosestModelHint(string inferred, ModelSpec spec, IReadOnlyCollection<string> keys)
    {
        var (closest, names) = ModelCatalog.Names
            .Select(n => (Name: n, Names: ModelCatalog.Create(spec with { Model = n, Hidden = n == "mlp" ? spec.Hidden : [] },
                new Generator(0), commandLine: true).StateDict().Keys.ToArray()))
            .MaxBy(x => x.Names.Count(keys.Contains) + (x.Name == inferred ? 0.5 : 0));
        if (closest == inferred) return "";
        var lacks = names.Where(n => !keys.Contains(n)).ToArray();
        return $" Its tensor names are mostly the {closest} model's, which also has {string.Join(", ", lacks)}: a renamed or missing " +
            "tensor?";
    }
    /// <summary>
    /// The stderr note for a checkpoint <see cref="Load"/> read without a spec (Legacy): what it is taken as. <paramref name="verb"/>
    /// says what the command does with it, e.g. "exporting it as".
    /// </summary>
    public static string LegacyNote(string path, ModelSpec spec, string verb) =>
        $"note: '{path}' has no model spec (an older xent or a PyTorch state dict); {verb} {spec.Model} on 1x28x28 images " +
            $"standardised with (0.1307, 0.3081), classes {string.Join(", ", spec.ClassNames)}.";
}
