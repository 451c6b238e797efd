using System.CommandLine;
using Xent.Distributed;

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

    /// <summary>How long a failed rank waits for the others to fail too before it aborts the job (they are then blocked).</summary>
    internal static readonly TimeSpan FailureGrace = TimeSpan.FromSeconds(5);

    /// <summary>The number of processes of the <c>mpiexec</c> job this process belongs to (<c>PMI_SIZE</c>), or 1.</summary>
    public static int JobSize =>
        int.TryParse(Environment.GetEnvironmentVariable("PMI_SIZE"), out int size) && size > 1 ? size : 1;

    /// <summary>
    /// Ends a process of an <c>mpiexec</c> job that failed before its command started MPI (a parse error, a rank without
    /// <c>--distributed</c>): it joins MPI all the same and agrees on the exit code with the others, so that a rank failing
    /// alone (an older xent on one node, an option given to one rank) stops the job instead of leaving the other ranks
    /// waiting in MPI's start-up for ever. <paramref name="line"/> is printed by rank 0 at once, and by another rank only
    /// when it failed alone.
    /// </summary>
    public static int FailBeforeMpi(string[] args, string line, int code)
    {
        bool other = IsOtherRank(args) || (JobSize > 1 && Environment.GetEnvironmentVariable("PMI_RANK") is not (null or "0"));
        if (!other) Console.Error.WriteLine(line);
        if (JobSize == 1) return code;
        MpiWorld world;
        try
        {
            world = MpiWorld.Initialize();
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or EntryPointNotFoundException)
        {
            if (other) Console.Error.WriteLine(line);
            return code;
        }
        if (world.AgreeOnExitCode(code, FailureGrace) is null)
        {
            if (other)
                Console.Error.WriteLine($"error: rank {world.Rank} of {world.Size} failed, stopping the job: {line["error: ".Length..]}");
            world.Abort(code);
        }
        world.Dispose();
        return code;
    }

    private static Command Find(Command parent, string name) =>
        parent.Subcommands.FirstOrDefault(c => c.Name == name)
        ?? throw new InvalidOperationException($"'{parent.Name}' has no '{name}' command.");
}
