using System.Diagnostics;

namespace Xent.Tests.Training;

/// <summary>
/// Runs the built CLI (src/Xent.Cli, assembly Xent.Cli.dll) as a separate process: the test project cannot
/// reference it. Builds it first (once per test run) when its output is missing or older than its sources.
/// </summary>
internal static class XentCli
{
    private static readonly Lazy<string> s_dll = new(Locate);

    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static Result Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(s_dll.Value);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("xent " + string.Join(' ', args) + " did not finish in 120 s.");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string Locate()
    {
        string dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Xent.slnx")))
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("Cannot find the repository root (Xent.slnx) above " + AppContext.BaseDirectory);
        string config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        string project = Path.Combine(dir, "src", "Xent.Cli");
        string dll = Path.Combine(project, "bin", config, "net10.0", "Xent.Cli.dll");
        if (!File.Exists(dll) || Newest(Path.Combine(dir, "src")) > File.GetLastWriteTimeUtc(dll))
        {
            var psi = new ProcessStartInfo("dotnet", ["build", project, "-c", config, "-nologo", "-v", "q"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException("Building the CLI failed:\n" + output);
        }
        return dll;
    }

    private static DateTime Newest(string srcDir) =>
        Directory.EnumerateFiles(srcDir, "*.cs", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(srcDir, "*.csproj", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Max(File.GetLastWriteTimeUtc);
}
