using System.Diagnostics;

namespace Xent.Distributed.Tests.Support;

/// <summary>What one launch printed and returned.</summary>
public sealed record RunResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed);

/// <summary>Launches the test host and the CLI (built next to the tests through non-referencing ProjectReferences), under mpiexec or
/// alone.</summary>
public static class Mpi
{
    /// <summary>Full path of mpiexec, or null when it is not on PATH.</summary>
    public static string? Exec { get; } = FindOnPath("mpiexec");

    /// <summary>Why the MPI tests cannot run here, or null: no mpiexec, or Open MPI's (whose ABI MPI.NET cannot use).</summary>
    public static string? Unavailable { get; } = WhyUnavailable();

    private static string? WhyUnavailable()
    {
        if (Exec is null) return "mpiexec not found on PATH: install MPICH (apt-get install mpich) to run the MPI tests.";
        var version = Launch(Exec, ["--version"], 30_000);
        bool openMpi = version.Stdout.Contains("Open MPI", StringComparison.OrdinalIgnoreCase)
            || version.Stdout.Contains("OpenRTE", StringComparison.OrdinalIgnoreCase);
        return openMpi
            ? "mpiexec is Open MPI's, whose ABI MPI.NET cannot use: install MPICH (apt-get install mpich) to run the MPI tests."
            : null;
    }

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Host => Built(Path.Combine("tests", "Xent.Distributed.TestHost"), "Xent.Distributed.TestHost.dll");

    public static string Cli => Built(Path.Combine("src", "Xent.Cli"), "Xent.Cli.dll");

    /// <summary><c>mpiexec -n ranks dotnet dll args…</c>.</summary>
    public static RunResult Run(int ranks, string dll, IEnumerable<string> args, int timeoutMs = 180_000) =>
        Launch(Exec ?? throw new InvalidOperationException("mpiexec is not installed."),
            ["-n", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), Dotnet, dll, .. args], timeoutMs);

    /// <summary>mpiexec with its own argument list (MPMD: <c>-n 1 … : -n 1 …</c>), in <paramref name="workingDirectory"/> (default: the
    /// temp folder).</summary>
    public static RunResult RunRaw(IEnumerable<string> mpiexecArgs, int timeoutMs = 180_000, string? workingDirectory = null) =>
        Launch(Exec ?? throw new InvalidOperationException("mpiexec is not installed."), mpiexecArgs, timeoutMs,
            workingDirectory: workingDirectory);

    /// <summary><c>dotnet dll args…</c> without mpiexec.</summary>
    public static RunResult RunAlone(
        string dll, IEnumerable<string> args, IDictionary<string, string>? environment = null, int timeoutMs = 180_000) =>
        Launch(Dotnet, [dll, .. args], timeoutMs, environment);

    public static string Dotnet { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host : FindOnPath("dotnet") ?? "dotnet";

    private static RunResult Launch(string file, IEnumerable<string> args, int timeoutMs, IDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish in {timeoutMs} ms (a hang).");
        }
        process.WaitForExit();
        return new RunResult(process.ExitCode, stdout.Result, stderr.Result, clock.Elapsed);
    }

    private static string Built(string projectDir, string dll)
    {
        // Tests run from tests/Xent.Distributed.Tests/bin/<Configuration>/<tfm>/: the others are built with the same configuration.
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string path = Path.Combine(RepoRoot, projectDir, "bin", tfmDir.Parent?.Name ?? "Release", tfmDir.Name, dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built; build the solution.");
    }

    private static string? FindOnPath(string name)
    {
        var searchPath = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in searchPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Xent.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No Xent.slnx above {AppContext.BaseDirectory}.");
    }
}
