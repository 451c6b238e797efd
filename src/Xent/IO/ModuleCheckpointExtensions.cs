using Xent.NN;

namespace Xent.IO;

/// <summary>One-line checkpointing of a <see cref="Module"/>'s state dict through <see cref="Checkpoint"/>.</summary>
public static class ModuleCheckpointExtensions
{
    /// <summary>Writes <c>module.StateDict()</c> to a safetensors file (atomically).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or a metadata value is null.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="IOException">Writing fails (e.g. <paramref name="path"/> is a folder).</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable.</exception>
    public static void SaveStateDict(this Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        Checkpoint.Save(path, module.StateDict(), metadata);
    }

    /// <summary>
    /// Loads a safetensors file into the module's parameters (see
    /// <see cref="Module.LoadStateDict(IReadOnlyDictionary{string, Tensor}, bool)"/>) and returns its metadata.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="path"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file.</exception>
    /// <exception cref="InvalidOperationException">With <paramref name="strict"/>, keys are missing or unexpected; or a
    /// tensor's shape differs from its parameter's.</exception>
    /// <exception cref="IOException">Reading fails.</exception>
    public static Dictionary<string, string> LoadStateDict(this Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (tensors, metadata) = Checkpoint.Load(path);
        module.LoadStateDict(tensors, strict);
        return metadata;
    }
}
