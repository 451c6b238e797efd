// The README's snippet: tensors and autograd, line by line as in PyTorch.
using Xent;

var x = Tensor.FromArray(new[] { 1.5f, -2f, 0.25f }).RequiresGrad_();
var y = (x * x + x).Sum();   // y = Σ x² + x
y.Backward();                // dy/dx = 2x + 1
Console.WriteLine($"y = {y.Item():F4}");
Console.WriteLine($"dy/dx = {x.Grad}");
