using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Xent.IO;
using Xent.Tests.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Tests.Training;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// A copy of the training data file (<c>cp train.csv test.csv</c>, the same file downloaded again) given to <c>eval</c> or
/// <c>calibrate</c> as test data: told only by path, symbolic or hard link, it went without a word, so training accuracy could be
/// reported as a test result. <c>train</c> now records the file's length and SHA-256 (<c>setting.data_bytes</c>,
/// <c>setting.data_sha256</c>), and a file of that length is hashed and warned about as a copy when the bytes match.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TrainingDataCopyCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Csv(string name) => OwnDataFiles.NoisySumCsv(_dir.File(name));

    /// <summary>The SHA-256 of <paramref name="path"/>'s bytes in lower-case hex, from the whole file in memory.</summary>
    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static IReadOnlyDictionary<string, string> Metadata(string checkpoint) => SafeTensors.Read(checkpoint).Metadata;

    [Fact]
    public void ACopyOfTheTrainingCsvIsWarnedAboutAsALinkIs_AndOtherBytesOfTheSameLengthAreNot()
    {
        string csv = Csv("data.csv"), run = _dir.File("run");
        var train = InProcessCli.Run("train", "--data", csv, "--val-split", "0.25", "--model", "linear", "--epochs", "1", "--out", run);
        Assert.True(train.ExitCode == 0, train.Stderr);
        string checkpoint = Path.Combine(run, "checkpoint.safetensors"), split = Path.Combine(run, "split.csv");
        var metadata = Metadata(checkpoint);
        Assert.Equal(new FileInfo(csv).Length.ToString(CultureInfo.InvariantCulture), metadata["setting.data_bytes"]);
        Assert.Equal(Sha256(csv), metadata["setting.data_sha256"]);

        // The run held out 25% of 200 rows (stratified: 50), so 150 trained it; both commands say so of the copy, naming it one.
        string copy = _dir.File("copy.csv");
        File.Copy(csv, copy);
        foreach (string command in new[] { "eval", "calibrate" })
        {
            var r = InProcessCli.Run(command, "--checkpoint", checkpoint, "--data", copy);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.StartsWith($"Warning: '{copy}' is a copy of '{csv}', the data '{checkpoint}' was trained on (the same bytes): 150 of " +
                $"its 200 samples trained it ({split}), so ", r.Stderr, StringComparison.Ordinal);
            Assert.Contains($"Pass --held-out {split} to use only the rows its run held out.", r.Stderr, StringComparison.Ordinal);
        }
        // The advice holds for the copy: its held-out rows are the 50 the run tested on.
        var heldOut = InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", copy, "--held-out", split, "--json");
        Assert.True(heldOut.ExitCode == 0, heldOut.Stderr);
        Assert.Equal("", heldOut.Stderr);
        using (var json = JsonDocument.Parse(heldOut.Stdout)) Assert.Equal(50, json.RootElement.GetProperty("total").GetInt32());

        // The same length with one label changed ('p' for 'n', or back): other data, hashed and not warned about.
        string edited = _dir.File("edited.csv");
        string[] lines = File.ReadAllLines(csv);
        lines[7] = lines[7][..^1] + (lines[7][^1] == 'p' ? "n" : "p");
        File.WriteAllLines(edited, lines);
        Assert.Equal(new FileInfo(csv).Length, new FileInfo(edited).Length);
        var other = InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", edited);
        Assert.True(other.ExitCode == 0, other.Stderr);
        Assert.Equal("", other.Stderr);

        // A checkpoint of an older xent, without the fingerprint, behaves as before: its path is told, a copy is not.
        string old = _dir.File("old.safetensors");
        var file = SafeTensors.Read(checkpoint);
        SafeTensors.Write(old, file.Tensors, file.Metadata.Where(kv => !kv.Key.StartsWith("setting.data_", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value));
        Assert.False(Metadata(old).ContainsKey("setting.data_sha256"));
        Assert.Equal("", InProcessCli.Run("eval", "--checkpoint", old, "--data", copy).Stderr);
        Assert.StartsWith($"Warning: '{csv}' is the data '{old}' was trained on: all of its 200 samples but the 25% its run held " +
            "out (--val-split 0.25) trained it", // no split.csv beside it
            InProcessCli.Run("eval", "--checkpoint", old, "--data", csv).Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ANpyFileIsFingerprintedAsItIsRead_EveryByteOfIt_AndFoldersAreNot()
    {
        // Four bytes after the array, which the reader does not need: the fingerprint is of the file, so they are hashed too.
        var (features, labels) = OwnDataFiles.NpyPair(_dir.Path, 60);
        using (var append = new FileStream(features, FileMode.Append)) append.Write([1, 2, 3, 4]);
        string run = _dir.File("npy-run");
        var train = InProcessCli.Run("train", "--data", features, "--labels", labels, "--model", "linear", "--epochs", "1",
            "--out", run);
        Assert.True(train.ExitCode == 0, train.Stderr);
        string checkpoint = Path.Combine(run, "checkpoint.safetensors");
        var metadata = Metadata(checkpoint);
        Assert.Equal(new FileInfo(features).Length.ToString(CultureInfo.InvariantCulture), metadata["setting.data_bytes"]);
        Assert.Equal(Sha256(features), metadata["setting.data_sha256"]);
        string copy = _dir.File("copy.npy");
        File.Copy(features, copy);
        var r = InProcessCli.Run("eval", "--checkpoint", checkpoint, "--data", copy, "--labels", labels);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith($"Warning: '{copy}' is a copy of '{features}', the data '{checkpoint}' was trained on (the same bytes): ",
            r.Stderr, StringComparison.Ordinal);

        // Image class folders are not fingerprinted (DATA.md says so), nor is an IDX folder, whose t10k files eval reads.
        string images = _dir.File("images"), idx = _dir.File("idx");
        OwnDataFiles.GrayClasses(images, perClass: 6);
        SyntheticIdx.Write(idx, train: 40, test: 10);
        foreach (var (data, output) in new[] { (images, "image-run"), (idx, "idx-run") })
        {
            var folder = InProcessCli.Run("train", "--data", data, "--model", "linear", "--epochs", "1", "--out", _dir.File(output));
            Assert.True(folder.ExitCode == 0, folder.Stderr);
            var keys = Metadata(_dir.File(output + "/checkpoint.safetensors")).Keys;
            Assert.Contains("setting.data", keys);
            Assert.DoesNotContain(keys, k => k.StartsWith("setting.data_", StringComparison.Ordinal));
        }
    }
}
