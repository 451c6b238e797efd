using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.CompilerServices;

namespace Xent.Cli.Commands;

/// <summary>
/// The options that name files and folders, marked where each command declares them, and checked in one place
/// (<see cref="Refusal"/>, from <see cref="CliHost.Invoke"/>) before any command runs: a path the system cannot use at all
/// (<see cref="PathProblems"/>) is one <c>error:</c> line naming the option, whichever command was given it, rather than a
/// "does not exist" for a file that exists, or a failure after the work is done.
/// </summary>
internal static class PathOptions
{
    private enum Kind
    {
        Input,
        OutputFile,
        OutputFolder,
    }

    private sealed record Entry(Kind Kind, string Example);

    // Weak: the in-process tests build the commands anew for every run.
    private static readonly ConditionalWeakTable<Option, Entry> s_entries = new();

    /// <summary>Marks <paramref name="option"/> as naming a file or folder the command reads.</summary>
    public static T Input<T>(T option) where T : Option => Mark(option, new(Kind.Input, ""));

    /// <summary>Marks <paramref name="option"/> as naming a file the command writes; <paramref name="example"/> names one.</summary>
    public static T OutputFile<T>(T option, string example) where T : Option => Mark(option, new(Kind.OutputFile, example));

    /// <summary>Marks <paramref name="option"/> as naming a folder the command writes files into (<c>train --out</c>).</summary>
    public static T OutputFolder<T>(T option, string example) where T : Option => Mark(option, new(Kind.OutputFolder, example));

    private static T Mark<T>(T option, Entry entry) where T : Option
    {
        s_entries.AddOrUpdate(option, entry);
        return option;
    }

    /// <summary>
    /// The error (without <c>error:</c>) for the first path option given to the parsed command that cannot be used; null when
    /// every one may be (whether an input exists is left to the command, which says what it expected there).
    /// </summary>
    public static string? Refusal(ParseResult parse)
    {
        foreach (var result in parse.CommandResult.Children.OfType<OptionResult>())
        {
            if (result.Implicit || !s_entries.TryGetValue(result.Option, out var entry)) continue;
            if (result.GetValueOrDefault<object?>() is not string path) continue;
            string option = result.IdentifierToken?.Value ?? result.Option.Name; // as typed: predict's --data or --input
            string? problem = string.IsNullOrWhiteSpace(path) ? Empty(option, entry) : entry.Kind switch
            {
                Kind.Input => PathProblems.ForInput(path, option),
                Kind.OutputFile => PathProblems.ForOutput(path, option, PathProblems.TemporarySuffixBytes,
                    "the temporary file xent writes first adds", folder: false, Path.GetFileName(entry.Example)),
                _ => PathProblems.ForOutput(path, option, PathProblems.RunFileBytes, "the files xent writes into it add up to",
                    folder: true),
            };
            if (problem is not null) return problem;
        }
        return null;
    }

    // .NET's "The value cannot be an empty string." (train --out "") and "directory '' does not exist" (--data "") named no option.
    private static string Empty(string option, Entry entry) => entry.Kind switch
    {
        Kind.Input => $"{option} is empty; name a file or folder.",
        Kind.OutputFile => $"{option} is empty; name a file such as {entry.Example}.",
        _ => $"{option} is empty; name a folder such as {entry.Example}, or leave out {option} for runs/<date-time>.",
    };
}
