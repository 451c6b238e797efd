using System.CommandLine;
using System.Runtime.CompilerServices;
using Xent.Cli;
using Xent.Cli.Commands;

// First, before anything that loads a library: below the open-file limit xent needs, loading one fails (OpenFileLimit).
if (OpenFileLimit.Refusal() is { } refusal) return OpenFileLimit.Refuse(refusal);
return Run(args);

// Not inlined: compiling Main must not load the libraries that Run uses before the check above.
[MethodImpl(MethodImplOptions.NoInlining)]
static int Run(string[] args)
{
    ProcessSetup.Apply(); // a closed stderr or a file-size limit must not turn an error into a crash
    var root = new RootCommand("xent: cross-entropy losses and classifier training with PyTorch's semantics, in pure .NET.");
    root.Subcommands.Add(TrainCommand.Create());
    root.Subcommands.Add(EvalCommand.Create());
    root.Subcommands.Add(PredictCommand.Create());
    root.Subcommands.Add(LossCommand.Create());
    root.Subcommands.Add(ExportCommand.Create());
    root.Subcommands.Add(CalibrateCommand.Create());
    root.Subcommands.Add(BenchCommand.Create());
    DistributedCommands.Extend(root); // train --distributed, bench linear-ce --vocab-parallel (MPI)
    // The one error path: one `error:` line and exit code 2 for bad input, 3 for divergence (CliHost.cs).
    return CliHost.Invoke(root, args);
}
