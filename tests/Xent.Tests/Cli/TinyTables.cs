using System.Globalization;
using Xent.Tests.IO;

namespace Xent.Tests.Cli;

/// <summary>The tiny CSV files the train-command tests share, written into a test's folder once.</summary>
internal static class TinyTables
{
    /// <summary><c>data.csv</c>: 30 rows of numeric a, b and a label x/y/z that a follows.</summary>
    public static string Labelled(TempDirectory dir)
    {
        string path = dir.File("data.csv");
        if (!File.Exists(path))
            File.WriteAllLines(path, ["a,b,label", .. Enumerable.Range(0, 30).Select(i =>
                string.Create(CultureInfo.InvariantCulture, $"{i % 3 + 0.1 * (i % 7)},{i % 5},{"xyz"[i % 3]}"))]);
        return path;
    }

    /// <summary><c>multi.csv</c>: 40 rows of numeric a, b and two 0/1 label columns p, q.</summary>
    public static string MultiLabel(TempDirectory dir)
    {
        string path = dir.File("multi.csv");
        if (!File.Exists(path))
            File.WriteAllLines(path, ["a,b,p,q", .. Enumerable.Range(0, 40).Select(i => $"{i % 5},{i % 7},{i % 2},{i / 2 % 2}")]);
        return path;
    }

    /// <summary>
    /// <c>data.csv</c> (12 rows of numeric a, b; label x for the first six, y after) and a linear model trained on it for one
    /// epoch into <c>run/</c>: the checkpoint the output-path tests predict, evaluate and export with.
    /// </summary>
    public static (string Csv, string Checkpoint) TrainedLinear(TempDirectory dir)
    {
        string csv = dir.File("data.csv");
        File.WriteAllLines(csv, ["a,b,label", .. Enumerable.Range(0, 12).Select(i => $"{i},{i % 5},{(i < 6 ? "x" : "y")}")]);
        string outDir = dir.File("run");
        var train = InProcessCli.Run("train", "--data", csv, "--out", outDir, "--epochs", "1", "--batch-size", "4", "--model", "linear");
        Xunit.Assert.True(train.ExitCode == 0, train.Stderr);
        return (csv, Path.Combine(outDir, "checkpoint.safetensors"));
    }
}
