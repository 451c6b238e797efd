using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Xent.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// On a terminal of 120 columns or more, <c>train</c> draws a live progress row, and a warning raised while it trains (the
/// library's or the trainer's) goes through that display instead of stderr, whose lines the next redraw would write over. Such
/// a warning must still reach report.html's Warnings section, and stay whole on the screen. Tests redirect stdout, so only a
/// real terminal takes that path: here util-linux
/// <c>script</c> gives the CLI a pseudo-terminal of 160 columns.
/// </summary>
public sealed class LiveDisplayWarningsCliTests : IDisposable
{
    private const int N = 24, Size = 8, Columns = 160;

    /// <summary>PyTorch 1.13's text for a 2-D input to <c>dropout2d</c>, which the tutorial's CNN gives it after fc1.</summary>
    private const string Dropout2d = "dropout2d: Received a 2-D input to dropout2d, which is deprecated and will result in an error in " +
        "a future release. To retain the behavior and silence this warning, please use dropout instead. Note that dropout2d exists to " +
        "provide channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. " +
        "3D or 4D inputs).";

    private readonly ProcessFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The executable <c>script</c> on <c>PATH</c>, or null (on Windows too).</summary>
    private static string? Script()
    {
        if (OperatingSystem.IsWindows()) return null;
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string path = Path.Combine(folder, "script");
            if (File.Exists(path) && (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0) return path;
        }
        return null;
    }

    /// <summary>
    /// Runs <c>xent train --model cnn</c> on a small .npy pair of two classes of 8×8 gray images (dark and bright) under a
    /// pseudo-terminal of 160×50 and returns what the terminal received, after skipping where no pseudo-terminal can be had.
    /// </summary>
    private string TrainOnTerminal(params string[] options)
    {
        Skip.If(OperatingSystem.IsWindows(), "a pseudo-terminal through util-linux script is a Unix test");
        Skip.If(Script() is null, "util-linux 'script' is not on PATH, so no pseudo-terminal can be given to the CLI");

        var rng = new Random(11);
        var y = new long[N];
        var x = new byte[N * Size * Size];
        for (int i = 0; i < N; i++)
        {
            y[i] = i % 2;
            for (int px = 0; px < Size * Size; px++) x[i * Size * Size + px] = (byte)(rng.Next(60) + (y[i] == 1 ? 170 : 10));
        }
        Npy.Write(_dir.File("x.npy"), x, [N, Size, Size]);
        Npy.Write(_dir.File("y.npy"), y, [N]);

        var (host, dll) = CliRunner.Command;
        // stdout and stderr are the pseudo-terminal, sized 160x50 before the CLI starts. The variables that make Spectre.Console
        // treat the console as a CI log (not interactive, so no live display) are dropped, and TERM names an ANSI terminal.
        const string Run = """
            cli=$(printf '%q ' "$@")
            exec env -u APPVEYOR -u bamboo_buildNumber -u BITBUCKET_REPO_OWNER -u BITBUCKET_REPO_SLUG -u BITBUCKET_COMMIT \
                -u BITRISE_BUILD_URL -u ContinuaCI.Version -u GITHUB_ACTIONS -u CI_SERVER -u GO_SERVER_URL -u JENKINS_URL \
                -u BuildRunner -u TEAMCITY_VERSION -u TF_BUILD -u TRAVIS TERM=xterm-256color DOTNET_CLI_TELEMETRY_OPTOUT=1 \
                script -qfec "stty cols 160 rows 50; $cli" /dev/null < /dev/null
            """;
        var p = _dir.Shell(Run, [host, dll, "train", "--data", "x.npy", "--labels", "y.npy", "--model", "cnn", "--out", "run",
            .. options]); // disposed, and killed if still running, with the folder
        string output = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        // A container without /dev/pts has script but no terminal to give.
        Skip.If(p.ExitCode != 0 && stderr.Contains("failed to create pseudo-terminal", StringComparison.Ordinal),
            "script could not create a pseudo-terminal here: " + stderr.Trim());
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}\n{output}\n{stderr}");

