using System.Text;
using Xent.IO;

namespace Xent.Cli.Commands;

/// <summary>
/// Why a path the user named cannot be used, in words that name the cause: .NET's own checks answer false for a file that
/// exists but cannot be reached (<c>File.Exists</c> on a path longer than PATH_MAX), and its exceptions name neither the
/// option nor the limit. Each method returns the error (without <c>error:</c>), or null when nothing is in the way.
/// </summary>
internal static class PathProblems
{
    /// <summary>Bytes the system takes in one path, with the closing NUL (PATH_MAX: 4096 on Linux, 1024 on macOS).</summary>
    public static int PathMax => LinkWalk.PathMax;

    /// <summary>Bytes the system takes in one file or folder name (NAME_MAX).</summary>
    public const int NameMax = 255;

    /// <summary>What <see cref="AtomicFileWriter"/>'s temporary name adds to a file's path: <c>.tmp-</c> and 12 hex digits.</summary>
    public const int TemporarySuffixBytes = 17;

    /// <summary>
    /// What the longest path a run writes into its folder adds to the folder's: a separator and
    /// <c>checkpoint.safetensors.tmp-xxxxxxxxxxxx</c>.
    /// </summary>
    public static int RunFileBytes { get; } =
        1 + RunDirectory.RunFiles.Max(f => Encoding.UTF8.GetByteCount(f)) + TemporarySuffixBytes;

    // Windows takes long paths through .NET; only the Unix limits are checked.
    private static bool HasLimits => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    private static string SystemName => OperatingSystem.IsMacOS() ? "macOS" : "Linux";

    /// <summary>
    /// Why the input <paramref name="path"/> (given to <paramref name="option"/>) cannot be read; null when it exists, or when
    /// nothing but its absence explains it (the command then says what it expected there).
    /// </summary>
    public static string? ForInput(string path, string option)
    {
        if (path.Length == 0 || Directory.Exists(path)) return null;
        const string Cannot = "cannot be read", Fix = "remove the link or restore its target";
        // File.Exists is true for a link to nothing, or in a loop: it falls back to the link itself.
        if (File.Exists(path)) return Descriptor(path, option, Cannot, "<") ?? BrokenLink(path, option, Cannot, Fix);
        return Tilde(path, option, output: false) ?? Relative(path, option, Cannot) ?? Descriptor(path, option, Cannot, "<")
            ?? TooLong(path, option, Cannot, 0, "")
            ?? BrokenLink(path, option, Cannot, Fix) ?? FileOnTheWay(path, option, Cannot);
    }

    /// <summary>
    /// Why <paramref name="path"/> (given to <paramref name="option"/>) cannot be written; null when nothing is in the way.
    /// </summary>
    /// <param name="path">The output path.</param>
    /// <param name="option">Its option, for the message.</param>
    /// <param name="extraBytes">What the writes add to the path's length (a temporary name, the run's files).</param>
    /// <param name="extraWhat">Says what adds <paramref name="extraBytes"/>, for the message.</param>
    /// <param name="folder">Whether it names a folder the command writes into, rather than a file.</param>
    /// <param name="fileExample">For a file, a name such as the option's own example (<c>predictions.csv</c>), for advice.</param>
    public static string? ForOutput(string path, string option, int extraBytes, string extraWhat, bool folder,
        string? fileExample = null)
    {
        if (path.Length == 0) return null;
        const string Cannot = "cannot be written";
        // Not through a link to nothing (as cp refuses): the link may lead anywhere, and where it leads is not what the user named.
        return Tilde(path, option, output: true, fileExample) ?? Relative(path, option, Cannot) ?? Descriptor(path, option, Cannot, ">")
            ?? TooLong(path, option, Cannot, extraBytes, extraWhat)
            ?? BrokenLink(path, option, Cannot, "xent writes through a link only to what exists: create its target, remove the link, " +
                $"or pass another {option}", output: true)
            ?? FileOnTheWay(path, option, Cannot, slashHint: !folder) ?? Socket(path, option, Cannot);
    }

