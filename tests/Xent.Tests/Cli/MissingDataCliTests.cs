using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// A <c>--data</c> that does not exist is named as such, with what the nearest folder that exists holds: a path one level off
/// (<c>png/train</c> where the converter wrote <c>png/png/train</c>) used to read only "No MNIST-format dataset found" and how to
/// install Fashion-MNIST.
/// </summary>
public sealed class MissingDataCliTests : IDisposable
{
    private const string Sources = "Install Fashion-MNIST with `sudo apt-get install dataset-fashion-mnist`, or pass --data DIR with " +
        "the four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; " +
        "gzipped or not), a .csv/.tsv file, a folder of class folders of images, or a .npy file with --labels.";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void AMissingDataFolderSaysWhatTheNearestFolderThatExistsHolds()
    {
        Directory.CreateDirectory(_dir.File("png/png/train"));
        Directory.CreateDirectory(_dir.File("png/idx"));
        File.WriteAllText(_dir.File("png/notes.txt"), "");
        string missing = _dir.File("png/train");
        var r = CliRunner.Run(["train", "--data", missing, "--out", _dir.File("run")]);
        CliAssert.OneLineError(r, 2);
        Assert.Equal($"error: '{missing}' does not exist (the nearest folder that exists, '{_dir.File("png")}', holds idx/, " +
            $"notes.txt, png/). {Sources}", r.Stderr.TrimEnd());
        Assert.False(Directory.Exists(_dir.File("run")));

        // Two levels off, and the same message from eval, whose --data holds the test files only.
        string deeper = _dir.File("png/png/trian/x");
        var e = CliRunner.Run(["eval", "--checkpoint", _dir.File("none.safetensors"), "--data", deeper]);
        Assert.StartsWith($"error: '{deeper}' does not exist (the nearest folder that exists, '{_dir.File("png/png")}', holds " +
            "train/). ", e.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void TheNearestFolderListsItsFirstEightEntriesAndAMissingNameInTheCurrentFolderOrTheRootNone()
    {
        for (int i = 0; i < 10; i++) File.WriteAllText(_dir.File($"f{i}.csv"), "");
        string missing = _dir.File("data");
        var r = CliRunner.Run(["train", "--data", missing, "--out", _dir.File("run")]);
        Assert.Equal($"error: '{missing}' does not exist (the nearest folder that exists, '{_dir.Path}', holds f0.csv, f1.csv, " +
            $"f2.csv, f3.csv, f4.csv, f5.csv, f6.csv, f7.csv, …). {Sources}", r.Stderr.TrimEnd());

        // A bare name, in the current folder: no listing of the user's whole folder.
        var bare = CliRunner.Run(["train", "--data", "data", "--out", "run"], _dir.Path);
        Assert.Equal($"error: 'data' does not exist. {Sources}", bare.Stderr.TrimEnd());
        Assert.Equal(2, bare.ExitCode);
        // Nor the root's entries, for a path wrong from its first folder on.
        string rootless = "/" + Path.GetFileName(_dir.Path) + "-none/data";
        var root = CliRunner.Run(["train", "--data", rootless, "--out", _dir.File("run")]);
        Assert.Equal($"error: '{rootless}' does not exist. {Sources}", root.Stderr.TrimEnd());
    }
}
