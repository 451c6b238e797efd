using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// A linear or mlp model that cannot fit is refused before its weights are allocated, with the sizes in the message:
/// <c>--hidden 100000000</c> grew to the memory limit before "not enough memory", and <c>--hidden 46341,46341</c> was refused by
/// the tensor library without naming the option. Runs the CLI as a process under a 1 GiB heap limit, so that a check that is
/// missing fails fast (out of memory) instead of training a model of gigabytes.
/// </summary>
public sealed class ModelFootprintCliTests : IDisposable
{
    private const long HeapLimit = 1L << 30;
    private readonly TempDirectory _dir = new();

    public ModelFootprintCliTests()
    {
        // 150 rows of 4 features and 3 classes: 135 train (a batch of 64), 15 held out.
        File.WriteAllLines(_dir.File("d.csv"), ["a,b,c,d,label", .. Enumerable.Range(0, 150).Select(i =>
            $"{i % 7},{i % 5},{i % 3},{i % 11},{"xyz"[i % 3]}")]);
    }

    public void Dispose() => _dir.Dispose();

    private async Task<CliResult> Train(string hidden)
    {
        using var p = CliRunner.Start(["train", "--data", "d.csv", "--model", "mlp", "--hidden", hidden, "--epochs", "1", "--out", "run"],
            _dir.Path, new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = $"0x{HeapLimit:x}" });
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(timeout.Token);
        var r = new CliResult(p.ExitCode, await stdout, await stderr);
        CliAssert.OneLineError(r, 2);
        Assert.False(Directory.Exists(_dir.File("run")), "a refused run created its folder");
        return r;
    }

    [Fact]
    public async Task AModelLargerThanTheMemoryIsRefusedWithItsSize()
    {
        // Weights, gradients and adam's two state values: 4 floats of 4 bytes per parameter, and a batch of 64's layer outputs.
        long parameters = 4L * 20000 + 20000 + 20000L * 20000 + 20000 + 20000L * 3 + 3;
        double gb = 4.0 * (4 * parameters + 64L * (20000 + 20000 + 3)) / 1e9;
        var r = await Train("20000,20000");
        Assert.Equal($"error: the mlp model with layer sizes 4, 20000, 20000, 3 has {parameters} parameters; training it with adam " +
            FormattableString.Invariant($"takes at least {gb:0.0} GB (the weights, their gradients, adam's state and a batch of 64's ") +
            FormattableString.Invariant($"outputs), more than the {HeapLimit / 1e9:0.0} GB this process may use; use smaller --hidden ") +
            "layers.", r.Stderr.Trim());
    }

    [Fact]
    public async Task ALayerLargerThanATensorHoldsIsRefusedWithItsSize()
    {
        var r = await Train("46341,46341");
        Assert.Equal($"error: the mlp model with layer sizes 4, 46341, 46341, 3 would need a weight of 46341 x 46341 = {46341L * 46341} " +
            $"values for layer 2, more than one tensor holds ({Array.MaxLength}); use smaller --hidden layers.", r.Stderr.Trim());
        r = await Train("100000000");
        Assert.Equal($"error: the mlp model with layer sizes 4, 100000000, 3 would give a batch of 64 an output of 64 x 100000000 = " +
            $"{64L * 100000000} values at layer 1, more than one tensor holds ({Array.MaxLength}); use smaller --hidden layers, or a " +
            "smaller --batch-size and --test-batch-size.", r.Stderr.Trim());
    }
}