    /// <summary>
    /// The error for an output that is, or links to, a socket (<see cref="WriteTarget.SocketRefusal"/>), before any work: the write
    /// would fail after it, and a rename would remove the socket from under its program.
    /// </summary>
    private static string? Socket(string path, string option, string cannot) =>
        FileKinds.Of(path) == FileKind.Socket ? $"{option} '{Shorten(path)}' {cannot}: {WriteTarget.SocketRefusal}." : null;

    /// <summary>
    /// The error for a symbolic link along <paramref name="path"/> (or the path itself) that leads nowhere: to a file or folder that
    /// does not exist, or round a loop (.NET's checks answer "does not exist", or "is a file", for either; a write replaced the
    /// link). Paths under /dev and /proc are left alone: their links lead to pipes and descriptors (<c>pipe:[…]</c>).
    /// </summary>
    /// <param name="path">The path given.</param>
    /// <param name="option">Its option, for the message.</param>
    /// <param name="cannot">What cannot be done (<c>cannot be written</c>).</param>
    /// <param name="fix">What the user may do about a link to nothing.</param>
    /// <param name="output">Whether the path is written (a link at its end is then written through).</param>
    private static string? BrokenLink(string path, string option, string cannot, string fix, bool output = false)
    {
        string full = Path.GetFullPath(path);
        if (WriteTarget.IsSpecial(full)) return null;
        // As the kernel follows links (LinkWalk): a link reached through a linked folder, or to a pipe, leads where it leads.
        var walk = LinkWalk.Of(full, WriteTarget.IsSpecial);
        // Reached by the kernel as given (LinkWalk.Result.TooLong): only a link at its end cannot be written through.
        if (walk.TooLong)
            return output && new FileInfo(full).LinkTarget is not null
                ? $"{option} '{Shorten(path)}' {cannot}: {WriteTarget.LinkTooLong}."
                : null;
        if (walk.Exists) return null;
        if (walk.Unreadable)
            return $"{option} '{Shorten(path)}' {cannot}: '{Shorten(walk.Stop)}' may not be reached by this user (Permission denied).";
        if (walk.Link is not { } link) return null;
        string which = link == Path.TrimEndingDirectorySeparator(full) ? "it" : $"'{Shorten(link)}'";
        if (walk.Loop)
            return $"{option} '{Shorten(path)}' {cannot}: {which} is a symbolic link in a loop, or in a chain of more than 40 links " +
                "(it never leads to a file or folder); remove the link or point it at a file or folder.";
        return $"{option} '{Shorten(path)}' {cannot}: {which} is a symbolic link to '{Shorten(walk.Stop)}', which does not exist; " +
            $"{fix}.";
    }

    /// <summary>
    /// The error for a path that names, or links to, a descriptor above 2 that the shell did not open for xent (<c>/dev/fd/3</c>
    /// with no <c>3&gt;file</c>): the .NET runtime's own (<see cref="OwnDescriptors"/>), which would take the output, or give the input.
    /// Checked here, for the paths a user typed, not in <see cref="WriteTarget"/>: a program may write to a pipe it opened itself.
    /// </summary>
    private static string? Descriptor(string path, string option, string cannot, string redirect)
    {
        string full = Path.GetFullPath(path);
        return OwnDescriptors.NotGiven(LinkWalk.Of(full, WriteTarget.IsSpecial).Path) is (int fd, bool open)
            ? $"{option} '{Shorten(path)}' {cannot}: descriptor {fd} was not opened for xent by the shell (as {fd}{redirect}file or " +
                $"{redirect}(…) open one); " + (open ? "it is one the .NET runtime opened for itself" : "it is not open") +
                "; open it in the shell first, or name a file."
            : null;
    }

