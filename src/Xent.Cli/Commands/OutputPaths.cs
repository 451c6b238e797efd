using Xent.IO;

namespace Xent.Cli.Commands;

/// <summary>
/// Checks a path the user named for a command's output before any work starts: it must name a file, and never one of the
/// command's own inputs, or a file inside a folder input, which writing it would destroy (an <c>export --out</c> equal to
/// <c>--checkpoint</c> replaced the trained model with the ONNX file).
/// </summary>
internal static class OutputPaths
{
    /// <summary>
    /// When one of <paramref name="outputs"/> is this process's standard output (<c>--out /dev/stdout</c>), the command's own
    /// messages ("Wrote …", the loss line, --json) go to stderr until disposed, so that stdout carries that output alone and a
    /// pipe or redirect gets a whole CSV, .npy, ONNX or HTML file. Otherwise nothing changes (null).
    /// </summary>
    public static IDisposable? KeepStdoutFor(params string?[] outputs)
    {
        if (!outputs.Any(IsStandardOutput)) return null;
        var previous = Console.Out;
        Console.SetOut(Console.Error);
        return new Restore(() => Console.SetOut(previous));
    }

    /// <summary>Whether <paramref name="output"/> names this process's stdout (/dev/stdout, /dev/fd/1, a link to them).</summary>
    public static bool IsStandardOutput(string? output) =>
        !string.IsNullOrEmpty(output) && WriteTarget.Of(Path.GetFullPath(output)).IsStandardOutput;

    /// <summary>
    /// The refusal of <c>--json</c> beside an output file that is stdout: the JSON would move to stderr among the warnings, where
    /// a script piping stdout does not look for it (as predict refuses <c>--json</c> with <c>--out</c>).
    /// </summary>
    public static string? JsonBeside(bool json, string? output, string option) =>
        json && IsStandardOutput(output)
            ? $"--json prints to stdout and {option} '{output}' writes there too; pass one of them, or give {option} a file."
            : null;

    private static bool StandardOutputClosed()
    {
        try
        {
            // Started with >&-, the runtime's first file of its own takes descriptor 1, read-only: O_ACCMODE is O_RDONLY.
            return ProcessDescriptors.Flags(1) is int flags && (flags & 3) == 0;
        }
        catch (FileNotFoundException)
        {
            return true; // not open at all
        }
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    private static readonly StringComparison PathComparison =
        OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;

    /// <summary>Whether two paths name the same file: the same full path once every symbolic link in either is followed.</summary>
    public static bool SameFile(string a, string b) => string.Equals(LinkWalk.RealPath(a), LinkWalk.RealPath(b), PathComparison);

    /// <summary>
    /// The error (without <c>error:</c>) for an output path that is a folder, one of <paramref name="inputs"/>, or inside an input
    /// that is a folder (image class folders, an IDX folder); null when it may be written.
    /// </summary>
    /// <param name="path">The output path.</param>
    /// <param name="option">Its option, for the message (<c>--out</c>).</param>
    /// <param name="example">A file name to suggest instead (<c>model.onnx</c>).</param>
    /// <param name="inputs">The command's input paths with their options; null ones are skipped.</param>
    public static string? Check(string path, string option, string example, params ReadOnlySpan<(string? Path, string Option)> inputs)
    {
        if (string.IsNullOrWhiteSpace(path)) return $"{option} is empty; name a file such as {example}.";
        if (Directory.Exists(path) || Path.EndsInDirectorySeparator(path))
            return $"{option} '{path}' is a folder; name a file such as {example}.";
        // A file on the way (data.csv/out.html) fails whatever the command does; say so before the work, not after it.
        if (PathProblems.FileOnTheWay(path, option, "cannot be written") is { } below) return below;
        string output = LinkWalk.RealPath(path);
        foreach (var (input, inputOption) in inputs)
        {
            if (input is null) continue;
            string resolved = LinkWalk.RealPath(input);
            if (string.Equals(output, resolved, PathComparison))
                return $"{option} '{path}' is the {inputOption} file; name another file such as {example}.";
            if (Directory.Exists(resolved) && output.StartsWith(Path.TrimEndingDirectorySeparator(resolved) + Path.DirectorySeparatorChar,
                    PathComparison))
                return $"{option} '{path}' is inside the {inputOption} folder '{input}', whose files the command reads; name a file " +
                    $"outside it, such as {example}.";
        }
        return null;
    }

    /// <summary>
    /// The error (without <c>error:</c>) for an output whose folder does not exist, for a command that does not create folders
    /// (<c>loss</c>, whose .npy files are written together by NpyOutputs); null when the folder exists. Checked with
    /// <see cref="Check"/> before any work, so that nothing is computed or printed for a file that cannot be written.
    /// </summary>
    public static string? CheckFolderExists(string path, string option)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        return dir is null || Directory.Exists(dir) ? null : $"{option} '{path}' cannot be written: folder '{dir}' does not exist.";
    }

