// The MNIST CNN of the PyTorch tutorial, built from Xent layers: one forward pass on a random batch.
// With "--export DIR" it also writes model.safetensors, input.npy and logits.npy to DIR, which
// tools/golden/check_xent_checkpoint.py loads into PyTorch to compare outputs.
using Xent;
using Xent.IO;
using Xent.Models;

Tensor.ManualSeed(1);
var model = new MnistCnn();
Console.WriteLine("Parameters:");
foreach (var (name, p) in model.NamedParameters())
    Console.WriteLine($"  {name,-14} [{string.Join(", ", p.Shape)}]");

var images = Tensor.Rand(8, 1, 28, 28);
model.Eval();
Tensor logits;
using (Tensor.NoGrad()) logits = model.Forward(images);
Console.WriteLine($"Input  [{string.Join(", ", images.Shape)}]");
Console.WriteLine($"Output [{string.Join(", ", logits.Shape)}]");

if (args.Length == 2 && args[0] == "--export")
{
    Directory.CreateDirectory(args[1]);
    model.SaveStateDict(Path.Combine(args[1], "model.safetensors"), new Dictionary<string, string> { ["source"] = "examples/MnistCnn" });
    Npy.Write(Path.Combine(args[1], "input.npy"), images.Data, images.Shape);
    Npy.Write(Path.Combine(args[1], "logits.npy"), logits.Data, logits.Shape);
    Console.WriteLine($"Exported model.safetensors, input.npy and logits.npy to {args[1]}");
}