    /// <summary>
    /// The error for a path below a file (<c>data.csv/out.html</c>, <c>notes.txt/run</c>), which fails whatever the command does:
    /// .NET says "Could not find a part of the path", or a reader "does not exist", where the cause is a file named as a folder.
    /// </summary>
    /// <param name="path">The path given.</param>
    /// <param name="option">Its option, for the message.</param>
    /// <param name="cannot">What cannot be done (<c>cannot be written</c>).</param>
    /// <param name="slashHint">Whether a file named with a trailing '/' (data.csv/) is the file meant, so that leaving out the '/'
    /// is the fix (not for a folder output).</param>
    public static string? FileOnTheWay(string path, string option, string cannot, bool slashHint = true)
    {
        string full = Path.GetFullPath(path);
        for (string? up = Path.GetDirectoryName(full); up is not null && !Directory.Exists(up); up = Path.GetDirectoryName(up))
        {
            if (!File.Exists(up)) continue;
            // data.csv/ (a completed name with its slash kept): the file itself is named as a folder.
            if (slashHint && Path.EndsInDirectorySeparator(full) && up == Path.TrimEndingDirectorySeparator(full))
                return $"{option} '{Shorten(path)}' ends with '/', as a folder does, but '{Shorten(up)}' is a file; leave out the '/'.";
            return $"{option} '{Shorten(path)}' {cannot}: '{Shorten(up)}' is a file, not a folder.";
        }
        return null;
    }

    /// <summary>
    /// The error for a path that starts as a shell's <c>~</c> does (<c>~</c>, <c>~/x</c>, or <c>~user</c>, <c>~user/x</c> for a user in
    /// /etc/passwd): a shell expands it only at the start of a word, so <c>--out=~/x</c> reaches xent as written, and would make a
    /// folder named <c>~</c> here (and print <c>~/x/…</c>, which a shell then reads as the home folder, where nothing is). Refused
    /// rather than warned about, HOME set or not: nothing is written yet, and <c>./~/x</c> still names such a folder. Not checked
    /// for an input that exists (a folder really named ~).
    /// </summary>
    /// <param name="path">The path given.</param>
    /// <param name="option">Its option, for the message.</param>
    /// <param name="output">Whether the path is written.</param>
    /// <param name="fileExample">For an output file, a file name to suggest in the home folder (<c>predictions.csv</c>); null
    /// for a folder output or an input.</param>
    private static string? Tilde(string path, string option, bool output, string? fileExample = null)
    {
        if (!path.StartsWith('~')) return null;
        int slash = path.IndexOf('/', StringComparison.Ordinal);
        string word = slash < 0 ? path : path[..slash], user = word[1..];
        // ~user only where such a user exists (a shell leaves ~x.csv as it is); ~ alone with HOME unset still makes a folder '~'.
        string? home = user.Length == 0 ? Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : null : UserHome(user);
        if (user.Length > 0 && home is null) return null;
        bool inside = slash >= 0; // ~/x: x in a folder named ~
        string named = inside || (output && fileExample is null) ? "folder" : output ? "file" : "file or folder";
        string unset = Environment.GetEnvironmentVariable("HOME") is null ? "not set" : "empty";
        string instead = home is null ? $"write its full path (HOME is {unset}, so xent cannot tell your home folder)"
            : !inside && fileExample is not null ? $"name a file in it, such as {option} '{Shorten(Path.Join(home, fileExample))}'"
            : $"write {option} '{Shorten(Path.Join(home, path[word.Length..]))}'";
        return $"{option} '{Shorten(path)}' starts with '~', which a shell expands only at the start of a word ({option} ~/x, not " +
            $"{option}=~/x), so it names a {named} '{Shorten(word)}' in the current folder, not " +
            (user.Length == 0 ? "your" : $"{Shorten(user)}'s") + $" home folder; {instead}" +
            (output ? $", or {option} './{Shorten(path)}' for a {named} named '{Shorten(word)}'." : ".");
    }

