using System.Globalization;
using System.Text.Json;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// <c>xent loss focal|sigmoid-focal|kl-div|distillation</c> run as a process on the goldens of tools/golden/gen_losses_extra.py:
/// --out and --grad-out match them, and misplaced or bad options give one error line and exit 2.
/// </summary>
public sealed class LossCommandExtraTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xent-loss-extra-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string GoldenFile(string caseName, string file) => Golden.PathOf("losses_extra", Path.Combine(caseName, file + ".npy"));

    private string Temp(string name) => Path.Combine(_dir, name);

    private static float[] ReadFloats(string path, out int[] shape)
    {
        var array = Xent.IO.Npy.Read(path);
        shape = array.Shape;
        return array.ToFloat32();
    }

    [Theory]
    [InlineData("focal", "focal_weight_ignore", "mean")]
    [InlineData("focal", "focal_kdim_ignore_valid", "none")]
    [InlineData("sigmoid-focal", "sfocal_gamma_half_alpha", "sum")]
    [InlineData("sigmoid-focal", "sfocal_no_alpha_gamma0", "none")]
    [InlineData("kl-div", "kl_zero_targets", "batchmean")]
    [InlineData("kl-div", "kl_log_target", "none")]
    [InlineData("distillation", "distill_t4", "batchmean", true)]
    // Without --reduction, sigmoid-focal is torchvision's default, 'none' (it was 'mean', unlike the README's correspondence).
    [InlineData("sigmoid-focal", "sfocal_no_alpha_gamma0", "none", true)]
    public void ReproducesTheGoldens(string kind, string caseName, string reduction, bool defaultReduction = false)
    {
        var inv = CultureInfo.InvariantCulture;
        var args = new List<string> { "loss", kind, "--input", GoldenFile(caseName, "input"), "--target", GoldenFile(caseName, "target"),
            "--out", Temp("loss.npy"), "--grad-out", Temp("grad.npy") };
        if (!defaultReduction) args.AddRange(["--reduction", reduction]);
        if (File.Exists(GoldenFile(caseName, "weight"))) args.AddRange(["--weight", GoldenFile(caseName, "weight")]);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Golden.PathOf("losses_extra", "cases.json"))))
        {
            var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == caseName);
            string Opt(string key) => c.GetProperty(key).GetDouble().ToString("R", inv);
            switch (kind)
            {
                case "focal":
                    args.AddRange(["--gamma", Opt("gamma"), "--ignore-index", c.GetProperty("ignore_index").GetInt64().ToString(inv)]);
                    break;
                case "sigmoid-focal":
                    args.AddRange(["--gamma", Opt("gamma"), "--alpha", Opt("alpha")]);
                    break;
                case "kl-div":
                    if (c.GetProperty("log_target").GetBoolean()) args.Add("--log-target");
                    break;
                default:
                    args.AddRange(["--temperature", Opt("temperature")]);
                    break;
            }
        }
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith($"{kind} ({reduction})", result.Stdout, StringComparison.Ordinal);
        var loss = ReadFloats(Temp("loss.npy"), out var lossShape);
        var expectedLoss = ReadFloats(GoldenFile(caseName, "loss_" + reduction), out var expectedShape);
        Assert.Equal(expectedShape, lossShape);
        Check.Close(expectedLoss, loss, 2e-5, 1e-6, "loss");
        var grad = ReadFloats(Temp("grad.npy"), out var gradShape);
        ReadFloats(GoldenFile(caseName, "input"), out var inputShape);
        Assert.Equal(inputShape, gradShape);
        var expectedGrad = ReadFloats(GoldenFile(caseName, "grad_" + reduction), out _);
        Check.Close(expectedGrad, grad, 1e-4, 1e-6 * expectedGrad.Max(Math.Abs), "grad");
    }

    [Theory]
    [InlineData("focal", "focal_basic", "--alpha", "0.5", "--alpha")]
    [InlineData("focal", "focal_basic", "--gamma", "-1", "--gamma")]
    [InlineData("kl-div", "kl_basic", "--gamma", "2", "--gamma")]
    [InlineData("cross-entropy", "focal_basic", "--temperature", "2", "--temperature")]
    [InlineData("distillation", "distill_t1", "--reduction", "sum", "batchmean")]
    [InlineData("distillation", "distill_t1", "--temperature", "0", "--temperature")]
    [InlineData("sigmoid-focal", "sfocal_basic", "--reduction", "batchmean", "--reduction")]
    [InlineData("kl-div", "kl_basic", "--weight", "W", "--weight")]
    public void MisplacedOrBadOptions_GiveOneErrorLine(string kind, string caseName, string option, string value, string mentioned)
    {
        if (value == "W") value = GoldenFile(caseName, "input");
        var args = new List<string> { "loss", kind, "--input", GoldenFile(caseName, "input"), "--target", GoldenFile(caseName, "target"),
            option, value };
        if (kind == "distillation" && option != "--temperature") args.AddRange(["--temperature", "2"]);
        CliAssert.OneLineError(CliRunner.Run(args), 2, mentioned);
    }

    [Theory]
    [InlineData("distillation", "distill_t1", "--temperature", "inf", "a finite number > 0")]
    [InlineData("distillation", "distill_t1", "--temperature", "Infinity", "a finite number > 0")]
    [InlineData("distillation", "distill_t1", "--temperature", "nan", "a finite number > 0")]
    [InlineData("focal", "focal_basic", "--gamma", "inf", "a finite number >= 0")]
    [InlineData("focal", "focal_basic", "--gamma", "Infinity", "a finite number >= 0")]
    public void InfinityIsRefusedInTheSameWordsHoweverItIsSpelled(string kind, string caseName, string option, string value,
        string what)
    {
        // 'inf' (which .NET does not parse) said "must be a number > 0": infinity is a number > 0; 'Infinity' said "finite".
        var r = CliRunner.Run("loss", kind, "--input", GoldenFile(caseName, "input"), "--target", GoldenFile(caseName, "target"),
            option, value);
        CliAssert.OneLineError(r, 2);
        Assert.Equal($"error: {option} must be {what}, got '{value}'.", r.Stderr.TrimEnd('\n', '\r'));
    }

    [Fact]
    public void ClassIndicesForAFloatTargetKind_AndFloatsForFocal_AreRejected()
    {
        var r1 = CliRunner.Run("loss", "kl-div", "--input", GoldenFile("focal_basic", "input"), "--target",
            GoldenFile("focal_basic", "target"));
        Assert.Equal(2, r1.ExitCode);
        Assert.Contains("kl-div needs float targets", r1.Stderr);
        var r2 = CliRunner.Run("loss", "focal", "--input", GoldenFile("kl_basic", "input"), "--target", GoldenFile("kl_basic", "target"));
        Assert.Equal(2, r2.ExitCode);
        // qa-s21-tutorial L3: the message said "int64 or int32", though uint8 and int16 indices are taken as well.
        Assert.Contains("class indices must be integers (int64, int32, uint8 or another integer dtype).", r2.Stderr);
        var r3 = CliRunner.Run("loss", "distillation", "--input", GoldenFile("distill_t1", "input"), "--target",
            GoldenFile("distill_t1", "target"));
        Assert.Equal(2, r3.ExitCode);
        Assert.Contains("--temperature T is required", r3.Stderr);
    }
}
