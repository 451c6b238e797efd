using System.Text.Json;
using Xent.Data;
using Xent.IO;
using Xent.Tests.Data;
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
        OwnDataFiles.NpyText(y, rows.Select(i => names[i]).ToArray());
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

    [Theory]
    [InlineData("fashion-tiny")] // labels read as Fashion-MNIST's names
    [InlineData("idx-tiny")] // labels read as the digits: only the number before the name tells (qa-s20-a M1)
    public void ClassesNamedWithTheirLabelNumberFirstMatchTheirLabels(string folder)
    {
        // tools/data/idx_to_png.py names its class folders "0_T-shirt_top", "1_Trouser", …: label k's name after "k_".
        using var dir = new TempDirectory();
        string idx = dir.File(folder);
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
    public void AnIdxFolderOfSomeLabelsFitsAModelOfThoseClasses()
    {
        // A folder of 1s and 3s and a model trained on the number labels 1 and 3 (classes "1", "3"): labels 0, 2, 4–9 are not in
        // the data, so the model need not name them (qa-s20-a M2). Reference: the same images as a .npy pair.
        using var dir = new TempDirectory();
        string idx = dir.File("idx-tiny");
        SyntheticIdx.Write(idx, train: 120, test: 40, classes: [1, 3]);
        string Npy(bool train, string name)
        {
            var data = new MnistDataset(idx, train);
            string x = dir.File(name + "-x.npy"), y = dir.File(name + "-y.npy");
            Xent.IO.Npy.Write(x, data.Images, [data.Count, 1, 28, 28]);
            Xent.IO.Npy.Write(y, data.Labels.ToArray().Select(l => (long)l).ToArray(), [data.Count]);
            return x;
        }
        string trainX = Npy(train: true, "train"), testX = Npy(train: false, "test");
        string run = dir.File("run");
        Ok(CliRunner.Run("train", "--data", trainX, "--labels", dir.File("train-y.npy"), "--model", "linear", "--epochs", "2",
            "--out", run));
        string checkpoint = Path.Combine(run, "checkpoint.safetensors");
        var named = EvalJson("--checkpoint", checkpoint, "--data", testX, "--labels", dir.File("test-y.npy"));
        var fromIdx = EvalJson("--checkpoint", checkpoint, "--data", idx);
        Assert.Equal(["1", "3"], named.GetProperty("class_names").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(40, fromIdx.GetProperty("total").GetInt64());
        Assert.Equal(named.GetProperty("correct").GetInt64(), fromIdx.GetProperty("correct").GetInt64());
        Assert.Equal(named.GetProperty("mean_ce").GetDouble(), fromIdx.GetProperty("mean_ce").GetDouble(), 12);
    }

    [Fact]
    public void AMultiLabelModelIsRefusedOnAnIdxFolderInWords()
    {
        // Before: "internal error (InvalidOperationException): this op expects a float32 tensor, but got int64", exit 1, where
        // its names matched (qa-s20-a L3).
        using var dir = new TempDirectory();
        string idx = dir.File("idx-tiny");
        SyntheticIdx.Write(idx, train: 40, test: 20);
        var data = new MnistDataset(idx, train: true);
        string x = dir.File("x.npy"), y = dir.File("y.npy");
        Xent.IO.Npy.Write(x, data.Images, [data.Count, 1, 28, 28]);
        var labels = new long[data.Count * 10];
        for (int i = 0; i < data.Count; i++) labels[i * 10 + data.Labels[i]] = 1;
        Xent.IO.Npy.Write(y, labels, [data.Count, 10]);
        string run = dir.File("run");
        Ok(CliRunner.Run("train", "--data", x, "--labels", y, "--model", "linear", "--epochs", "1", "--out", run));
        var r = CliRunner.Run("eval", "--checkpoint", Path.Combine(run, "checkpoint.safetensors"), "--data", idx);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("is an IDX folder, one class per image, and the model is multi-label (10 labels)", r.Stderr);
    }

    /// <summary>IdxClasses.Match (internal to the CLI) on labels alone.</summary>
    private static object Match(string path, long[] labels, string[] classes) =>
        InProcessCli.Assembly.GetType("Xent.Cli.Commands.IdxClasses", throwOnError: true)!.GetMethod("Match")!
            .Invoke(null, [new Labels(labels), path, classes])!;

    private sealed class Labels(long[] targets) : IDataset
    {
        public int Count => targets.Length;
        public IReadOnlyList<int> SampleShape => [1, 28, 28];
        public void CopySample(int index, Span<float> destination) => destination.Clear();
        public long Target(int index) => targets[index];
    }

    private static string Refusal(string path, long[] labels, string[] classes) =>
        Assert.IsType<InvalidDataException>(Assert.Throws<System.Reflection.TargetInvocationException>(
            () => Match(path, labels, classes)).InnerException).Message;

    [Fact]
    public void NamesAreMatchedOneToOneAndSignsCount()
    {
        // Two spellings of one name: said so, not "does not name" (qa-s20-a L1).
        Assert.Contains("9 'Ankle boot' (named by several: 'Ankle_boot', 'ankle-boot')",
            Refusal("/d/fashion", [9], ["Ankle_boot", "ankle-boot", "Bag"]));
        // "-1" is not label 1 (qa-s20-a L2); "1" is, and "07" is label 7.
        Assert.Contains("do not name label 1 '1'", Refusal("/d/digits", [1], ["-1", "-2"]));
        var mapped = (IDataset)Match("/d/digits", [1, 7], ["07", "1", "x"]);
        Assert.Equal([1L, 0L], [mapped.Target(0), mapped.Target(1)]);
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
