using Xent.NN;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>predict</c>'s reading of a checkpoint: one with a <see cref="ModelSpec"/> as <see cref="Predictor.Load"/> reads it, and
/// one without (written before specs existed, or a PyTorch state dict with the tutorial's names) with the spec that
/// <c>eval</c>, <c>calibrate</c> and <c>export</c> give it: the MNIST-format recipe, 1×28×28 images standardised with
/// (0.1307, 0.3081), class names from the training data folder in its metadata (digits when there is none).
/// </summary>
internal static class PredictorLoader
{
    /// <summary>The predictor, and for a checkpoint without a spec the <c>note:</c> line that says what was assumed.</summary>
    /// <exception cref="IOException">No such file, or a folder.</exception>
    /// <exception cref="InvalidDataException">Not a checkpoint, or weights that fit no model.</exception>
    public static (Predictor Predictor, string? Note) Load(string path)
    {
        if (Directory.Exists(path)) throw new IOException($"checkpoint '{path}' is a folder, not a file.");
        var (state, _, metadata) = TrainingCheckpoint.Load(path);
        var spec = ModelSpec.FromMetadata(metadata);
        string? note = null;
        if (spec is null)
        {
            string name = (metadata.TryGetValue("model", out var m) && ModelCatalog.Names.Contains(m) ? m : null)
                ?? ModelCatalog.Infer(state.Keys)
                ?? throw new InvalidDataException($"'{path}' has no model spec and its tensor names "
                    + $"({string.Join(", ", state.Keys.Take(4))}…) match none of the models {string.Join(", ", ModelCatalog.Names)}.");
            spec = ModelCatalog.LegacySpec(name, ClassNames.ForDataset(metadata.TryGetValue("setting.data", out var data) ? data : ""));
            if (name == "mlp" && state.TryGetValue("fc1.weight", out var w)) spec = spec with { Hidden = [w.Size(0)] };
            note = $"note: '{path}' has no model spec (an older xent or a PyTorch state dict); predicting with it as {name} on 1x28x28 " +
                $"images standardised with (0.1307, 0.3081), classes {string.Join(", ", spec.ClassNames)}.";
        }
        Module model;
        try
        {
            model = ModelCatalog.Create(spec, new Generator(0)); // the weights are replaced by the checkpoint's
            model.LoadStateDict(state);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"'{path}' does not fit its {spec.Model} model: {e.Message.ReplaceLineEndings(" ")}", e);
        }
        return (new Predictor(model, spec), note);
    }
}
