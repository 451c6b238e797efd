namespace Xent.Cli.Commands;

/// <summary>The run folder was removed or replaced during the run (<see cref="RunFolderLock.EnsureStillHeld"/>): the run must not
/// touch what is there now.</summary>
internal sealed class RunFolderReplacedException(string message) : IOException(message);
