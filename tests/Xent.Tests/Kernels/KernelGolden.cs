using System.Globalization;
using System.Text.Json;

namespace Xent.Tests.Kernels;

/// <summary>Reads tools/golden/data/kernels/*.json (written by tools/golden/gen_kernels.py with PyTorch).</summary>
internal static class KernelGolden
{
    public static JsonElement[] Cases(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "golden", "kernels", file);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    public static float[] Floats(JsonElement c, string name) => c.GetProperty(name).EnumerateArray()
        .Select(v => v.ValueKind == JsonValueKind.String ? float.Parse(v.GetString()!, CultureInfo.InvariantCulture) : v.GetSingle())
        .ToArray();

    public static int[] Ints(JsonElement c, string name) => c.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();
}
