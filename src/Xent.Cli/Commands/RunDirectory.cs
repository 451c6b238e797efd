using System.Globalization;
using System.Text.RegularExpressions;
using Xent.IO;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// The policy for <c>xent train --out DIR</c>: a run never silently replaces another. A folder that already holds a
/// run's files is refused (and left untouched) unless <c>--resume</c> continues it or <c>--overwrite</c> replaces it;
/// a file is refused; and the temporary files a killed run or a full disk left behind (<c>*.tmp-*</c> next to the
/// run's files, up to a checkpoint in size) are removed when the run resumes or is overwritten. A run that ends without a
/// checkpoint leaves nothing that blocks the same command (<see cref="HoldsRun"/>, <see cref="RemoveUnfinishedRun"/>). A run locks
/// its folder (<see cref="RunFolderLock"/>) before any of this, so a folder another live run is writing is refused, never cleaned.
/// </summary>
internal static partial class RunDirectory
{
    /// <summary>The files a training run writes into its folder.</summary>
    public static IReadOnlyList<string> RunFiles { get; } =
        ["checkpoint.safetensors", "best.safetensors", "metrics.csv", "report.html", "split.csv"];

    /// <summary>
    /// The default <c>--out</c>: <c>runs/yyyyMMdd-HHmmss</c> of <paramref name="now"/>, or with <c>-2</c>, <c>-3</c>, … appended when
    /// that name is taken, so that runs started within one second (a loop over several settings) do not collide. An explicit
    /// <c>--out</c> is never renamed.
    /// </summary>
    public static string DefaultOut(DateTime now)
    {
        string stamp = Path.Combine("runs", now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        string dir = stamp;
        for (int n = 2; Directory.Exists(dir) || File.Exists(dir); n++) dir = stamp + "-" + n.ToString(CultureInfo.InvariantCulture);
        return dir;
    }

    /// <summary>
    /// The folder a <c>--resume</c> without <c>--out</c> continues in: the checkpoint's own folder when it is a run's
    /// <c>checkpoint.safetensors</c> next to its <c>metrics.csv</c>, so the run's history stays in one place; null for any other
    /// checkpoint (<c>best.safetensors</c>, a copy), whose folder holds a run that continuing would partly replace.
    /// </summary>
    public static string? ResumeFolder(string checkpoint)
    {
        if (Path.GetFileName(checkpoint) != "checkpoint.safetensors") return null;
        string dir = Path.GetDirectoryName(checkpoint) is { Length: > 0 } d ? d : ".";
        return File.Exists(Path.Combine(dir, "metrics.csv")) ? dir : null;
    }

    /// <summary>
    /// Checks the locked folder against the policy and cleans it as allowed. A folder whose run left no checkpoint (no report
    /// either, and only xent's <c>metrics.csv</c> and <c>split.csv</c>: a run that diverged, was killed or was interrupted before its
    /// first checkpoint) holds no run: its files are removed and the new run goes ahead. That a run is still writing them is ruled
    /// out by <paramref name="held"/>: a live run holds its folder's lock.
    /// </summary>
    /// <param name="held">The run folder (<c>--out</c>), already created and locked by this run (<see cref="RunFolderLock.Take"/>).
    /// </param>
    /// <param name="resumeFrom">The checkpoint a resumed run continues, or null: only its own folder is continued in place; another
    /// run's folder needs <paramref name="overwrite"/> as for a new run.</param>
    /// <param name="overwrite">Whether a run already in the folder may be replaced.</param>
    /// <returns>The names of such files removed (empty when there were none).</returns>
    /// <exception cref="IOException">The folder holds a run that may not be replaced.</exception>
    public static List<string> Prepare(RunFolderLock held, string? resumeFrom, bool overwrite)
    {
        Check(held, resumeFrom, overwrite);
        string outDir = held.Folder;
        bool resume = ContinuesItsRun(outDir, resumeFrom);
        var removed = new List<string>();
        var existing = RunFiles.Where(f => File.Exists(Path.Combine(outDir, f))).ToList();
        bool holdsRun = HoldsRun(outDir);
        if ((overwrite || !holdsRun) && !resume)
            foreach (var f in existing)
            {
                File.Delete(Path.Combine(outDir, f));
                if (!holdsRun) removed.Add(f);
            }
        RemoveStaleTemporaryFiles(outDir);
        return removed;
    }

    /// <summary>
    /// The refusal of <see cref="Prepare"/> alone, which changes nothing: taken as soon as the folder is locked, so that a command
    /// that will be refused says so before it prints anything about the run (a resumed run's "Resuming from …").
    /// </summary>
    /// <exception cref="IOException">The folder holds a run that may not be replaced.</exception>
    public static void Check(RunFolderLock held, string? resumeFrom, bool overwrite)
    {
        string outDir = held.Folder;
        // A run file's name taken by a link to nothing: reading it said only "Could not find file", and writing through it is
        // refused (WriteTarget), after the training; so it is refused first, --overwrite or not.
        foreach (string f in RunFiles)
        {
            string path = Path.Combine(outDir, f);
            if (new FileInfo(path).LinkTarget is null) continue;
            var walk = LinkWalk.Of(Path.GetFullPath(path));
            if (walk.TooLong)
                throw new IOException($"--out '{outDir}' holds {f} as a symbolic link whose target is longer than one path may be " +
                    $"(PATH_MAX {LinkWalk.PathMax}) once its links are followed; a run writes {f} there: remove the link, or pass " +
                    "another --out.");
            if (!walk.Exists && !walk.Unreadable)
                throw new IOException($"--out '{outDir}' holds {f} as a symbolic link to " +
                    (walk.Loop ? "itself, through a loop" : $"'{walk.Stop}', which does not exist") +
                    $"; a run writes {f} there: remove the link, or pass another --out.");
        }
        if (overwrite || ContinuesItsRun(outDir, resumeFrom) || !HoldsRun(outDir)) return;
        var existing = RunFiles.Where(f => File.Exists(Path.Combine(outDir, f))).ToList();
        string checkpoint = Path.Combine(outDir, "checkpoint.safetensors");
        // Only a checkpoint that is there can be resumed (a run killed before its first checkpoint has none).
        string resumeHint = File.Exists(checkpoint) && resumeFrom is null ? $"pass --resume {checkpoint} to continue it, " : "pass ";
        throw new IOException(
            $"--out '{outDir}' already holds a run ({string.Join(", ", existing)}); {resumeHint}--overwrite to replace it, or " +
            "another --out.");
    }

    /// <summary>
    /// Whether a run resumed from <paramref name="resumeFrom"/> into <paramref name="outDir"/> continues the checkpoint's own run: it
    /// is in that folder. Any other folder is a new place for it.
    /// </summary>
    public static bool ContinuesItsRun(string outDir, string? resumeFrom) =>
        resumeFrom is not null && Path.GetDirectoryName(Path.GetFullPath(resumeFrom)) is { } from && OutputPaths.SameFile(outDir, from);

    /// <summary>
    /// Whether <paramref name="outDir"/> holds a run's results: a checkpoint, a report, or a metrics or split file xent did not
    /// write (other files, such as the run lock's <see cref="RunFolderLock.FileName"/> or a user's notes, are no run's). A
    /// <c>metrics.csv</c> under xent's header and a <c>split.csv</c> with xent's header, without a checkpoint, are what a run
    /// leaves when it is killed before its first checkpoint (its rows so far, up to epoch 1's, written just before that
    /// checkpoint): nothing in them can be resumed.
    /// </summary>
    public static bool HoldsRun(string outDir)
    {
        if (RunFiles.Any(f => f is not ("metrics.csv" or "split.csv") && File.Exists(Path.Combine(outDir, f)))) return true;
        // Either file with other content than xent writes there (a user's own metrics.csv) is kept: the folder is refused.
        string metrics = Path.Combine(outDir, "metrics.csv"), split = Path.Combine(outDir, "split.csv");
        if (File.Exists(metrics) && FileReading.ReadLines(metrics).FirstOrDefault() != MetricsCsvWriter.Header)
            return true;
        return File.Exists(split)
            && FileReading.ReadLines(split).FirstOrDefault() is not (DataSource.SplitHeader or DataSource.SplitHeaderWithPaths);
    }

    /// <summary>
    /// Removes what a new run (not a resumed one) that ended without a checkpoint wrote into <paramref name="outDir"/>, and the
    /// folders this run created (<paramref name="createdRoot"/>, from <see cref="OutputPaths.FirstMissingFolder"/>, and those
    /// below it on the way to <paramref name="outDir"/>) where they are left empty, so that the same command can run again there.
    /// While the run's lock file is in the folder, the folders stay until <see cref="RunFolderLock.Dispose"/> removes them.
    /// </summary>
    public static void RemoveUnfinishedRun(string outDir, string? createdRoot)
    {
        if (!Directory.Exists(outDir)) return;
        foreach (var f in RunFiles)
            if (File.Exists(Path.Combine(outDir, f))) File.Delete(Path.Combine(outDir, f)); // a folder of that name is not ours
        RemoveStaleTemporaryFiles(outDir);
        OutputPaths.RemoveCreatedFolders(outDir, createdRoot);
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
