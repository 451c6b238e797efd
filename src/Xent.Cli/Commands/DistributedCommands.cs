using System.CommandLine;

namespace Xent.Cli.Commands;

/// <summary>Adds the MPI options to the ordinary commands: <c>train --distributed</c> and <c>bench linear-ce
/// --vocab-parallel</c>.</summary>
internal static class DistributedCommands
{
    public static void Extend(RootCommand root)
    {
        DistributedTrainCommand.Extend(Find(root, "train"));
        VocabParallelBenchCommand.Extend(Find(Find(root, "bench"), "linear-ce"));
    }

    private static Command Find(Command parent, string name) =>
        parent.Subcommands.FirstOrDefault(c => c.Name == name)
        ?? throw new InvalidOperationException($"'{parent.Name}' has no '{name}' command.");
}
