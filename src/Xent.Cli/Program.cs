using System.CommandLine;
using Xent.Cli.Commands;

var root = new RootCommand("xent: cross-entropy losses and classifier training with PyTorch's semantics, in pure .NET.");
root.Add(TrainCommand.Create());
root.Add(EvalCommand.Create());
return root.Parse(args).Invoke();
