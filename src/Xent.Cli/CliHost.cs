using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text;
using System.Text.Json;
using Xent.Cli.Commands;
using Xent.Training;

namespace Xent.Cli;

/// <summary>
/// The one error path of every command: parse errors, bad input and failed writes become exactly one
/// <c>error: …</c> line on stderr and exit code 2, divergence exit code 3, and anything else (a bug) one line and
/// exit code 1; <c>--verbose</c> adds the stack trace. Messages are cleaned of control characters first, since
/// they may quote bytes from a hostile file.
/// </summary>
internal static class CliHost
{
    /// <summary>The global <c>--verbose</c> option.</summary>
    public static Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "On an error, also print the exception's stack trace",
        Recursive = true,
    };

    /// <summary>Parses <paramref name="args"/> against <paramref name="root"/> and runs the chosen command.</summary>
    public static int Invoke(RootCommand root, string[] args)
    {
        if (!root.Options.Contains(Verbose)) root.Options.Add(Verbose);
        bool verbose = args.Contains("--verbose", StringComparer.Ordinal);
        s_verbose = verbose;
        try
        {
            var parse = root.Parse(args);
            // A command whose own action reports parse errors (ClearsParseErrors) keeps doing so.
            if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
            {
                string command = CommandPath(parse.CommandResult.Command);
                // An unknown word explains the other errors it causes ("Required command was not provided").
                string message = parse.UnmatchedTokens.Count > 0
                    ? $"unrecognized command or argument '{parse.UnmatchedTokens[0]}'."
                    : ParseErrorText.Friendly(parse.Errors[0].Message); // "a number", not 'System.Nullable`1[System.Double]'
                return DistributedCommands.FailBeforeMpi(args, $"error: {Clean(message)} See '{command} --help'.", ExitCodes.BadInput);
            }
            // Every rank of `mpiexec -n P xent train --distributed … --help` parses the same arguments: rank 0 prints the help once.
            if (parse.Action is System.CommandLine.Help.HelpAction && DistributedCommands.IsOtherRank(args)) return ExitCodes.Success;
            // Paths the system cannot use are refused before the command runs, alike for every command (PathOptions).
            if (parse.Errors.Count == 0 && parse.Action == parse.CommandResult.Command.Action && PathOptions.Refusal(parse) is { } path)
                return DistributedCommands.FailBeforeMpi(args, "error: " + Clean(path), ExitCodes.BadInput);
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Report(e, verbose, Console.Error);
        }
    }

    /// <summary>
    /// A command's own refusal: writes <c>error: </c> and <paramref name="message"/> as one printable line to stderr, as every
    /// command's errors, and returns <see cref="ExitCodes.BadInput"/>.
    /// </summary>
    public static int Fail(string message)
    {
        Console.Error.WriteLine("error: " + Clean(message));
        return ExitCodes.BadInput;
    }

    /// <summary>
    /// A command's refusal of input that raised <paramref name="e"/>: as <see cref="Fail(string)"/> with the exception's
    /// message, without the " (Parameter 'x')" that <see cref="ArgumentException"/> adds; with <c>--verbose</c>, also its stack trace.
    /// </summary>
    public static int Fail(Exception e)
    {
        if (IsUnexplained(e)) return Report(e, s_verbose, Console.Error);
        int code = Fail(UserMessage(e));
        if (s_verbose) Console.Error.WriteLine(e.ToString()); // as for an exception that escapes a command
        return code;
    }

    /// <summary>Whether this invocation was given <c>--verbose</c>, for the refusals a command reports itself.</summary>
    private static bool s_verbose;

    /// <summary>
    /// Writes the one line for <paramref name="e"/> (and its stack trace when <paramref name="verbose"/>) and returns the exit code.
    /// </summary>
    public static int Report(Exception e, bool verbose, TextWriter err)
    {
        var (code, message) = Classify(e);
        err.WriteLine("error: " + message);
        if (verbose) err.WriteLine(e.ToString());
        return code;
    }

    /// <summary>The exit code and the one-line message for an exception that escaped a command.</summary>
    public static (int Code, string Message) Classify(Exception e)
    {
        if (e is TrainingDivergedException) return (ExitCodes.Diverged, Clean(e.Message));
        // A relative path the command made itself (train's runs/<date-time>) after the current folder was deleted: .NET's
        // "Unable to find the specified file." names nothing (a path the user gave is named by PathOptions before the run).
        if (e is FileNotFoundException { FileName: null } && PathProblems.CurrentFolderGone())
            return (ExitCodes.BadInput, PathProblems.CurrentFolderGoneMessage);
        if (IsInputError(e) && !IsUnexplained(e)) return (ExitCodes.BadInput, Clean(UserMessage(e)));
        if (e is OutOfMemoryException)
            return (ExitCodes.BadInput, "not enough memory for this input; use a smaller file, batch or model.");
        return (ExitCodes.InternalError,
            Clean($"internal error ({e.GetType().Name}): {e.Message} This is a bug in xent; rerun with --verbose and report the output."));
    }

    /// <summary>
    /// Exceptions that bad arguments, missing, unreadable or corrupt files and unwritable outputs raise: the user can act
    /// on their message. Everything else is a bug.
    /// </summary>
    public static bool IsInputError(Exception e) => e is InvalidDataException or IOException or UnauthorizedAccessException
        or NotSupportedException or ArgumentException or FormatException or OverflowException or JsonException
        or KeyNotFoundException;

    /// <summary>
    /// Whether <paramref name="e"/> is an argument or overflow exception that carries only the .NET runtime's stock message
    /// ("Specified argument was out of the range of valid values.", "Arithmetic operation resulted in an overflow."): thrown
    /// by the runtime inside xent's own code (a slice or index it computed wrong), not by a check of the user's input, which
    /// always says what was wrong. It is a bug: exit code 1 and a request to report it, not "bad input" with nothing to act on.
    /// </summary>
    public static bool IsUnexplained(Exception e) => e switch
    {
        ArgumentOutOfRangeException or ArgumentNullException or OverflowException =>
            s_stockMessages.Any(m => UserMessage(e).StartsWith(m, StringComparison.Ordinal)),
        _ => false,
    };

    /// <summary>The runtime's default messages for the exceptions <see cref="IsUnexplained"/> looks at, in this culture.</summary>
    private static readonly string[] s_stockMessages =
    [
        new ArgumentOutOfRangeException().Message, new ArgumentNullException().Message, new OverflowException().Message,
        ListIndexMessage(),
    ];

    /// <summary>What a collection's indexer says out of range: "Index was out of range. Must be non-negative and less …".</summary>
    private static string ListIndexMessage()
    {
        try { _ = new List<int>()[0]; }
        catch (ArgumentOutOfRangeException e) { return UserMessage(e); }
        throw new InvalidOperationException("An empty list's indexer did not throw.");
    }

    /// <summary>
    /// The message of <paramref name="e"/> for the user: an <see cref="ArgumentException"/>'s without its parameter's name.
    /// </summary>
    public static string UserMessage(Exception e) => e switch
    {
        // ArgumentException appends " (Parameter 'x')", which names a C# parameter the user never saw.
        ArgumentException { ParamName: { } p } a => a.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal),
        // AtomicFileWriter's sentence, lower-cased as every command's own "cannot write" line is (train's full disk).
        _ when e.Message.StartsWith("Cannot write '", StringComparison.Ordinal) => "c" + e.Message[1..],
        _ => e.Message,
    };

    /// <summary>
    /// One printable line: line breaks and tabs become spaces, other control characters (and invalid UTF-16)
    /// become <c>\xNN</c> / <c>\uNNNN</c> escapes, and very long messages are cut in the middle: their end says what went wrong
    /// (a path of 4000 characters cut at the end left the line without its reason).
    /// </summary>
    public static string Clean(string message)
    {
        const int MaxLength = 2000, Tail = 600;
        if (message.Length > MaxLength)
        {
            int head = MaxLength - Tail, tail = message.Length - Tail;
            if (char.IsHighSurrogate(message[head - 1])) head--; // never half of a surrogate pair
            if (char.IsLowSurrogate(message[tail])) tail++;
            message = message[..head] + " … " + message[tail..];
        }
        var sb = new StringBuilder(message.Length + 16);
        for (int i = 0; i < message.Length; i++)
        {
            char c = message[i];
            if (c is '\r' or '\n' or '\t') { if (sb.Length > 0 && sb[^1] != ' ') sb.Append(' '); }
            else if (char.IsHighSurrogate(c) && i + 1 < message.Length && char.IsLowSurrogate(message[i + 1]))
                { sb.Append(c).Append(message[++i]); }
            else if (char.IsSurrogate(c) || c is '\u2028' or '\u2029' or '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e')
                or (>= '\u2066' and <= '\u2069'))
                sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else if (char.IsControl(c)) sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString().Trim();
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c; s = c.Parents.FirstOrDefault())
            names.Add(c is RootCommand ? "xent" : c.Name);
        names.Reverse();
        return string.Join(' ', names);
    }
}
