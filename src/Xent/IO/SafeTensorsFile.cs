namespace Xent.IO;

/// <summary>
/// The contents of a safetensors file: named arrays in the order of the file's JSON header, and
/// the optional string-to-string <c>__metadata__</c>. Returned by <see cref="SafeTensors.Read(string)"/>.
/// </summary>
public sealed class SafeTensorsFile
{
    private readonly OrderedDictionary<string, NpyArray> _tensors;

    internal SafeTensorsFile(string source, OrderedDictionary<string, NpyArray> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Source = source;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file name (or stream description) the tensors were read from.</summary>
    public string Source { get; }

    /// <summary>The tensors by name; enumerates in the order of the file's header.</summary>
    public IReadOnlyDictionary<string, NpyArray> Tensors => _tensors;

    /// <summary>The tensor names in the order of the file's header.</summary>
    public IReadOnlyList<string> Names => _tensors.Keys;

    /// <summary>Number of tensors.</summary>
    public int Count => _tensors.Count;

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message lists the names the file has.</exception>
    public NpyArray this[string name]
    {
        get
        {
            if (_tensors.TryGetValue(name, out var array)) return array;
            string have = _tensors.Count == 0 ? "none" : string.Join(", ", _tensors.Keys.Take(50).Select(k => $"'{k}'"))
                + (_tensors.Count > 50 ? ", ..." : "");
            throw new KeyNotFoundException($"'{Source}' has no tensor named '{name}'; it has: {have}.");
        }
    }

    /// <summary>Looks up the tensor called <paramref name="name"/>.</summary>
    public bool TryGet(string name, out NpyArray array) => _tensors.TryGetValue(name, out array!);
}