    /// <summary>The home folder /etc/passwd gives <paramref name="user"/>, or null (no such user, or no such file).</summary>
    private static string? UserHome(string user)
    {
        if (!HasLimits || user.Contains(':', StringComparison.Ordinal)) return null; // Unix only; ':' separates the fields
        try
        {
            foreach (string line in File.ReadLines("/etc/passwd"))
            {
                string[] fields = line.Split(':');
                if (fields.Length >= 7 && fields[0] == user && fields[5].Length > 0) return fields[5];
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing to tell by: taken as no such user.
        }
        return null;
    }

    /// <summary>
    /// Whether the process's current folder was deleted (or moved out of reach) after it started in it: getcwd fails, and with it
    /// every relative path, with .NET's bare "Unable to find the specified file.".
    /// </summary>
    public static bool CurrentFolderGone()
    {
        try
        {
            Directory.GetCurrentDirectory();
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>What <see cref="CliHost"/> says when a relative path failed for want of a current folder.</summary>
    public const string CurrentFolderGoneMessage = "the current folder no longer exists (it was deleted or moved), so no path relative " +
        "to it can be used (train's default --out, runs/<date-time>, is one); cd to an existing folder and run the command again.";

    /// <summary>The error for a relative path while the current folder is gone (<see cref="CurrentFolderGone"/>).</summary>
    private static string? Relative(string path, string option, string cannot) =>
        Path.IsPathRooted(path) || !CurrentFolderGone() ? null
            : $"{option} '{Shorten(path)}' {cannot}: it is relative to the current folder, which no longer exists (it was deleted or " +
                "moved); cd to an existing folder, or give its absolute path.";

    /// <summary>
    /// The error for a path whose full form (the one .NET hands the system, whatever the current folder) is longer than PATH_MAX
    /// allows, or that holds a name longer than NAME_MAX.
    /// </summary>
    private static string? TooLong(string path, string option, string cannot, int extraBytes, string extraWhat)
    {
        if (!HasLimits) return null;
        string full = Path.GetFullPath(path);
        int bytes = Encoding.UTF8.GetByteCount(full);
        int limit = PathMax - 1 - extraBytes;
        if (bytes > limit)
        {
            string head = $"{option} '{Shorten(path)}' {cannot}: its full path ('{Shorten(full)}') is {bytes} bytes long";
            return extraBytes == 0
                ? $"{head}, more than the {PathMax - 1} {SystemName} allows in one path (PATH_MAX {PathMax}); move it to a shorter " +
                    "path, or reach it through a symbolic link from one."
                : $"{head}; {SystemName} allows {PathMax - 1} bytes in one path (PATH_MAX {PathMax}), and {extraWhat} {extraBytes}, so " +
                    $"at most {limit} fit; use a shorter path, or a symbolic link to the folder from one.";
        }
        foreach (string name in full.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
            if (Encoding.UTF8.GetByteCount(name) is var n and > NameMax)
                return $"{option} '{Shorten(path)}' {cannot}: the name '{Shorten(name)}' in it is {n} bytes long, and {SystemName} " +
                    $"allows {NameMax} bytes in one file or folder name (NAME_MAX).";
        return null;
    }

    /// <summary>
    /// <paramref name="path"/> as a message quotes it: whole up to 160 characters, otherwise its start and end around an ellipsis
    /// (the end names the file), so that the sentence around it still fits the error line.
    /// </summary>
    public static string Shorten(string path)
    {
        const int Max = 160, Keep = 70;
        if (path.Length <= Max) return path;
        int head = char.IsHighSurrogate(path[Keep - 1]) ? Keep - 1 : Keep; // never half of a surrogate pair
        int tail = char.IsLowSurrogate(path[^Keep]) ? Keep - 1 : Keep;
        return path[..head] + "…" + path[^tail..];
    }
}
