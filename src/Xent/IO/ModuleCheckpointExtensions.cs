using Xent.NN;

namespace Xent.IO;

/// <summary>One-line checkpointing of a <see cref="Module"/>'s state dict through <see cref="Checkpoint"/>.</summary>
public static class ModuleCheckpointExtensions
{
    /// <summary>Writes <c>module.StateDict()</c> to a safetensors file (atomically).</summary>
    public static void SaveStateDict(this Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        Checkpoint.Save(path, module.StateDict(), metadata);
    }

    /// <summary>
    /// Loads a safetensors file into the module's parameters (see
    /// <see cref="Module.LoadStateDict(IReadOnlyDictionary{string, Tensor}, bool)"/>) and returns its metadata.
    /// </summary>
    public static Dictionary<string, string> LoadStateDict(this Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (tensors, metadata) = Checkpoint.Load(path);
        module.LoadStateDict(tensors, strict);
        return metadata;
    }
}
