using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Xent.Data;
using Xent.IO;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Tests.Training;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// <c>eval</c> and <c>calibrate</c> on an IDX folder score a model by its class names, not by position: a model trained on
/// named labels (class folders, text labels) sorts its classes by name, so IDX label 0 ("T-shirt/top") is not its class 0.
/// The reference is the same model on the same images given as a .npy pair with those names, a path that matched by name
/// before this change.
/// </summary>
public class IdxClassMatchCliTests
{
    private static void Ok(CliResult r) => Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);

    /// <summary>A .npy file of numpy '&lt;U' text, one name per sample.</summary>
    private static void WriteText(string path, IReadOnlyList<string> names)
    {
        int chars = names.Max(n => n.Length);
        string dict = $"{{'descr': '<U{chars}', 'fortran_order': False, 'shape': ({names.Count},), }}";
        dict = dict.PadRight(117) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 };
        var len = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)dict.Length);
        bytes.AddRange(len);
        bytes.AddRange(Encoding.Latin1.GetBytes(dict));
        foreach (string n in names) bytes.AddRange(Encoding.UTF32.GetBytes(n.PadRight(chars, '\0')));
        File.WriteAllBytes(path, [.. bytes]);
    }

    /// <summary>
    /// One split of the IDX folder as a .npy pair: the same pixels, and each label as Fashion-MNIST's name the way a class
    /// folder must spell it ('/' cannot be in a folder name), keeping only the classes in <paramref name="keep"/>.
    /// </summary>
    private static (string Images, string Labels) AsNamedNpy(string idx, bool train, string dir, Func<string, bool>? keep = null,
        bool numbered = false)
    {
        var data = new MnistDataset(idx, train);
        var names = data.Labels.ToArray()
            .Select(l => (numbered ? $"{l}_" : "") + ClassNames.FashionMnist[l].Replace('/', '_')).ToArray();
        var rows = Enumerable.Range(0, data.Count).Where(i => keep?.Invoke(names[i]) ?? true).ToArray();
        var pixels = rows.SelectMany(i => data.Images.Slice(i * 784, 784).ToArray()).ToArray();
        string split = train ? "train" : "test";
        string x = Path.Combine(dir, $"{split}-x.npy"), y = Path.Combine(dir, $"{split}-y.npy");
        Npy.Write(x, pixels, [rows.Length, 1, 28, 28]);
        WriteText(y, rows.Select(i => names[i]).ToArray());
        return (x, y);
    }

    private static JsonElement EvalJson(params string[] args)
    {
        var r = CliRunner.Run(["eval", .. args, "--json"]);
        Ok(r);
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    [Fact]
    public void AModelWithSortedClassNamesScoresTheIdxFolderAsTheSameImagesWithNames()
    {
        using var dir = new TempDirectory();
        string idx = dir.File("fashion-tiny"); // "fashion" in the path: its labels read as Fashion-MNIST's names
        SyntheticIdx.Write(idx, train: 200, test: 60);
        var (trainX, trainY) = AsNamedNpy(idx, train: true, dir.Path);
        var (testX, testY) = AsNamedNpy(idx, train: false, dir.Path);
        string run = dir.File("run");
        Ok(CliRunner.Run("train", "--data", trainX, "--labels", trainY, "--model", "linear", "--epochs", "3", "--out", run));
        string checkpoint = Path.Combine(run, "checkpoint.safetensors");

        var named = EvalJson("--checkpoint", checkpoint, "--data", testX, "--labels", testY);
        var fromIdx = EvalJson("--checkpoint", checkpoint, "--data", idx);
        Assert.Equal("Ankle boot", named.GetProperty("class_names")[0].GetString()); // sorted: not IDX label 0
        Assert.True(named.GetProperty("accuracy").GetDouble() > 0.5, named.ToString()); // the model learned the patches
        Assert.Equal(named.GetProperty("correct").GetInt64(), fromIdx.GetProperty("correct").GetInt64());
        Assert.Equal(60, fromIdx.GetProperty("total").GetInt64());
        Assert.Equal(named.GetProperty("mean_ce").GetDouble(), fromIdx.GetProperty("mean_ce").GetDouble(), 12);

        // calibrate fits its temperature on the same (matched) labels as the named data.
        string Temperature(params string[] data)
        {
            var r = CliRunner.Run(["calibrate", "--checkpoint", checkpoint, .. data, "--json"]);
            Ok(r);
            return JsonDocument.Parse(r.Stdout).RootElement.GetProperty("temperature").GetRawText();
        }
        Assert.Equal(Temperature("--data", testX, "--labels", testY), Temperature("--data", idx));
    }

    [Fact]
    public void ClassesNamedWithTheirLabelNumberFirstMatchTheirLabels()
    {
        // tools/data/idx_to_png.py names its class folders "0_T-shirt_top", "1_Trouser", …: label k's name after "k_".
        using var dir = new TempDirectory();
        string idx = dir.File("fashion-tiny");
        SyntheticIdx.Write(idx, train: 200, test: 60);
        var (trainX, trainY) = AsNamedNpy(idx, train: true, dir.Path, numbered: true);
        var (testX, testY) = AsNamedNpy(idx, train: false, dir.Path, numbered: true);
        string run = dir.File("run");
        Ok(CliRunner.Run("train", "--data", trainX, "--labels", trainY, "--model", "linear", "--epochs", "2", "--out", run));
        string checkpoint = Path.Combine(run, "checkpoint.safetensors");
        var named = EvalJson("--checkpoint", checkpoint, "--data", testX, "--labels", testY);
        var fromIdx = EvalJson("--checkpoint", checkpoint, "--data", idx);
        Assert.Equal("0_T-shirt_top", named.GetProperty("class_names")[0].GetString());
        Assert.Equal(named.GetProperty("correct").GetInt64(), fromIdx.GetProperty("correct").GetInt64());
        Assert.Equal(named.GetProperty("mean_ce").GetDouble(), fromIdx.GetProperty("mean_ce").GetDouble(), 12);
    }

    [Fact]
    public void AModelLackingSomeIdxClassesIsRefusedNamingThem()
    {
        using var dir = new TempDirectory();
        string idx = dir.File("fashion-tiny");
        SyntheticIdx.Write(idx, train: 200, test: 20);
        var (trainX, trainY) = AsNamedNpy(idx, train: true, dir.Path, keep: n => n is "Bag" or "Trouser");
        string run = dir.File("run");
        Ok(CliRunner.Run("train", "--data", trainX, "--labels", trainY, "--model", "linear", "--epochs", "1", "--out", run));
        string checkpoint = Path.Combine(run, "checkpoint.safetensors");
        foreach (string command in new[] { "eval", "calibrate" })
        {
            var r = CliRunner.Run(command, "--checkpoint", checkpoint, "--data", idx);
            Assert.Equal(2, r.ExitCode);
            // Before: "error: Target 9 is out of bounds." (eval), naming neither the data nor the model's classes.
            Assert.Contains("the model's 2 classes (Bag, Trouser) do not name label 0 'T-shirt/top', 2 'Pullover'", r.Stderr);
            Assert.DoesNotContain("Target", r.Stderr);
        }
    }
}
