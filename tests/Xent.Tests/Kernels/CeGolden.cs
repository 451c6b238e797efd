using System.Text.Json;
using Xunit;

namespace Xent.Tests.Kernels;

/// <summary>Access to tools/golden/data/ce (written by tools/golden/gen_ce.py from PyTorch 1.13).</summary>
internal static class CeGolden
{
    public static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "golden", "ce");

    private static readonly Lazy<Dictionary<string, JsonElement>> s_cases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "cases.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    public static JsonElement Case(string name) => s_cases.Value[name];

    public static TheoryData<string> Names(Func<JsonElement, bool> filter)
    {
        var data = new TheoryData<string>();
        foreach (var (name, c) in s_cases.Value) if (filter(c)) data.Add(name);
        return data;
    }

    public static bool Has(string name, string file) => File.Exists(Path.Combine(Dir, name, file + ".npy"));
    public static NpyArray Load(string name, string file) => NpyArray.Load(Path.Combine(Dir, name, file + ".npy"));

    /// <summary>(N, C, d1..dk) → rows (N·d1..dk, C) with the class dimension last; (C) → one row.</summary>
    public static float[] ToRows(NpyArray a, out int rows, out int classes)
    {
        int[] s = a.Shape;
        if (s.Length == 1) { rows = 1; classes = s[0]; return a.Floats(); }
        int n = s[0], c = s[1], inner = 1;
        for (int k = 2; k < s.Length; k++) inner *= s[k];
        rows = n * inner; classes = c;
        var r = new float[a.Length];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < c; j++)
                for (int k = 0; k < inner; k++)
                    r[(i * inner + k) * c + j] = (float)a.Data[(i * c + j) * inner + k];
        return r;
    }

    /// <summary>Inverse of <see cref="ToRows"/> for a tensor of shape <paramref name="shape"/>.</summary>
    public static float[] FromRows(float[] rowsData, int[] shape)
    {
        if (shape.Length == 1) return rowsData;
        int n = shape[0], c = shape[1], inner = 1;
        for (int k = 2; k < shape.Length; k++) inner *= shape[k];
        var r = new float[rowsData.Length];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < c; j++)
                for (int k = 0; k < inner; k++)
                    r[(i * c + j) * inner + k] = rowsData[(i * inner + k) * c + j];
        return r;
    }
}
