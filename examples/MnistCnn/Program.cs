// The MNIST CNN of PyTorch's tutorial, built from Xent layers: one forward pass on a random batch.
using Xent;
using Xent.Models;

Tensor.ManualSeed(1);
var model = new MnistCnn();
Console.WriteLine("Parameters:");
foreach (var (name, p) in model.NamedParameters())
    Console.WriteLine($"  {name,-14} [{string.Join(", ", p.Shape)}]");

var images = Tensor.Randn(64, 1, 28, 28);
model.Eval();
using (Tensor.NoGrad())
{
    var logits = model.Forward(images);
    Console.WriteLine($"Input  [{string.Join(", ", images.Shape)}]");
    Console.WriteLine($"Output [{string.Join(", ", logits.Shape)}]");
}