        // The live display ran: Spectre hides the cursor for it and draws the epoch's task row ("Epoch 1/1 batch …"), which the
        // plain-lines output (stdout not a terminal, or narrower than 120 columns) never writes.
        Assert.Contains("\u001b[?25l", output, StringComparison.Ordinal);
        Assert.Contains("Epoch 1/", output, StringComparison.Ordinal);
        return output;
    }

    /// <summary>The messages of report.html's Warnings section, decoded, in order.</summary>
    private string[] ReportWarnings() =>
        [.. Regex.Matches(File.ReadAllText(_dir.File("run/report.html")), "<p class=\"warning\"><b>Warning:</b> (.*?)</p>")
            .Select(m => WebUtility.HtmlDecode(m.Groups[1].Value))];

    [SkippableFact]
    public void AWarningRaisedDuringTrainingOnTheLiveDisplayIsInTheReport()
    {
        // The CNN's first training batch passes a 2-D input to dropout2d: a library warning, raised while the display runs.
        string output = TrainOnTerminal("--epochs", "1");
        // The warning was raised during training (after the "Training …" line) and shown through the display: on the terminal,
        // wrapped at its width, so only its start is compared here.
        int training = output.IndexOf("Training cnn on ", StringComparison.Ordinal);
        int warned = output.IndexOf("Warning: dropout2d: Received a 2-D input", StringComparison.Ordinal);
        Assert.True(training >= 0 && warned > training, output);

        string html = File.ReadAllText(_dir.File("run/report.html"));
        Assert.Contains("<h2>Warnings</h2>\n<p class=\"warning\"><b>Warning:</b> " + Dropout2d + "</p>\n<p class=\"summary\">", html,
            StringComparison.Ordinal);
        Assert.Single(html.Split("<p class=\"warning\">")[1..]);
    }

    [SkippableFact]
    public void TheTrainersOwnWarningOnTheLiveDisplayStaysWholeOnTheScreen()
    {
        // --lr 0.1 makes epoch 2's training loss jump far above epoch 1's: the trainer's own warning, raised at the end of epoch
        // 2 while the live rows are on the screen. Written to the terminal's stderr, the next redraw wrote over its start.
        string output = TrainOnTerminal("--epochs", "2", "--lr", "0.1");
        var warnings = ReportWarnings();
        Assert.Equal(2, warnings.Length);
        Assert.Equal(Dropout2d, warnings[0]);
        // The loss the warning quotes is metrics.csv's for epoch 2 (its epoch-end row), and it is above 1.25 times epoch 1's.
        var epochLoss = File.ReadAllLines(_dir.File("run/metrics.csv")).Skip(1).Select(l => l.Split(',')).Where(c => c[3].Length > 0)
            .ToDictionary(c => int.Parse(c[0], CultureInfo.InvariantCulture), c => double.Parse(c[2], CultureInfo.InvariantCulture));
        Assert.True(epochLoss[2] > 1.25 * epochLoss[1], $"the premise: epoch 2's loss {epochLoss[2]} rose from {epochLoss[1]}");
        string rise = warnings[1];
        Assert.StartsWith($"epoch 2's training loss ({epochLoss[2].ToString("F4", CultureInfo.InvariantCulture)}) is ", rise);

        // What the user sees: the whole warning on its own lines (wrapped at 160 columns), not partly covered by a redraw.
        var screen = TerminalScreen.Render(output, Columns);
        int at = screen.ToList().FindIndex(l => l.StartsWith("Warning: epoch 2's", StringComparison.Ordinal));
        Assert.True(at >= 0, "the warning's first line is not on the screen:\n" + string.Join('\n', screen));
        string shown = string.Concat(screen.Skip(at).Take((("Warning: " + rise).Length + Columns - 1) / Columns));
        Assert.Equal("Warning: " + rise, shown);
    }
}
