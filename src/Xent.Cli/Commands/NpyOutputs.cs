using Xent.IO;

namespace Xent.Cli.Commands;

/// <summary>
/// Writes a command's .npy outputs all or nothing: every array goes to a temporary file next to its destination, and
/// only when all of them are written are they renamed over their destinations. A full disk or a missing folder for
/// the second output therefore leaves the first one as it was, and no temporary file behind.
/// </summary>
internal static class NpyOutputs
{
    /// <summary>Writes each (path, array) pair whose path is not null.</summary>
    public static void WriteTogether(IReadOnlyList<(string? Path, NpyArray? Array)> outputs)
    {
        var writers = new List<AtomicFileWriter>();
        try
        {
            foreach (var (path, array) in outputs)
            {
                if (path is null || array is null) continue;
                var writer = AtomicFileWriter.Begin(path);
                writers.Add(writer);
                Npy.Write(writer.Stream, array);
            }
            foreach (var writer in writers) writer.Commit();
        }
        finally
        {
            foreach (var writer in writers) writer.Dispose(); // deletes every temporary file not committed
        }
    }
}
