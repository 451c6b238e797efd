using Xent.IO;
using Xent.NN;
using Xent.Optim;

namespace Xent.Training;

/// <summary>
/// A training checkpoint in one safetensors file: the model's state dict under PyTorch's names
/// (<c>conv1.weight</c>, …), the optimizer's under <c>optimizer.</c> (<c>optimizer.state.0.exp_avg</c>, …),
/// and string metadata (<c>epoch</c>, <c>seed</c>, <c>model</c>, settings). A plain PyTorch state dict
/// (no optimizer entries, no metadata) is a valid checkpoint for evaluation.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>Prefix of the optimizer's entries.</summary>
    public const string OptimizerPrefix = "optimizer.";

    /// <summary>Writes model, optimizer and metadata atomically (the previous file survives a crash mid-write).</summary>
    public static void Save(string path, Module model, Optimizer? optimizer, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(model);
        var tensors = new Dictionary<string, Tensor>(model.StateDict(), StringComparer.Ordinal);
        if (optimizer is not null)
            foreach (var (k, v) in optimizer.Snapshot(copy: false)) tensors[OptimizerPrefix + k] = v; // written before returning
        Checkpoint.Save(path, tensors, metadata);
    }

    /// <summary>Reads a checkpoint and splits it into model entries, optimizer entries (prefix removed) and metadata.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a safetensors file (a PyTorch pickle <c>.pt</c> gets a hint on converting
    /// it).</exception>
    public static (Dictionary<string, Tensor> Model, Dictionary<string, Tensor> Optimizer, Dictionary<string, string> Metadata)
        Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        Dictionary<string, Tensor> tensors;
        Dictionary<string, string> metadata;
        try
        {
            (tensors, metadata) = Checkpoint.Load(path);
        }
        catch (InvalidDataException e) when (LooksLikeZip(path))
        {
            throw new InvalidDataException(
                $"'{path}' is a PyTorch pickle (torch.save) file, not safetensors. Convert it in Python with " +
                "safetensors.torch.save_file(torch.load(path), 'model.safetensors') and pass that file.", e);
        }
        return Split(tensors, metadata);
    }

    /// <summary>
    /// A checkpoint's tensors as <see cref="Checkpoint.Load(string)"/> read them, split into model entries and optimizer entries
    /// (prefix removed), with its metadata.
    /// </summary>
    internal static (Dictionary<string, Tensor> Model, Dictionary<string, Tensor> Optimizer, Dictionary<string, string> Metadata)
        Split(IReadOnlyDictionary<string, Tensor> tensors, Dictionary<string, string> metadata)
    {
        var model = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var optimizer = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, v) in tensors)
        {
            if (k.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) optimizer[k[OptimizerPrefix.Length..]] = v;
            else model[k] = v;
        }
        return (model, optimizer, metadata);
    }

    private static bool LooksLikeZip(string path)
    {
        try
        {
            using var s = FileReading.OpenRead(path);
            return s.ReadByte() == 'P' && s.ReadByte() == 'K';
        }
        catch (IOException) { return false; }
    }
}
