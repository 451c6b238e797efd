using System.CommandLine;

var root = new RootCommand("xent: cross-entropy losses and classifier training with PyTorch's semantics, in pure .NET.");
return root.Parse(args).Invoke();
