namespace Xent.Cli.Commands;

/// <summary>
/// The default <c>--out</c> of one <c>xent train</c>, held for the whole run. <see cref="RunDirectory.DefaultOut"/> picks the first
/// free <c>runs/&lt;timestamp&gt;[-n]</c>, but runs started together (a loop of <c>xent train … &amp;</c>) all saw the same name
/// free and wrote one folder. <see cref="Take"/> creates the folder and takes its <see cref="RunFolderLock"/>, which only one
/// process can hold; the others move on to the next name. <see cref="Dispose"/> lets go of the lock, which removes its file, and
/// the folder (and a <c>runs</c> folder this run made) when nothing else is in it: a refused command leaves nothing behind.
/// </summary>
internal sealed class DefaultOutClaim : IDisposable
{
    /// <summary>The claimed folder's lock, held until <see cref="Dispose"/>; null before <see cref="Take"/>.</summary>
    public RunFolderLock? Lock { get; private set; }

    /// <summary>Claims a free default folder for <paramref name="now"/> and returns it.</summary>
    /// <exception cref="IOException">No folder could be claimed (or created).</exception>
    public string Take(DateTime now)
    {
        if (Lock is not null) return Lock.Folder;
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            string dir = RunDirectory.DefaultOut(now);
            // Another run claimed this name a moment ago (TryTake is null): DefaultOut now skips it, as the folder exists.
            if (RunFolderLock.TryTake(dir, OutputPaths.FirstMissingFolder(dir)) is { } held)
            {
                Lock = held;
                return dir;
            }
        }
        throw new IOException("could not claim a free runs/<timestamp> folder; pass --out.");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Lock?.Dispose();
        Lock = null;
    }
}
