namespace Xent.Autograd;

/// <summary>Reverse-mode differentiation over the recorded graph.</summary>
internal static class BackwardEngine
{
    public static void Run(Tensor root, Tensor? gradient, bool retainGraph)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("element 0 of tensors does not require grad and does not have a grad_fn: nothing to backpropagate through.");
        if (gradient is null)
        {
            if (root.NumEl != 1)
                throw new InvalidOperationException($"grad can be implicitly created only for scalar outputs; this tensor has shape {Shapes.Format(root.ShapeSpan)}. Pass a gradient of the same shape.");
            gradient = Tensor.OnesLike(root);
        }
        else if (!Shapes.Equal(gradient.ShapeSpan, root.ShapeSpan))
        {
            throw new ArgumentException($"Mismatch in shape: gradient has shape {Shapes.Format(gradient.ShapeSpan)} but the tensor has shape {Shapes.Format(root.ShapeSpan)}.");
        }
        gradient.RequireFloat("Backward's gradient");

        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = gradient };
        using var _ = GradMode.Disable();
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            var node = t.GradFn;
            if (node is null)
            {
                AccumulateLeaf(t, g);
                continue;
            }
            var inputs = node.Inputs;
            var inputGrads = node.Apply(g);
            for (int k = 0; k < inputs.Length; k++)
            {
                var input = inputs[k];
                var ig = inputGrads[k];
                if (ig is null || !input.RequiresGrad) continue;
                if (!Shapes.Equal(ig.ShapeSpan, input.ShapeSpan))
                    throw new InvalidOperationException($"{node.Name} returned a gradient of shape {Shapes.Format(ig.ShapeSpan)} for an input of shape {Shapes.Format(input.ShapeSpan)}.");
                // Gradients may alias each other (Add passes one tensor to both inputs): never add in place here.
                grads[input] = grads.TryGetValue(input, out var existing) ? existing + ig : ig;
            }
            if (!retainGraph) node.Free();
        }
    }

    private static void AccumulateLeaf(Tensor leaf, Tensor g)
    {
        if (leaf.Grad is null) leaf.Grad = g.Detach().Clone();
        else System.Numerics.Tensors.TensorPrimitives.Add(leaf.Grad.Data, g.Data, leaf.Grad.Data);
    }

    /// <summary>Tensors reachable from <paramref name="root"/>, each after all tensors that feed it.</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Tensor, int NextInput)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var node = t.GradFn;
            if (node is not null && node.IsFreed)
                throw new InvalidOperationException($"Trying to backward through the graph a second time ({node.Name} was already freed). Pass retainGraph: true to the first Backward call if you need to backward twice.");
            var inputs = node?.Inputs ?? [];
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var input = inputs[next];
                if (input.RequiresGrad && visited.Add(input)) stack.Push((input, 0));
            }
            else
            {
                order.Add(t);
            }
        }
        return order;
    }
}
