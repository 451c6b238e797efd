using System.Diagnostics;

namespace Xent.Tests.Support;

/// <summary>What one run of the CLI printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs the built CLI (<c>src/Xent.Cli/bin/&lt;Configuration&gt;/net10.0/Xent.Cli.dll</c>, built through the test
/// project's non-referencing ProjectReference) as a separate process with <c>dotnet</c>. The test project
/// cannot load the CLI assembly itself, and a process is what users run anyway.
/// </summary>
public static class CliRunner
{
    private static readonly Lazy<string> s_dll = new(FindCli);

    /// <summary>The repository root: the first directory above the test binaries that holds Xent.slnx.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// Runs <c>dotnet Xent.Cli.dll args…</c> in <paramref name="workingDirectory"/> (default: a temp dir) and waits for it.
    /// </summary>
    public static CliResult Run(IEnumerable<string> args, string? workingDirectory = null, int timeoutMs = 120_000)
    {
        using var process = Start(args, workingDirectory);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"xent {string.Join(' ', args)} did not finish in {timeoutMs} ms.");
        }
        process.WaitForExit();
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Starts <c>dotnet Xent.Cli.dll args…</c> in <paramref name="workingDirectory"/> (default: a temp dir) with stdout and stderr
    /// redirected, and returns without waiting (for tests that signal the process while it runs, or write its stdin when
    /// <paramref name="redirectStandardInput"/>); <paramref name="environment"/> adds variables (test hooks).
    /// </summary>
    public static Process Start(IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, bool redirectStandardInput = false)
    {
        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = redirectStandardInput, // a pipe: what `cat f | xent … /dev/stdin` gives
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        psi.ArgumentList.Add(s_dll.Value);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
    }

    /// <summary>Convenience overload: <c>CliRunner.Run("loss", "nll", "--input", path)</c>.</summary>
    public static CliResult Run(params string[] args) => Run((IEnumerable<string>)args);

    /// <summary>The CLI's dll and the dotnet host that runs it, for tests that start it through a shell.</summary>
    public static (string Host, string Dll) Command => (DotnetHost(), s_dll.Value);

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Xent.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No Xent.slnx above {AppContext.BaseDirectory}.");
    }

    private static string FindCli()
    {
        // The test binaries live in tests/Xent.Tests/bin/<Configuration>/<tfm>/: use the same configuration for the CLI.
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = tfmDir.Parent?.Name ?? "Debug";
        var dir = Path.Combine(RepoRoot, "src", "Xent.Cli", "bin", configuration, tfmDir.Name);
        foreach (var name in new[] { "Xent.Cli.dll", "xent.dll" })
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"The CLI is not built in {dir}; build the solution (the test project builds it through its " +
            $"ProjectReference).");
    }
}
