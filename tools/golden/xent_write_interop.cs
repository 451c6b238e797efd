#:project ../../src/Xent/Xent.csproj
// Writes files with Xent for check_safetensors.py to load with numpy/torch (the interop proof; the test
// suite itself needs no Python). Usage, from the repository root:
//   dotnet run tools/golden/xent_write_interop.cs -- OUTDIR && /usr/bin/python3 tools/golden/check_safetensors.py OUTDIR
using Xent.IO;

string outDir = args.Length > 0 ? args[0] : throw new ArgumentException("usage: xent_write_interop.cs OUTDIR");
Directory.CreateDirectory(outDir);
string golden = Path.Combine(AppContext.GetData("EntryPointFileDirectoryPath") as string ?? "tools/golden", "data", "io");

// 1. The torch-written state dict, read by Xent and written back in reverse header order (a layout
//    different from Python's writer), so torch has to rely on Xent's offsets.
var sd = SafeTensors.Read(Path.Combine(golden, "torch_state_dict.safetensors"));
SafeTensors.Write(Path.Combine(outDir, "state_dict_roundtrip.safetensors"),
    sd.Names.Reverse().Select(n => (n, sd[n])).ToList(), new Dictionary<string, string> { ["format"] = "pt", ["writer"] = "xent" });

// 2. Fresh arrays from formulas that check_safetensors.py recomputes: v[i] = (i - 3) * 0.5 etc.
NpyArray F32(int[] shape) { var a = NpyArray.Zeros(NpyDType.Float32, shape); for (int i = 0; i < a.Count; i++) a.Float32![i] = (i - 3) * 0.5f; return a; }
var fresh = new List<(string, NpyArray)>
{
    ("f32", F32([2, 3, 4])),
    ("f64", new NpyArray(Enumerable.Range(0, 5).Select(i => i / 3.0).ToArray(), 5)),
    ("i64", new NpyArray(new long[] { long.MinValue, -100, 0, 7, long.MaxValue }, 5)),
    ("i32", new NpyArray(new int[] { int.MinValue, -1, 0, 1, int.MaxValue, 42 }, 2, 3)),
    ("u8", new NpyArray(new byte[] { 0, 1, 254, 255 }, 4)),
    ("bool", new NpyArray(new bool[] { true, false, true }, 3)),
    ("scalar", new NpyArray(new float[] { 2.75f })),
    ("empty", NpyArray.Zeros(NpyDType.Float32, 0, 3)),
};
SafeTensors.Write(Path.Combine(outDir, "fresh.safetensors"), fresh, new Dictionary<string, string> { ["format"] = "pt" });
foreach (var (name, array) in fresh) Npy.Write(Path.Combine(outDir, $"fresh_{name}.npy"), array);
Console.WriteLine($"wrote {Directory.GetFiles(outDir).Length} files to {outDir}");
