using System.Text.RegularExpressions;

namespace Xent.Cli.Commands;

/// <summary>
/// The policy for <c>xent train --out DIR</c>: a run never silently replaces another. A folder that already holds a
/// run's files is refused (and left untouched) unless <c>--resume</c> continues it or <c>--overwrite</c> replaces it;
/// a file is refused; and the temporary files a killed run or a full disk left behind (<c>*.tmp-*</c> next to the
/// run's files, up to a checkpoint in size) are removed when the run resumes or is overwritten.
/// </summary>
internal static partial class RunDirectory
{
    /// <summary>The files a training run writes into its folder.</summary>
    public static IReadOnlyList<string> RunFiles { get; } =
        ["checkpoint.safetensors", "best.safetensors", "metrics.csv", "report.html", "split.csv"];

    /// <summary>Checks <paramref name="outDir"/> against the policy, cleans it as allowed, and creates it.</summary>
    /// <exception cref="IOException"><paramref name="outDir"/> is a file, or holds a run that may not be replaced.</exception>
    public static void Prepare(string outDir, bool resume, bool overwrite)
    {
        if (File.Exists(outDir))
            throw new IOException($"--out '{outDir}' is a file; pass a folder (it is created if it does not exist).");
        if (Directory.Exists(outDir))
        {
            var existing = RunFiles.Where(f => File.Exists(Path.Combine(outDir, f))).ToList();
            if (existing.Count > 0 && !resume && !overwrite)
                throw new IOException(
                    $"--out '{outDir}' already holds a run ({string.Join(", ", existing)}); pass --resume " +
                    $"{Path.Combine(outDir, "checkpoint.safetensors")} to continue it, --overwrite to replace it, or another --out.");
            if (overwrite && !resume)
                foreach (var f in existing) File.Delete(Path.Combine(outDir, f));
            RemoveStaleTemporaryFiles(outDir);
        }
        try
        {
            Directory.CreateDirectory(outDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // .NET's own text ("Could not find a part of the path …") does not say which option or what was being done.
            throw new IOException($"cannot create --out '{outDir}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Deletes the temporary files (<c>NAME.tmp-XXXXXXXXXXXX</c>) an interrupted write of a run file left in <paramref name="outDir"/>.
    /// </summary>
    /// <returns>The names deleted.</returns>
    public static List<string> RemoveStaleTemporaryFiles(string outDir)
    {
        var removed = new List<string>();
        foreach (var path in Directory.EnumerateFiles(outDir, "*.tmp-*"))
        {
            string name = Path.GetFileName(path);
            if (!TempName().IsMatch(name) || !RunFiles.Any(f => name.StartsWith(f + ".tmp-", StringComparison.Ordinal))) continue;
            File.Delete(path);
            removed.Add(name);
        }
        return removed;
    }

    // AtomicFileWriter's names: the destination, ".tmp-", 12 hex digits.
    [GeneratedRegex(@"\.tmp-[0-9a-f]{12}\z", RegexOptions.CultureInvariant)]
    private static partial Regex TempName();
}
