namespace Xent.IO;

/// <summary>
/// A path with its symbolic links followed the way the kernel follows them (realpath(3), in managed code): component by
/// component from the root, a relative link's target read from the folder the link really is in, and a <c>..</c> inside a
/// target taken after the links before it. .NET's <see cref="File.ResolveLinkTarget(string, bool)"/> joins a relative target
/// to the path as written instead, so a link reached through a linked folder (<c>L/train.csv → ../shared.csv</c>,
/// <c>L → real/deep/dir</c>) seemed to lead nowhere. A <c>..</c> in the path given is taken as .NET's own file calls take it:
/// callers pass <see cref="System.IO.Path.GetFullPath(string)"/>'s path, which has removed it as text.
/// The kernel follows a path one part at a time, so where it leads may be longer than PATH_MAX; no call takes such a path, so
/// the walk stops there (<see cref="Result.TooLong"/>) and leaves the path as given, which the kernel still follows.
/// </summary>
internal static class LinkWalk
{
    /// <summary>Links followed at most in one path, as Linux allows (40).</summary>
    public const int MaxLinks = 40;

    /// <summary>Where a path leads.</summary>
    /// <param name="Path">The path with every link followed up to where the walk ended; from a part that does not exist (or that
    /// <c>stopAt</c> accepted) on, the rest is kept as written.</param>
    /// <param name="Stop">Where the walk ended: the part that does not exist, cannot be examined, or was a link too many (without
    /// the rest of the path); the whole resolved path when it exists.</param>
    /// <param name="Exists">Whether the whole path exists.</param>
    /// <param name="Link">The symbolic link whose target holds <paramref name="Stop"/> (a link to nothing, or into a folder out
    /// of reach), or the first link met when there were too many; null when no link led there.</param>
    /// <param name="Loop">Whether more than <see cref="MaxLinks"/> links were met (a loop, or a chain too long).</param>
    /// <param name="Unreadable">Whether a part could not be examined (a folder the user may not search).</param>
    /// <param name="TooLong">Whether, with its links followed, the path passes PATH_MAX (<see cref="PathMax"/>), so that no call
    /// takes it: <paramref name="Path"/> is then the path as given, <paramref name="Stop"/> the followed part that was too long, and
    /// <paramref name="Exists"/> says whether the path as given exists (the kernel follows it without that limit).</param>
    public readonly record struct Result(string Path, string Stop, bool Exists, string? Link, bool Loop, bool Unreadable,
        bool TooLong = false);

    /// <summary>Bytes one path may take in a system call, with its closing NUL (PATH_MAX: 4096 on Linux, 1024 on macOS).</summary>
    public static int PathMax => OperatingSystem.IsMacOS() ? 1024 : 4096;

    /// <summary>
    /// Follows <paramref name="fullPath"/> (absolute). <paramref name="stopAt"/>, when given, ends the walk at the first path it
    /// accepts, unresolved (a device or a descriptor under /dev or /proc, whose links lead to <c>pipe:[…]</c>).
    /// </summary>
    public static Result Of(string fullPath, Func<string, bool>? stopAt = null)
    {
        string root = System.IO.Path.GetPathRoot(fullPath) ?? "/";
        // Each part waiting to be walked, with the link whose target it came from (null: the path as given).
        var pending = new Stack<(string Part, string? Link)>(Parts(fullPath[root.Length..]).Reverse().Select(p => (p, (string?)null)));
        string current = root;
        string? first = null;
        for (int links = 0; pending.Count > 0;)
        {
            var (part, from) = pending.Pop();
            if (part == ".") continue;
            if (part == "..")
            {
                current = System.IO.Path.GetDirectoryName(current) ?? current; // the root's parent is the root
                continue;
            }
            string next = System.IO.Path.Join(current, part);
            if (stopAt?.Invoke(next) == true) return new(Rest(next, pending), next, true, null, false, false);
            // lstat on it would fail (ENAMETOOLONG), which read as "does not exist" (qa-s19-c M3). Windows takes long paths.
            if (!OperatingSystem.IsWindows() && System.Text.Encoding.UTF8.GetByteCount(next) > PathMax - 1)
                return new(fullPath, next, System.IO.Path.Exists(fullPath), null, false, false, TooLong: true);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new(Rest(next, pending), next, false, from, false, true);
            }
            if (target is null)
            {
                if (System.IO.Path.Exists(next))
                {
                    current = next;
                    continue;
                }
                return new(Rest(next, pending), next, false, from, false, Unreadable(next));
            }
            first ??= next;
            if (++links > MaxLinks) return new(Rest(next, pending), next, false, first, true, false);
            foreach (string p in Parts(target).Reverse()) pending.Push((p, next));
            if (System.IO.Path.IsPathRooted(target)) current = System.IO.Path.GetPathRoot(target) ?? "/";
        }
        return new(current, current, true, null, false, false);
    }

    /// <summary>
    /// Where <paramref name="path"/> (relative to the current folder, or absolute) leads: <see cref="Of"/>'s path, every link
    /// followed; parts that do not exist yet are kept as written.
    /// </summary>
    public static string RealPath(string path) => Of(System.IO.Path.GetFullPath(path)).Path;

    /// <summary>Whether <paramref name="path"/>, which <c>Path.Exists</c> does not see, is there but out of reach.</summary>
    private static bool Unreadable(string path)
    {
        try
        {
            File.OpenHandle(path, FileMode.Open, FileAccess.Read).Dispose();
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
        catch (Exception e) when (e is IOException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    private static IEnumerable<string> Parts(string path) =>
        path.Split(System.IO.Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);

    private static string Rest(string at, Stack<(string Part, string? Link)> pending) =>
        pending.Count == 0 ? at : System.IO.Path.Join([at, .. pending.Select(p => p.Part)]);
}
