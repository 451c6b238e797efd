using System.Globalization;
using System.Security.Cryptography;
using Xent.IO;
using Xent.Tests.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// <c>xent train --data train.csv --test-data X</c> where X is the training file (the same path, a symbolic or hard link to it, or
/// a copy, <c>cp train.csv test.csv</c>): the test loss and accuracy it printed after every epoch were training scores, without a
/// word. It now warns once, before training, and says what to pass instead; a different file of the same length is hashed and not
/// warned about.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TestDataIsTrainingDataCliTests : IDisposable
{
    private const string Consequence = "so the test loss and accuracy this run reports are scores on the samples it trains on, not " +
        "a test result. Leave out --test-data to hold out a stratified --val-split of the data (10% by default), or pass other " +
        "data as --test-data.";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Csv(string name) => OwnDataFiles.NoisySumCsv(_dir.File(name));

    private CliResult Train(string data, string test, string run, params string[] extra)
    {
        var r = InProcessCli.Run(["train", "--data", data, "--test-data", test, "--model", "linear", "--epochs", "1", "--out",
            _dir.File(run), .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r;
    }

    private static int Count(string text, string part)
    {
        int n = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal))
            n++;
        return n;
    }

    [Fact]
    public void TheSamePathALinkOrACopyOfTheTrainingFileAsTestDataIsWarnedAboutOnce_AnotherFileOfTheSameLengthIsNot()
    {
        string csv = Csv("data.csv");
        string link = _dir.File("link.csv"), copy = _dir.File("copy.csv");
        File.CreateSymbolicLink(link, csv);
        File.Copy(csv, copy);
        var cases = new List<(string Test, string Expected)>
        {
            (csv, $"Warning: --test-data '{csv}' is the training data (--data '{csv}'), {Consequence}"),
            (link, $"Warning: --test-data '{link}' is the training data (--data '{csv}'), {Consequence}"),
            (copy, $"Warning: --test-data '{copy}' is a copy of the training data (--data '{csv}', the same bytes), {Consequence}"),
        };
        if (OperatingSystem.IsLinux())
        {
            string hard = _dir.File("hard.csv");
            using (var ln = System.Diagnostics.Process.Start("ln", [csv, hard])) ln.WaitForExit();
            Assert.True(File.Exists(hard));
            cases.Add((hard, $"Warning: --test-data '{hard}' is the training data (--data '{csv}'), {Consequence}"));
        }
        for (int i = 0; i < cases.Count; i++)
        {
            var r = Train(csv, cases[i].Test, $"run{i}");
            Assert.Equal(cases[i].Expected + Environment.NewLine, r.Stderr); // one line, once
        }
        // The copy's check hashed the training file; what the checkpoint records is that file's SHA-256 (not the copy's path's, and
        // not read again to get it), as eval compares it.
        var metadata = SafeTensors.Read(_dir.File("run2/checkpoint.safetensors")).Metadata;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(csv))), metadata["setting.data_sha256"]);
        Assert.Equal(new FileInfo(csv).Length.ToString(CultureInfo.InvariantCulture), metadata["setting.data_bytes"]);

        // The same length with one label changed ('p' for 'n', or back): other data, hashed and not warned about.
        string edited = _dir.File("edited.csv");
        string[] lines = File.ReadAllLines(csv);
        lines[7] = lines[7][..^1] + (lines[7][^1] == 'p' ? "n" : "p");
        File.WriteAllLines(edited, lines);
        Assert.Equal(new FileInfo(csv).Length, new FileInfo(edited).Length);
        Assert.Equal("", Train(csv, edited, "edited").Stderr);
        // And the other way round: the training file is the edited one, the test file the original.
        Assert.Equal("", Train(edited, csv, "edited2").Stderr);
    }

    [Fact]
    public void ACopyOfANpyTrainingFileIsToldByTheHashTakenAsItWasRead_AndImageFoldersByTheirPath()
    {
        var (features, labels) = OwnDataFiles.NpyPair(_dir.Path, 60);
        string copy = _dir.File("copy.npy");
        File.Copy(features, copy);
        var npy = Train(features, copy, "npy", "--labels", labels, "--test-labels", labels);
        Assert.Equal($"Warning: --test-data '{copy}' is a copy of the training data (--data '{features}', the same bytes), " +
            Consequence + Environment.NewLine, npy.Stderr);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(features))),
            SafeTensors.Read(_dir.File("npy/checkpoint.safetensors")).Metadata["setting.data_sha256"]);

        // Image class folders: the same folder, or a link to it, is the training data.
        string images = _dir.File("images");
        OwnDataFiles.GrayClasses(images, perClass: 6);
        string linked = _dir.File("images-link");
        Directory.CreateSymbolicLink(linked, images);
        var folder = Train(images, linked, "images");
        Assert.Equal(1, Count(folder.Stderr, $"Warning: --test-data '{linked}' is the training data (--data '{images}'), " +
            Consequence));
    }
}
