using System.Text.Json;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Losses;

/// <summary>The cases of tools/golden/gen_losses_extra.py (focal, sigmoid focal, kl_div, distillation), read from cases.json.</summary>
internal static class LossesExtraGolden
{
    public const string Area = "losses_extra";

    private static readonly Lazy<Dictionary<string, JsonElement>> s_cases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Golden.PathOf(Area, "cases.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    public static JsonElement Case(string name) => s_cases.Value[name];

    public static TheoryData<string> Names(string function)
    {
        var data = new TheoryData<string>();
        foreach (var (name, c) in s_cases.Value)
            if (c.GetProperty("function").GetString() == function) data.Add(name);
        return data;
    }

    public static Tensor Load(string name, string file) => Golden.Load(Area, Path.Combine(name, file));

    public static IEnumerable<string> Reductions(JsonElement c) => c.GetProperty("reductions").EnumerateArray().Select(e => e.GetString()!);

    public static float Float(JsonElement c, string key) => (float)c.GetProperty(key).GetDouble();
}
