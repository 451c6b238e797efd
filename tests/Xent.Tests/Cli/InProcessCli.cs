using System.Reflection;
using System.Text;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// Runs the built CLI's entry point (<c>Program</c>'s top-level statements, the same code path as the <c>xent</c>
/// process) inside the test process, with stdout and stderr captured: fast enough to run hundreds of fuzz cases.
/// The assembly is loaded from the CLI's own output folder, so its dependencies (System.CommandLine, Spectre.Console)
/// resolve there. Tests that use it belong to <see cref="ConsoleCollection"/>, since the console is process-wide.
/// </summary>
internal static class InProcessCli
{
    private static readonly Lazy<MethodInfo> s_entry = new(() =>
    {
        var probe = CliRunner.Run("--version"); // builds nothing; finds the path the process runner uses, and proves it runs
        Assert.Equal(0, probe.ExitCode);
        string dll = CliDll();
        var assembly = Assembly.LoadFrom(dll);
        return assembly.EntryPoint ?? throw new InvalidOperationException($"{dll} has no entry point.");
    });

    private static readonly object s_lock = new();

    /// <summary>The CLI's assembly, for a test that calls one of its internal helpers directly (by reflection).</summary>
    public static Assembly Assembly => s_entry.Value.DeclaringType!.Assembly;

    /// <summary>Runs <c>xent args…</c> in this process and returns its exit code and output.</summary>
    public static CliResult Run(params string[] args)
    {
        var entry = s_entry.Value;
        lock (s_lock)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try
            {
                object? code = entry.Invoke(null, [args]);
                return new CliResult((int)code!, stdout.ToString(), stderr.ToString());
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                // The CLI let an exception escape: the test fails with it, and with what the CLI printed so far.
                throw new InvalidOperationException($"xent {string.Join(' ', args)} threw instead of exiting; stderr: {stderr}",
                    e.InnerException);
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }

    private static string CliDll()
    {
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = tfmDir.Parent?.Name ?? "Debug";
        return Path.Combine(CliRunner.RepoRoot, "src", "Xent.Cli", "bin", configuration, tfmDir.Name, "Xent.Cli.dll");
    }
}

/// <summary>Asserts the CLI's error contract: the exit code, exactly one stderr line starting with <c>error:</c>, no stack trace.</summary>
internal static class CliAssert
{
    public static void OneLineError(CliResult r, int exitCode, string? contains = null, string? what = null)
    {
        string label = what ?? "the command";
        Assert.True(r.ExitCode == exitCode, $"{label}: exit code {r.ExitCode}, expected {exitCode}; stderr: {r.Stderr}");
        string stderr = r.Stderr.TrimEnd('\n', '\r');
        Assert.False(stderr.Contains('\n'), $"{label}: more than one line on stderr:\n{r.Stderr}");
        Assert.StartsWith("error: ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.False(stderr.Any(c => char.IsControl(c)), $"{label}: control characters on stderr: {Escape(stderr)}");
        if (contains is not null) Assert.Contains(contains, stderr, StringComparison.Ordinal);
    }

    private static string Escape(string s)
    {
        var sb = new StringBuilder();
        foreach (char c in s) sb.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        return sb.ToString();
    }
}

/// <summary>Tests that capture the process-wide console (in-process CLI runs) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console (in-process CLI)";
}
