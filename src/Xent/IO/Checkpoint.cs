using System.Runtime.CompilerServices;

namespace Xent.IO;

/// <summary>
/// Named tensors (a state dict) in a <see cref="SafeTensors"/> file, the format PyTorch users exchange weights in:
/// <c>Checkpoint.Save("model.safetensors", model.StateDict())</c>, then <c>model.LoadStateDict(Checkpoint.Load(path).Tensors)</c>.
/// Files written here load with <c>safetensors.torch.load_file</c>, and files PyTorch wrote load here.
/// </summary>
public static class Checkpoint
{
    // Tensors Load converted from another dtype, with the dtype they had in the file, so errors name what the file holds.
    private static readonly ConditionalWeakTable<Tensor, string> s_storedAs = new();

    /// <summary>
    /// The file's dtype (<c>int32</c>, <c>uint8</c>, <c>bool</c>, <c>float64</c>) of a tensor <see cref="Load(string)"/> converted,
    /// else null.
    /// </summary>
    internal static string? StoredDTypeName(Tensor tensor) => s_storedAs.TryGetValue(tensor, out var name) ? name : null;

    /// <summary>
    /// Writes <paramref name="tensors"/> (float32 as F32, int64 as I64) and optional <c>__metadata__</c> strings
    /// atomically to <paramref name="path"/>. Tensors are listed in the dictionary's enumeration order. Like
    /// <c>safetensors.torch.save_file</c>'s users (Hugging Face), the metadata gets <c>"format": "pt"</c> unless it sets a format.
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty or reserved, or a metadata value is null; nothing is written.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var arrays = new List<(string Name, NpyArray Array)>(tensors.Count);
        foreach (var (name, t) in tensors)
        {
            ArgumentNullException.ThrowIfNull(t, $"tensors[\"{name}\"]");
            // NpyArray wraps the storage (no copy); SafeTensors writes it before returning.
            arrays.Add((name, t.DType == DType.Float32 ? new NpyArray(t.FloatArray, t.Shape) : new NpyArray(t.LongArray, t.Shape)));
        }
        var meta = metadata is null ? new Dictionary<string, string>() : new Dictionary<string, string>(metadata);
        meta.TryAdd("format", "pt");
        SafeTensors.Write(path, arrays, meta);
    }

    /// <summary>
    /// Reads every tensor and the metadata of the safetensors file at <paramref name="path"/>. F32 tensors load as
    /// float32 and I64 as int64; F64 is rounded to float32, and I32, U8 and BOOL widen to int64.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed (the message names the file).</exception>
    /// <exception cref="NotSupportedException">A tensor has a dtype Xent cannot read (e.g. F16, BF16).</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return FromFile(SafeTensors.Read(path));
    }

    /// <summary>
    /// <see cref="Load(string)"/> from a stream, from its position to its end: the CLI reads a checkpoint given as a pipe
    /// (<c>&lt;(cat f)</c>, <c>/dev/stdin</c>) once, since a second open would find its first bytes gone.
    /// </summary>
    internal static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(Stream stream, string nameForErrors) =>
        FromFile(SafeTensors.Read(stream, nameForErrors));

    private static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) FromFile(SafeTensorsFile file)
    {
        var tensors = new Dictionary<string, Tensor>(file.Count);
        foreach (var name in file.Names)
        {
            var a = file[name];
            var shape = a.Shape;
            var tensor = a.DType switch
            {
                NpyDType.Float32 => new Tensor(a.Float32!, shape),
                NpyDType.Float64 => new Tensor(a.ToFloat32(), shape),
                _ => new Tensor(a.ToInt64(), shape),
            };
            if (a.DType is not (NpyDType.Float32 or NpyDType.Int64)) s_storedAs.AddOrUpdate(tensor, a.DType.NumpyName());
            tensors[name] = tensor;
        }
        return (tensors, new Dictionary<string, string>(file.Metadata));
    }
}
