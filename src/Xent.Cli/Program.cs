using System.CommandLine;
using Xent.Cli.Commands;

var root = new RootCommand("xent: cross-entropy losses and classifier training with PyTorch's semantics, in pure .NET.");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(LossCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
DistributedCommands.Extend(root); // train --distributed, bench linear-ce --vocab-parallel (MPI)
return root.Parse(args).Invoke();
