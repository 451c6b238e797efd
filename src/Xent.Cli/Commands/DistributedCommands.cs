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

    /// <summary>
    /// Whether this process is a rank other than 0 of an <c>mpiexec</c> job of an MPI command (<paramref name="args"/> holds
    /// <c>--distributed</c> or <c>--vocab-parallel</c>). Parse errors come before MPI starts, so every rank meets them; only rank 0
    /// reports them, as every other failure all ranks meet. The rank comes from the process manager (<c>PMI_RANK</c>: MPICH's
    /// Hydra, Intel MPI, MVAPICH).
    /// </summary>
    public static bool IsOtherRank(string[] args) =>
        (args.Contains("--distributed", StringComparer.Ordinal) || args.Contains("--vocab-parallel", StringComparer.Ordinal))
        && Environment.GetEnvironmentVariable("PMI_RANK") is { Length: > 0 } rank && rank != "0";

    private static Command Find(Command parent, string name) =>
        parent.Subcommands.FirstOrDefault(c => c.Name == name)
        ?? throw new InvalidOperationException($"'{parent.Name}' has no '{name}' command.");
}
