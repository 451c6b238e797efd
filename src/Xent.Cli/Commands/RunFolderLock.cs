using Xent.IO;

namespace Xent.Cli.Commands;

/// <summary>
/// One <c>xent train</c>'s exclusive use of its run folder, from before the folder is inspected or cleaned until the run ends.
/// Without it, a second run given the same <c>--out</c> during the first one's first epoch took the first run's
/// <c>metrics.csv</c> for a killed run's leftovers, deleted it, and both runs wrote one folder. The lock is the operating
/// system's advisory lock on <see cref="FileName"/> inside the folder (a <see cref="FileStream"/> opened with
/// <see cref="FileShare.None"/>: <c>flock</c> on Linux and macOS, a sharing lock on Windows), which the kernel drops when the
/// process ends however it ends: a file left by a run killed with SIGKILL blocks nothing, the next run takes it over.
/// <see cref="Dispose"/> removes the file, then the folders this run created where they are left empty.
/// </summary>
internal sealed class RunFolderLock : IDisposable
{
    /// <summary>The lock file's name inside the run folder (not one of <see cref="RunDirectory.RunFiles"/>: it holds no result).</summary>
    public const string FileName = ".xent-run";

    /// <summary>What xent writes in its lock file: a file of that name holding anything else is the user's, and left alone.</summary>
    private static readonly byte[] s_marker = "xent run lock\n"u8.ToArray();

    private FileStream? _stream;
    private readonly string? _createdRoot;

    // Where the kernel says the locked file is (Linux), when it was locked: see StillHeld.
    private readonly string? _lockedAt;

    private RunFolderLock(string folder, FileStream stream, string? createdRoot, string? lockedAt)
    {
        Folder = folder;
        _stream = stream;
        _createdRoot = createdRoot;
        _lockedAt = lockedAt;
    }

    /// <summary>The locked folder.</summary>
    public string Folder { get; }

    /// <summary>
    /// Creates <paramref name="folder"/> if it is missing and locks it, or refuses: the folder is a file, cannot be created, or
    /// cannot be written in, its <see cref="FileName"/> is a folder, a link, a file this user may not write or one xent did not
    /// write, or another xent run holds it (then nothing in it is touched, and a folder this call created is removed
    /// if it is empty).
    /// </summary>
    /// <param name="folder">The run's <c>--out</c>.</param>
    /// <param name="createdRoot">What creating <paramref name="folder"/> makes (<see cref="OutputPaths.FirstMissingFolder"/>, taken
    /// before): removed on <see cref="Dispose"/> where empty, so that a failed run leaves no folder where there was none.</param>
    /// <exception cref="IOException">The folder cannot be used; the message is the user's error line.</exception>
    public static RunFolderLock Take(string folder, string? createdRoot) =>
        TryTake(folder, createdRoot) ?? throw new IOException($"another xent run is using --out '{folder}' (it holds the lock on " +
            $"'{Path.Combine(folder, FileName)}'); wait until that run ends, or pass another --out.");

