using System.Globalization;
using System.Security.Cryptography;
using Xent.IO;
using Xent.Tests.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// A .npy pair's <c>--labels</c> file was not fingerprinted: only the features file's bytes were recorded, so a resumed run whose
/// labels had been edited went on without a word, and a relabelled copy of the training data counted as the training data. The
/// checkpoint now records the labels file's length and SHA-256 too (<c>setting.labels_bytes</c>, <c>setting.labels_sha256</c>).
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class NpyLabelsFingerprintCliTests : IDisposable
{
    private const string Standardised = "The inputs are standardised with the checkpoint's mean and std, as the model was trained.";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The SHA-256 of <paramref name="path"/>'s bytes in lower-case hex, from the whole file in memory.</summary>
    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static string Length(string path) => new FileInfo(path).Length.ToString(CultureInfo.InvariantCulture);

    private static IReadOnlyDictionary<string, string> Metadata(string checkpoint) => SafeTensors.Read(checkpoint).Metadata;

    private static CliResult Train(string features, string labels, string outDir, params string[] extra) =>
        InProcessCli.Run(["train", "--data", features, "--labels", labels, "--model", "linear", "--out", outDir, .. extra]);

    /// <summary>A copy of labels file <paramref name="labels"/> at <paramref name="path"/> with sample 5's class moved on by one.</summary>
    private static string Relabelled(string labels, string path)
    {
        var y = Npy.Read(labels).ToFloat64().Select(v => (int)v).ToArray();
        y[5] = (y[5] + 1) % 3;
        Npy.Write(path, y, [y.Length]);
        Assert.Equal(new FileInfo(labels).Length, new FileInfo(path).Length); // only the hash can tell them apart
        return path;
    }

    [Fact]
    public void TheLabelsFilesBytesAreRecorded_AndAResumedRunWhoseLabelsChangedSaysSoOnce()
    {
        var (x, y) = OwnDataFiles.NpyPair(_dir.Path, 60);
        // Other test data than the training data: one value of the features moved.
        string tx = _dir.File("test-x.npy"), ty = _dir.File("test-y.npy");
        var testX = Npy.Read(x).ToFloat64();
        testX[1] += 2;
        Npy.Write(tx, testX, [60, 3]);
        File.Copy(y, ty);
        string[] testData = ["--test-data", tx, "--test-labels", ty];
        var first = Train(x, y, _dir.File("run"), ["--epochs", "1", .. testData]);
        Assert.True(first.ExitCode == 0, first.Stderr);
        string checkpoint = _dir.File("run/checkpoint.safetensors");
        var metadata = Metadata(checkpoint);
        Assert.Equal(Length(x), metadata["setting.data_bytes"]);
        Assert.Equal(Sha256(x), metadata["setting.data_sha256"]);
        Assert.Equal(Length(y), metadata["setting.labels_bytes"]);
        Assert.Equal(Sha256(y), metadata["setting.labels_sha256"]);

        // Labels as numpy text are read by another path of the reader, and hashed there.
        string text = _dir.File("names.npy");
        OwnDataFiles.NpyText(text, Npy.Read(y).ToFloat64().Select(v => "abc"[(int)v].ToString()).ToArray());
        var named = Train(x, text, _dir.File("named"), "--epochs", "1");
        Assert.True(named.ExitCode == 0, named.Stderr);
        var namedMetadata = Metadata(_dir.File("named/checkpoint.safetensors"));
        Assert.Equal(Length(text), namedMetadata["setting.labels_bytes"]);
        Assert.Equal(Sha256(text), namedMetadata["setting.labels_sha256"]);

        CliResult Resume(string labels, string name, string from)
        {
            var r = Train(x, labels, _dir.File(name), ["--epochs", "2", "--resume", from, .. testData]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return r;
        }
        // The same bytes, at its path or another (the labels are recorded by their bytes): nothing to say.
        Assert.Equal("", Resume(y, "same", checkpoint).Stderr);
        string copy = _dir.File("copy-y.npy");
        File.Copy(y, copy);
        Assert.Equal("", Resume(copy, "copied", checkpoint).Stderr);

        // One label changed in place, the length kept: the features' statistics are the same, so only the labels' hash tells.
        byte[] original = File.ReadAllBytes(y);
        Relabelled(copy, y);
        Assert.Equal($"Warning: the contents of --labels '{y}' differ from the labels the checkpoint's run trained on (its SHA-256 is " +
            $"not the one the checkpoint recorded), so the resumed run does not continue the same training. {Standardised}" +
            Environment.NewLine, Resume(y, "labels", checkpoint).Stderr);

        // The features changed as well (one value, the length kept): one warning names both files.
        byte[] features = File.ReadAllBytes(x);
        var changed = Npy.Read(x).ToFloat64();
        changed[0] += 1;
        Npy.Write(x, changed, [60, 3]);
        Assert.Equal($"Warning: the contents of '{x}' and of --labels '{y}' differ from the data and labels the checkpoint's run " +
            "trained on (their SHA-256 are not the ones the checkpoint recorded), so the resumed run does not continue the same " +
            $"training. {Standardised}{Environment.NewLine}", Resume(y, "both", checkpoint).Stderr);
        File.WriteAllBytes(x, features);

        // A checkpoint of an older xent, with the data's fingerprint but not the labels': the labels are not compared.
        string old = _dir.File("old.safetensors");
        var file = SafeTensors.Read(checkpoint);
        SafeTensors.Write(old, file.Tensors, file.Metadata.Where(kv => !kv.Key.StartsWith("setting.labels_", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value));
        Assert.True(Metadata(old).ContainsKey("setting.data_sha256"));
        Assert.Equal("", Resume(y, "older", old).Stderr);
        File.WriteAllBytes(y, original);
    }

    [Fact]
    public void TheSameFeaturesWithOtherLabelsAreNotTheTrainingData_ForEvalCalibrateAndTrainTestData()
    {
        var (x, y) = OwnDataFiles.NpyPair(_dir.Path, 60);
        var first = Train(x, y, _dir.File("run"), "--epochs", "1");
        Assert.True(first.ExitCode == 0, first.Stderr);
        string checkpoint = _dir.File("run/checkpoint.safetensors"), split = _dir.File("run/split.csv");
        string copy = _dir.File("copy-y.npy"), relabelled = Relabelled(y, _dir.File("relabelled-y.npy"));
        File.Copy(y, copy);

        // The training features with a copy of their labels are the training data; with one label changed, other data.
        string trainedOn = $"Warning: '{x}' is the data '{checkpoint}' was trained on: 54 of its 60 samples trained it ({split}), so ";
        foreach (string command in new[] { "eval", "calibrate" })
        {
            string[] Out(string name) => command == "calibrate" ? ["--out", _dir.File(name + ".safetensors")] : [];
            var same = InProcessCli.Run([command, "--checkpoint", checkpoint, "--data", x, "--labels", copy, .. Out("same")]);
            Assert.True(same.ExitCode == 0, same.Stderr);
            Assert.StartsWith(trainedOn, same.Stderr, StringComparison.Ordinal);
            var other = InProcessCli.Run([command, "--checkpoint", checkpoint, "--data", x, "--labels", relabelled, .. Out("other")]);
            Assert.True(other.ExitCode == 0, other.Stderr);
            Assert.Equal("", other.Stderr);
        }

        // A checkpoint of an older xent, without the labels' fingerprint, behaves as before: the features alone tell.
        string old = _dir.File("old.safetensors");
        var file = SafeTensors.Read(checkpoint);
        SafeTensors.Write(old, file.Tensors, file.Metadata.Where(kv => !kv.Key.StartsWith("setting.labels_", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value));
        var older = InProcessCli.Run("eval", "--checkpoint", old, "--data", x, "--labels", relabelled);
        Assert.True(older.ExitCode == 0, older.Stderr);
        Assert.StartsWith($"Warning: '{x}' is the data '{old}' was trained on: ", older.Stderr, StringComparison.Ordinal);

        // train --test-data: the training features with their labels (the same file, or a copy) are warned about; with other labels,
        // they are other test data.
        string sameData = $"Warning: --test-data '{x}' is the training data (--data '{x}'), so the test loss and accuracy this run " +
            "reports are scores on the samples it trains on, not a test result.";
        foreach (string labels in new[] { y, copy })
        {
            var r = Train(x, y, _dir.File("tested-" + Path.GetFileNameWithoutExtension(labels)), "--epochs", "1", "--test-data", x,
                "--test-labels", labels);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.StartsWith(sameData, r.Stderr, StringComparison.Ordinal);
        }
        var otherTest = Train(x, y, _dir.File("tested-other"), "--epochs", "1", "--test-data", x, "--test-labels", relabelled);
        Assert.True(otherTest.ExitCode == 0, otherTest.Stderr);
        Assert.Equal("", otherTest.Stderr);
    }
}
