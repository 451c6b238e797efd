using System.Text;
using Xent.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// <c>xent loss</c> run as a process on PyTorch's golden files (tools/golden/data/ce): the loss it writes with
/// --out and the gradient with --grad-out match PyTorch; bad files and arguments give one stderr line and exit 2.
/// </summary>
public sealed class LossCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xent-loss-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string GoldenFile(string caseName, string file) => Golden.PathOf("ce", Path.Combine(caseName, file + ".npy"));

    private static float[] ReadFloats(string path, out int[] shape)
    {
        var array = Xent.IO.Npy.Read(path);
        Assert.Equal(Xent.IO.NpyDType.Float32, array.DType);
        shape = array.Shape;
        return array.Float32!;
    }

    private static float[] ReadFloats(string path) => ReadFloats(path, out _);

    private string Temp(string name) => Path.Combine(_dir, name);

    [Theory]
    [InlineData("cross-entropy", "ce_weight_ignore_smoothing", "mean")]
    [InlineData("cross-entropy", "ce_kdim_weight_ignore_smoothing", "none")]
    [InlineData("cross-entropy", "ce_prob_weight_smoothing", "sum")]
    [InlineData("nll", "nll_weight_ignore", "sum")]
    [InlineData("bce", "bce", "mean")]
    [InlineData("bce-with-logits", "bce_logits_weight_pos_weight", "none")]
    public void ReproducesPyTorch(string kind, string caseName, string reduction)
    {
        var args = new List<string> { "loss", kind, "--input", GoldenFile(caseName, "input"), "--target", GoldenFile(caseName, "target"),
            "--reduction", reduction, "--out", Temp("loss.npy"), "--grad-out", Temp("grad.npy") };
        if (File.Exists(GoldenFile(caseName, "weight"))) args.AddRange(["--weight", GoldenFile(caseName, "weight")]);
        if (File.Exists(GoldenFile(caseName, "pos_weight"))) args.AddRange(["--pos-weight", GoldenFile(caseName, "pos_weight")]);
        // The case's own options, as PyTorch was called with them.
        using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Golden.PathOf("ce", "cases.json"))))
        {
            var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == caseName);
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            if (c.GetProperty("ignore_index").GetInt64() != -100)
                args.AddRange(["--ignore-index", c.GetProperty("ignore_index").GetInt64().ToString(inv)]);
            if (c.GetProperty("label_smoothing").GetDouble() != 0)
                args.AddRange(["--label-smoothing", c.GetProperty("label_smoothing").GetDouble().ToString("R", inv)]);
        }
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("", result.Stderr);
        Assert.StartsWith($"{kind} ({reduction})", result.Stdout, StringComparison.Ordinal);

        var loss = ReadFloats(Temp("loss.npy"), out var lossShape);
        var expectedLoss = ReadFloats(GoldenFile(caseName, "loss_" + reduction));
        if (reduction != "none") Assert.Empty(lossShape); // 0-d, as torch writes a reduced loss
        Check.Close(expectedLoss, loss, 1e-5, 1e-6, "loss");
        var grad = ReadFloats(Temp("grad.npy"), out var gradShape);
        ReadFloats(GoldenFile(caseName, "input"), out var inputShape);
        Assert.Equal(inputShape, gradShape);
        var expectedGrad = ReadFloats(GoldenFile(caseName, "grad_" + reduction));
        Check.Close(expectedGrad, grad, 1e-4, 1e-6 * expectedGrad.Max(Math.Abs), "grad");
    }

    [Fact]
    public void ReadsFloat64InputsAndInt32Targets_AndPrintsTheReducedLoss()
    {
        var x = new double[] { 0.5, -1.25, 2.0, 0.0, 1.0, -0.5 };
        Npy.Write(Temp("x64.npy"), x, [2, 3]);
        Npy.Write(Temp("t32.npy"), new[] { 2, 0 }, [2]);
        var result = CliRunner.Run("loss", "cross-entropy", "--input", Temp("x64.npy"), "--target", Temp("t32.npy"), "--reduction", "sum");
        Assert.Equal(0, result.ExitCode);
        // Independent float64 value: Σ_i lse(x_i) − x_i[t_i].
        double expected = Math.Log(Math.Exp(0.5) + Math.Exp(-1.25) + Math.Exp(2.0)) - 2.0
            + Math.Log(Math.Exp(0.0) + Math.Exp(1.0) + Math.Exp(-0.5)) - 0.0;
        var printed = result.Stdout.Trim();
        Assert.StartsWith("cross-entropy (sum): ", printed, StringComparison.Ordinal);
        Check.Close(expected, double.Parse(printed["cross-entropy (sum): ".Length..], System.Globalization.CultureInfo.InvariantCulture),
            1e-6, 0, "printed loss");
    }

    [Fact]
    public void Float64ValuesBeyondFloat32sRangeAreRefused_InfinitiesAreKept()
    {
        // 1e300 became float32 +inf and the loss printed NaN with exit 0; PyTorch, in float64, gives a finite loss.
        Npy.Write(Temp("big64.npy"), new double[] { 0.5, 1e300, 2.0, 0.0, 1.0, -0.5 }, [2, 3]);
        Npy.Write(Temp("t2.npy"), new long[] { 2, 0 }, [2]);
        AssertOneLineError(CliRunner.Run("loss", "cross-entropy", "--input", Temp("big64.npy"), "--target", Temp("t2.npy")),
            $"error: --input: '{Temp("big64.npy")}' holds float64 value 1E+300 at flat index 1, beyond float32's range " +
            "(±3.4028235E+38); xent computes in float32, so scale the values into that range.", "1e300 input");
        Npy.Write(Temp("x2.npy"), new float[] { 0.5f, 1f, 2f, 0f, 1f, -0.5f }, [2, 3]);
        Npy.Write(Temp("p64.npy"), new double[] { 0, 0, 1, -1e39, 0, 0 }, [2, 3]);
        AssertOneLineError(CliRunner.Run("loss", "cross-entropy", "--input", Temp("x2.npy"), "--target", Temp("p64.npy")),
            $"error: --target: '{Temp("p64.npy")}' holds float64 value -1E+39 at flat index 3", "-1e39 target");
        Npy.Write(Temp("w64.npy"), new double[] { 1, 4e38, 1 }, [3]);
        AssertOneLineError(CliRunner.Run("loss", "cross-entropy", "--input", Temp("x2.npy"), "--target", Temp("t2.npy"), "--weight",
            Temp("w64.npy")), $"error: --weight: '{Temp("w64.npy")}' holds float64 value 4E+38 at flat index 1", "4e38 weight");

        // A float64 infinity is one already, as in PyTorch: cross-entropy of a row holding +inf at its target is NaN there (inf - inf).
        Npy.Write(Temp("inf64.npy"), new double[] { 0.5, -1.25, double.PositiveInfinity, 0.0, 1.0, -0.5 }, [2, 3]);
        var inf = CliRunner.Run("loss", "cross-entropy", "--input", Temp("inf64.npy"), "--target", Temp("t2.npy"));
        Assert.True(inf.ExitCode == 0, inf.Stderr);
        Assert.Equal("cross-entropy (mean): NaN", inf.Stdout.Trim());
    }

    [Fact]
    public void ReductionNone_PrintsShapeAndFirstValues()
    {
        var result = CliRunner.Run("loss", "nll", "--input", GoldenFile("nll_tutorial", "input"),
            "--target", GoldenFile("nll_tutorial", "target"), "--reduction", "none");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("shape (2,)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains((-Math.Log(0.7)).ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)[..5], result.Stdout,
            StringComparison.Ordinal);
    }

    public static TheoryData<string, string[], string> BadInvocations()
    {
        var x = GoldenFile("ce_basic", "input");
        var t = GoldenFile("ce_basic", "target");
        return new()
        {
            { "unknown kind", ["loss", "hinge", "--input", x, "--target", t], "unknown loss 'hinge'" },
            { "missing target", ["loss", "cross-entropy", "--input", x], "--target T.npy is required" },
            { "missing option value", ["loss", "cross-entropy", "--target", t, "--input"], "--input" },
            { "bad reduction", ["loss", "cross-entropy", "--input", x, "--target", t, "--reduction", "avg"],
            "--reduction must be mean, sum or none" },
            { "unknown option", ["loss", "cross-entropy", "--input", x, "--target", t, "--frobnicate"],
            "unrecognized argument '--frobnicate'" },
            { "bad number", ["loss", "cross-entropy", "--input", x, "--target", t, "--label-smoothing", "lots"],
            "--label-smoothing must be a number" },
            { "smoothing out of range", ["loss", "cross-entropy", "--input", x, "--target", t, "--label-smoothing", "1.5"],
            "label_smoothing must be between 0.0 and 1.0. Got: 1.5" },
            { "missing file", ["loss", "cross-entropy", "--input", "no-such-file.npy", "--target", t],
            "file 'no-such-file.npy' not found" },
            { "batch mismatch", ["loss", "cross-entropy", "--input", x, "--target", GoldenFile("ce_n1", "target")],
            "Expected input batch_size (8) to match target batch_size (1)." },
            { "float targets to nll", ["loss", "nll", "--input", x, "--target", x],
            "class indices must be integers (int64, int32, uint8 or another integer dtype)." },
            { "int targets to bce", ["loss", "bce", "--input", GoldenFile("bce", "input"), "--target", t], "bce needs float targets" },
            { "bce input outside [0, 1]", ["loss", "bce", "--input", x, "--target", x], "all elements of input should be between 0 and 1" },
        };
    }

    [Theory, MemberData(nameof(BadInvocations))]
    public void BadArguments_OneLineOnStderr_ExitCode2(string what, string[] args, string expected)
    {
        var result = CliRunner.Run(args);
        AssertOneLineError(result, expected, what);
    }

    [Fact]
    public void BigEndianFilesAreRefused_AsTheHelpSays()
    {
        // numpy and PyTorch read '>f4'; xent refuses it with the fix, and the help's list of dtypes now says so.
        string bigEndian = Golden.PathOf("io", "bad_bigendian.npy");
        AssertOneLineError(CliRunner.Run("loss", "bce-with-logits", "--input", bigEndian, "--target", bigEndian),
            "big-endian dtype '>f4'", "big-endian input");
        var help = CliRunner.Run("loss", "--help");
        Assert.Equal(0, help.ExitCode);
        string input = help.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith("--input", StringComparison.Ordinal));
        Assert.Contains("Every .npy must be little-endian (a big-endian '>f4' file is refused).", input, StringComparison.Ordinal);
    }

    [Fact]
    public void TargetOutOfBounds_UsesPyTorchsWording()
    {
        Npy.Write(Temp("t.npy"), new long[] { 0, 12 }, [2]);
        Npy.Write(Temp("x.npy"), new float[10], [2, 5]);
        AssertOneLineError(CliRunner.Run("loss", "cross-entropy", "--input", Temp("x.npy"), "--target", Temp("t.npy")),
            "Target 12 is out of bounds.", "out of bounds");
    }

    [Fact]
    public void AFortranOrderedInputGivesPyTorchsLoss()
    {
        // The golden (8, 5) logits written column by column, as np.save writes a transposed array: the loss is PyTorch's.
        var x = ReadFloats(GoldenFile("ce_basic", "input"), out var shape);
        Assert.Equal([8, 5], shape);
        var payload = new byte[x.Length * sizeof(float)];
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 5; j++)
                BitConverter.TryWriteBytes(payload.AsSpan((i + 8 * j) * sizeof(float)), x[i * 5 + j]);
        File.WriteAllBytes(Temp("fortran.npy"), NpyBytes("<f4", fortran: true, "(8, 5)", payload));
        var result = CliRunner.Run("loss", "cross-entropy", "--input", Temp("fortran.npy"), "--target", GoldenFile("ce_basic", "target"),
            "--out", Temp("loss.npy"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        Check.Close(ReadFloats(GoldenFile("ce_basic", "loss_mean")), ReadFloats(Temp("loss.npy")), 1e-6, 1e-7, "loss");
    }

    [Theory]
    [InlineData("|u1")] // MNIST's own label type
    [InlineData("<i2")]
    [InlineData("|i1")]
    public void NarrowIntegerTargetsGivePyTorchsLoss(string descr)
    {
        // The golden int64 class indices re-saved as a narrower integer dtype: the same loss.
        long[] t = Npy.Read(GoldenFile("ce_basic", "target")).ToInt64();
        int size = descr[^1] - '0';
        var payload = new byte[t.Length * size];
        for (int i = 0; i < t.Length; i++) payload[i * size] = checked((byte)t[i]); // little-endian, small non-negative values
        File.WriteAllBytes(Temp("narrow.npy"), NpyBytes(descr, fortran: false, $"({t.Length},)", payload));
        var result = CliRunner.Run("loss", "cross-entropy", "--input", GoldenFile("ce_basic", "input"), "--target", Temp("narrow.npy"),
            "--out", Temp("narrow-loss.npy"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        Check.Close(ReadFloats(GoldenFile("ce_basic", "loss_mean")), ReadFloats(Temp("narrow-loss.npy")), 1e-6, 1e-7, "loss");
    }

    [Fact]
    public void BadFiles_OneLineOnStderr_ExitCode2()
    {
        var t = GoldenFile("ce_basic", "target");
        var good = File.ReadAllBytes(GoldenFile("ce_basic", "input"));

        File.WriteAllText(Temp("text.npy"), "x,y\n1,2\n");
        AssertOneLineError(CliRunner.Run("loss", "cross-entropy", "--input", Temp("text.npy"), "--target", t), "is not an .npy file",
            "not npy");

        File.WriteAllBytes(Temp("truncated.npy"), good[..(good.Length - 7)]);
        AssertOneLineError(CliRunner.Run("loss", "cross-entropy", "--input", Temp("truncated.npy"), "--target", t), "truncated data",
            "truncated");

        File.WriteAllBytes(Temp("c8.npy"), NpyBytes("<c8", fortran: false, "(8, 5)", new byte[320]));
        AssertOneLineError(CliRunner.Run("loss", "cross-entropy", "--input", Temp("c8.npy"), "--target", t), "unsupported dtype '<c8'",
            "complex64");

        Npy.Write(Temp("u8.npy"), new byte[40], [8, 5]);
        AssertOneLineError(CliRunner.Run("loss", "cross-entropy", "--input", Temp("u8.npy"), "--target", t),
            "expected float16, float32 or float64", "uint8 input");
    }

    [Fact]
    public void NllOfProbabilitiesWarnsOnce_AndPrintsPyTorchsNegativeLoss()
    {
        // qa-s21-tutorial L4: the PyTorch tutorial's nll_loss without its torch.log. PyTorch returns −0.7999999523 silently.
        Npy.Write(Temp("p.npy"), [0.2f, 0.7f, 0.1f, 0.9f, 0.05f, 0.05f], [2, 3]);
        Npy.Write(Temp("t.npy"), [1L, 0L], [2]);
        var r = CliRunner.Run("loss", "nll", "--input", Temp("p.npy"), "--target", Temp("t.npy"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("nll (mean): -0.79999995", r.Stdout.Trim());
        Assert.StartsWith("Warning: F.NllLoss received an input with values above 0 (0.9): nll_loss expects log-probabilities (≤ 0)",
            r.Stderr, StringComparison.Ordinal);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    private static byte[] NpyBytes(string descr, bool fortran, string shape, byte[] payload)
    {
        string header = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}";
        header = header.PadRight(64 - 10 - 1) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange(Encoding.ASCII.GetBytes("NUMPY"));
        bytes.AddRange([1, 0, (byte)header.Length, 0]);
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(payload);
        return [.. bytes];
    }

    private static void AssertOneLineError(CliResult result, string expected, string what)
    {
        Assert.True(result.ExitCode == 2, $"{what}: exit code {result.ExitCode}, stderr: {result.Stderr}");
        var stderr = result.Stderr.TrimEnd('\n', '\r');
        Assert.False(stderr.Contains('\n'), $"{what}: more than one line on stderr:\n{result.Stderr}");
        Assert.StartsWith("error: ", stderr, StringComparison.Ordinal);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }
}