    /// <summary>As <see cref="Take"/>, but null when another xent run holds <paramref name="folder"/>.</summary>
    /// <exception cref="IOException"><paramref name="folder"/> is a file, or cannot be created or written in.</exception>
    public static RunFolderLock? TryTake(string folder, string? createdRoot)
    {
        if (File.Exists(folder))
            throw new IOException($"--out '{folder}' is a file; pass a folder (it is created if it does not exist).");
        string path = Path.Combine(folder, FileName);
        for (int attempt = 0; attempt < 100; attempt++)
        {
            Create(folder);
            // Never through a link: a dangling one made xent create (and leave) a file wherever it pointed.
            if (new FileInfo(path).LinkTarget is { } target)
                throw new IOException($"--out '{folder}' holds '{FileName}', a link to '{target}'; xent keeps its run lock in a file of "
                    + "that name: remove the link, or pass another --out.");
            // .NET calls both of these "Access to the path … is denied", which sends the user to the folder's permissions.
            if (Directory.Exists(path))
                throw new IOException($"--out '{folder}' holds a folder '{FileName}', where xent keeps its run lock in a file of that "
                    + "name: move the folder, or pass another --out.");
            FileStream stream;
            try
            {
                // OpenOrCreate: a file a killed run left is taken over, never truncated before it is locked.
                stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (UnauthorizedAccessException) when (File.Exists(path))
            {
                throw new IOException($"--out '{folder}' holds a file '{FileName}' that this user may not open for writing (another "
                    + "user's, or read-only); xent keeps its run lock in a file of that name: if no run is using the folder, remove "
                    + "the file, or pass another --out.");
            }
            catch (DirectoryNotFoundException)
            {
                continue; // a run that just ended removed the folder it had created: create it again
            }
            catch (IOException e) when (HeldElsewhere(e))
            {
                OutputPaths.RemoveCreatedFolders(folder, createdRoot); // it holds the lock file, so this removes nothing of it
                return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A folder this user may not write in, a read-only or full file system: what the run's files would run into.
                OutputPaths.RemoveCreatedFolders(folder, createdRoot);
                throw new IOException($"cannot write in --out '{folder}': {e.Message}", e);
            }
            if (StillAtPath(stream, path))
            {
                if (IsOurs(stream)) return new RunFolderLock(folder, stream, createdRoot, OpenPath(stream));
                stream.Dispose();
                OutputPaths.RemoveCreatedFolders(folder, createdRoot);
                throw new IOException($"--out '{folder}' holds a file '{FileName}' that xent did not write; xent keeps its run lock in "
                    + "a file of that name: move yours, or pass another --out.");
            }
            stream.Dispose(); // the file the last holder removed as it let go: lock the one at the path now
        }
        return null;
    }

    /// <summary>
    /// Whether the locked file is xent's: new (empty, then marked here), or a lock file a killed run left (marked, or empty if it
    /// was killed between creating and marking it). Anything else is a user's file that happens to have the name.
    /// </summary>
    private static bool IsOurs(FileStream stream)
    {
        if (stream.Length == 0)
        {
            stream.Write(s_marker);
            stream.Flush();
            return true;
        }
        if (stream.Length != s_marker.Length) return false;
        var content = new byte[s_marker.Length];
        stream.Position = 0;
        stream.ReadExactly(content);
        return content.AsSpan().SequenceEqual(s_marker);
    }

    /// <summary>
    /// Whether the locked file is still the <see cref="FileName"/> in <see cref="Folder"/>. It is not when the folder was removed (or
    /// moved away) by hand during the run: another run may then have created the folder again and locked it, and this run's
    /// writes would mix with that run's (qa-s18-s18changes L4). Linux tells from the kernel's own name for the open file (a
    /// removed file's ends in " (deleted)"); elsewhere only a missing lock file is seen, not one another run created.
    /// </summary>
    public bool StillHeld
    {
        get
        {
            if (_stream is null) return false;
            string path = Path.Combine(Folder, FileName);
            if (_lockedAt is null || OpenPath(_stream) is not { } now) return File.Exists(path);
            // Where the path leads now, links followed (also a relative --out whose folders above were renamed, and a folder moved
            // away and linked back), or the name it had when locked.
            return !now.EndsWith(" (deleted)", StringComparison.Ordinal)
                && (now == _lockedAt || now == LinkWalk.RealPath(path)) && File.Exists(path);
        }
    }

    /// <summary>Stops the run, before it writes into <see cref="Folder"/> again, when that is no longer the folder it locked.</summary>
    /// <exception cref="RunFolderReplacedException">It is not (<see cref="StillHeld"/>).</exception>
    public void EnsureStillHeld()
    {
        if (!StillHeld)
            throw new RunFolderReplacedException($"--out '{Folder}' was removed or replaced during the run (its lock file " +
                $"'{Path.Combine(Folder, FileName)}' is no longer the one this run holds): the run stops here, and writes nothing " +
                "more there, where another run may be writing now.");
    }

    /// <summary>
    /// Removes the lock file, then lets go of the lock, then removes the folders this run created if they are empty; of a folder
    /// that was replaced during the run (<see cref="StillHeld"/>), nothing: the lock file there is another run's.
    /// </summary>
    public void Dispose()
    {
        if (_stream is null) return;
        if (!StillHeld)
        {
            _stream.Dispose();
            _stream = null;
            return;
        }
        string path = Path.Combine(Folder, FileName);
        try
        {
            // While still held, so that no other run is locking this file as it goes (Windows refuses: removed after the close).
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        _stream.Dispose();
        _stream = null;
        try
        {
            if (OperatingSystem.IsWindows() && File.Exists(path)) File.Delete(path);
            OutputPaths.RemoveCreatedFolders(Folder, _createdRoot);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another run took the file or the folder over, or it cannot be removed: neither is worth failing a finished run over.
        }
    }

    private static void Create(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // .NET's own text ("Could not find a part of the path …") does not say which option or what was being done, nor that a
            // file stands where a folder should (the default runs/<date-time> below a file named runs).
            throw new IOException(PathProblems.FileOnTheWay(folder, "--out", "cannot be created")
                ?? $"cannot create --out '{folder}': {e.Message}", e);
        }
    }

    // A sharing violation: EWOULDBLOCK from flock (11 on Linux, 35 on macOS), ERROR_SHARING_VIOLATION or ERROR_LOCK_VIOLATION on
    // Windows. Any other IOException (a full disk, a read-only folder) is not another run, and is reported as itself.
    private static bool HeldElsewhere(IOException e) =>
        e.GetType() == typeof(IOException) && e.HResult is 11 or 35 or unchecked((int)0x80070020) or unchecked((int)0x80070021);

    // The last holder removes the file just before it lets go: a run that opened the file in between then holds the lock on a
    // file no longer in the folder, while a third could create and lock a new one. Linux names such an open file "… (deleted)".
    private static bool StillAtPath(FileStream stream, string path) =>
        OpenPath(stream) is { } target ? !target.EndsWith(" (deleted)", StringComparison.Ordinal) : File.Exists(path);

    // The kernel's name for the open file (Linux): its full path with links resolved, or that with " (deleted)" once it is removed.
    private static string? OpenPath(FileStream stream) => OperatingSystem.IsLinux()
        ? new FileInfo($"/proc/self/fd/{stream.SafeFileHandle.DangerousGetHandle()}").LinkTarget : null;
}
