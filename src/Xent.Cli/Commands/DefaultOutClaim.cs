namespace Xent.Cli.Commands;

/// <summary>
/// The default <c>--out</c> of one <c>xent train</c>, held for the whole run. <see cref="RunDirectory.DefaultOut"/> picks the first
/// free <c>runs/&lt;timestamp&gt;[-n]</c>, but runs started together (a loop of <c>xent train … &amp;</c>) all saw the same name
/// free and wrote one folder. <see cref="Take"/> creates the folder with a marker file opened with <see cref="FileMode.CreateNew"/>,
/// which only one process can do; the others move on to the next name. <see cref="Dispose"/> removes the marker, and the folder
/// (and a <c>runs</c> folder this run made) when nothing else is in it: a refused command leaves nothing behind.
/// </summary>
internal sealed class DefaultOutClaim : IDisposable
{
    /// <summary>The marker's name inside the claimed folder.</summary>
    public const string MarkerName = ".xent-run";

    private string? _folder;
    private bool _createdParent;

    /// <summary>Claims a free default folder for <paramref name="now"/> and returns it.</summary>
    /// <exception cref="IOException">No folder could be claimed (or created).</exception>
    public string Take(DateTime now)
    {
        if (_folder is not null) return _folder;
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            string dir = RunDirectory.DefaultOut(now);
            string? parent = Path.GetDirectoryName(dir);
            if (parent is { Length: > 0 } && !Directory.Exists(parent))
            {
                Directory.CreateDirectory(parent);
                _createdParent = true;
            }
            Directory.CreateDirectory(dir);
            try
            {
                using (File.Open(Path.Combine(dir, MarkerName), FileMode.CreateNew)) { }
            }
            catch (IOException) when (File.Exists(Path.Combine(dir, MarkerName)))
            {
                continue; // another run claimed this name a moment ago; DefaultOut now skips it
            }
            _folder = dir;
            return dir;
        }
        throw new IOException("could not claim a free runs/<timestamp> folder; pass --out.");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_folder is null) return;
        try
        {
            File.Delete(Path.Combine(_folder, MarkerName));
            if (Directory.Exists(_folder) && !Directory.EnumerateFileSystemEntries(_folder).Any()) Directory.Delete(_folder);
            if (_createdParent && Path.GetDirectoryName(_folder) is { Length: > 0 } parent && Directory.Exists(parent)
                && !Directory.EnumerateFileSystemEntries(parent).Any())
                Directory.Delete(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Leaving an empty folder or the marker behind is not worth failing a finished run over.
        }
        _folder = null;
    }
}