    /// <summary>
    /// Writes an output file with <paramref name="write"/>, creating the folders it goes into first, as every command's
    /// <c>--out</c> (and <c>--report</c>) does; when the write fails, or the process is interrupted before it ends
    /// (<see cref="WritesInFlight.Abandon"/>), the folders it created are removed again (where still empty), and a failure's
    /// exception goes on: a failed or interrupted command leaves nothing behind.
    /// </summary>
    public static void Write(string path, Action write)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        string? created = dir is null ? null : FirstMissingFolder(dir);
        if (dir is null || created is null)
        {
            write();
            return;
        }
        var (_, folders) = WritesInFlight.Process.Start<object?>(null, () => Directory.CreateDirectory(dir),
            () => RemoveCreatedFolders(dir, created));
        try
        {
            write();
        }
        catch
        {
            WritesInFlight.Process.Remove(folders);
            throw;
        }
        WritesInFlight.Process.Finish(folders); // they hold the output now
    }

    /// <summary>
    /// The outermost folder of <paramref name="folder"/>'s path that does not exist yet (<paramref name="folder"/> itself when only
    /// it is missing), or null when <paramref name="folder"/> exists: what creating it makes, and so what a failure may remove.
    /// </summary>
    public static string? FirstMissingFolder(string folder)
    {
        string? missing = null;
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        for (string? dir = full; dir is not null && !Path.Exists(dir); dir = Path.GetDirectoryName(dir))
            missing = dir;
        return missing;
    }

    /// <summary>
    /// Removes <paramref name="folder"/> and its parents up to <paramref name="createdRoot"/> (from <see cref="FirstMissingFolder"/>)
    /// while they are empty; never a folder above <paramref name="createdRoot"/>, nor one that holds anything.
    /// </summary>
    public static void RemoveCreatedFolders(string folder, string? createdRoot)
    {
        if (createdRoot is null) return;
        string root = Path.TrimEndingDirectorySeparator(createdRoot);
        for (string? dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (dir.Length < root.Length || !Directory.Exists(dir) || Directory.EnumerateFileSystemEntries(dir).Any()) return;
            Directory.Delete(dir);
            if (dir == root) return;
        }
    }

    /// <summary>
    /// The error line for an output that could not be written: "cannot write 'x': " and the reason (<see cref="Reason"/>).
    /// </summary>
    public static string WriteFailure(string path, Exception e) => $"cannot write '{path}': {Reason(path, e)}";

    /// <summary>
    /// Why <paramref name="path"/> could not be written: the exception's message, without the "Cannot write 'x': " that
    /// AtomicFileWriter puts before it (it names the file already, and the caller's line does too).
    /// </summary>
    public static string Reason(string path, Exception e)
    {
        // `>&-`: /dev/stdout leads nowhere, and .NET calls that "Access to the path is denied" even to root (qa-s21-crash L2).
        // Judged by the name: with descriptor 1 closed, /dev/stdout leads nowhere, so WriteTarget.IsStandardOutput cannot tell.
        if (WriteTarget.NamesStandardStream(Path.GetFullPath(path), 1) && StandardOutputClosed())
            return "stdout is closed (the command was started with >&-, or with stdout open only for reading); give a file, or " +
                "leave stdout open.";
        string prefix = $"Cannot write '{path}': ";
        return e.Message.StartsWith(prefix, StringComparison.Ordinal) ? e.Message[prefix.Length..] : e.Message;
    }
}
