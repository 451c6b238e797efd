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
        var spec = ModelSpec.FromMetadata(metadata);
        bool legacy = spec is null;
        string name = modelName
            ?? spec?.Model
            ?? (metadata.TryGetValue("model", out var m) && ModelCatalog.Names.Contains(m) ? m : null)
            ?? ModelCatalog.Infer(state.Keys)
            ?? throw new InvalidDataException($"'{path}' has no model spec and its tensor names "
                + $"({string.Join(", ", state.Keys.Take(4))}…) match none of the models {string.Join(", ", ModelCatalog.Names)}.");
        if (spec is null)
        {
            string classesFrom = dataPath is not null ? Path.GetFullPath(dataPath)
                : metadata.TryGetValue("setting.data", out var data) ? data : "";
            spec = ModelCatalog.LegacySpec(name, ClassNames.ForDataset(classesFrom));
            if (name == "mlp" && state.TryGetValue("fc1.weight", out var w)) spec = spec with { Hidden = [w.Size(0)] };
        }
        spec = spec with { Model = name };
        try
        {
            var model = ModelCatalog.Create(spec, new Generator(0)); // the weights are replaced by the checkpoint's
            model.LoadStateDict(state);
            return (model, spec, legacy, metadata);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"'{path}' does not fit the {name} model: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    /// <summary>
    /// The stderr note for a checkpoint <see cref="Load"/> read without a spec (Legacy): what it is taken as. <paramref name="verb"/>
    /// says what the command does with it, e.g. "exporting it as".
    /// </summary>
    public static string LegacyNote(string path, ModelSpec spec, string verb) =>
        $"note: '{path}' has no model spec (an older xent or a PyTorch state dict); {verb} {spec.Model} on 1x28x28 images " +
            $"standardised with (0.1307, 0.3081), classes {string.Join(", ", spec.ClassNames)}.";
}
