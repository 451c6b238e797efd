using System.Globalization;
using Xent.IO;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// <c>xent train</c> warns before training when held-out inputs lie more than 10 times beyond the range of the training inputs,
/// standardised: one cell of 1E+38 in a test file gave a test loss of 1E+36 with no other sign of where to look.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TestRangeCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Rows of two features in [-1, 1] whose label is the sign of their sum.</summary>
    private static IEnumerable<(float A, float B)> Uniform(int seed, int n)
    {
        var rng = new Random(seed);
        for (int i = 0; i < n; i++) yield return ((float)(rng.NextDouble() * 2 - 1), (float)(rng.NextDouble() * 2 - 1));
    }

    private string Csv(string name, IEnumerable<(float A, float B)> rows)
    {
        string path = _dir.File(name);
        File.WriteAllLines(path, ["a,b,label", .. rows.Select(r =>
            string.Create(CultureInfo.InvariantCulture, $"{r.A:R},{r.B:R},{(r.A + r.B > 0 ? "p" : "n")}"))]);
        return path;
    }

    [Fact]
    public void ATestSampleFarOutsideTheTrainingRangeIsNamedWithItsFeatureAndHowFar()
    {
        var trainRows = Uniform(3, 200).ToList();
        string train = Csv("train.csv", trainRows);
        var testRows = Uniform(4, 20).ToList();
        testRows.Insert(7, (50f, 0.5f)); // sample 7: feature a in other units
        string test = Csv("test.csv", testRows);
        string run = _dir.File("run");
        var r = InProcessCli.Run("train", "--data", train, "--test-data", test, "--epochs", "1", "--out", run);
        Assert.True(r.ExitCode == 0, r.Stderr);

        // The standardisation the model sees, from the checkpoint's statistics, in float32 as the data reader applies it.
        var spec = Xent.Training.ModelSpec.FromMetadata(SafeTensors.Read(Path.Combine(run, "checkpoint.safetensors")).Metadata)!;
        float Std(float x, int f) => (x - spec.Mean[f]) / spec.Std[f];
        double reach = trainRows.Max(t => Math.Max(Math.Abs(Std(t.A, 0)), Math.Abs(Std(t.B, 1))));
        double far = Math.Abs(Std(50f, 0));
        Assert.True(far > 10 * reach && reach > 1, $"{far} against {reach}");
        Assert.Contains("Warning: 1 of the 21 test samples has inputs beyond 10 times the range of the training inputs, as the model " +
            $"sees them (standardised): the training inputs reach {reach.ToString("F2", CultureInfo.InvariantCulture)}, this sample " +
            $"reaches {far.ToString("F2", CultureInfo.InvariantCulture)} in feature 'a'. It is sample 7 of '{test}' (counted from 0, " +
            "the header not counted). A value in other units, a missing-value code (-9999) or an overflow?", r.Stderr,
            StringComparison.Ordinal);
    }

    /// <summary>The data row (from 0) with a missing-value code, one that seed 1's stratified half holds out.</summary>
    private const int Coded = 30;

    [Fact]
    public void HeldOutSamplesAreNamedByTheirIndexInTheData_AndDataWithinRangeGetsNoWarning()
    {
        // One row with a -9999 code in feature b; the run's split.csv says whether the stratified half held it out.
        var rows = Uniform(5, 100).Select(r => $"{r.A.ToString("R", CultureInfo.InvariantCulture)},{r.B.ToString("R",
            CultureInfo.InvariantCulture)},{(r.A + r.B > 0 ? "p" : "n")}").ToList();
        rows.Insert(Coded, "0.1,-9999,p");
        string data = _dir.File("codes.csv");
        File.WriteAllLines(data, ["a,b,label", .. rows]);
        string run = _dir.File("run");
        var r = InProcessCli.Run("train", "--data", data, "--val-split", "0.5", "--epochs", "1", "--out", run);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"{Coded},test", File.ReadAllLines(Path.Combine(run, "split.csv"))); // held out, so named by its index in data
        Assert.Matches($"this sample reaches [0-9.]+ in feature 'b'\\. It is sample {Coded} of '{System.Text.RegularExpressions.Regex
            .Escape(data)}' \\(counted from 0, the header not counted\\)\\.", r.Stderr);

        string clean = Csv("clean.csv", Uniform(6, 200));
        var quiet = InProcessCli.Run("train", "--data", clean, "--epochs", "1", "--out", _dir.File("run2"));
        Assert.True(quiet.ExitCode == 0, quiet.Stderr);
        Assert.DoesNotContain("inputs beyond", quiet.Stderr, StringComparison.Ordinal);
    }
}
