namespace Xent.Autograd;

/// <summary>
/// Reverse-mode differentiation over the recorded graph: each node's backward runs once, after every node that
/// feeds it a gradient, and the gradients of an input used twice are summed. Who may write to or recycle a
/// gradient's buffer is <see cref="GradientBuffers"/>' business, not each backward's.
/// </summary>
internal static class BackwardEngine
{
    public static void Run(Tensor root, Tensor? gradient, bool retainGraph)
    {
        gradient = SeedGradient(root, gradient);
        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = gradient };
        var ctx = new BackwardContext(lastUse: !retainGraph);
        using var _ = GradMode.Disable();
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            if (t.GradFn is not { } node)
            {
                GradientBuffers.AccumulateLeaf(t, g);
                continue;
            }
            var inputs = node.Inputs;
            var inputGrads = GradientBuffers.Settle(g, node.Apply(g, ctx));
            for (int k = 0; k < inputs.Length; k++)
                if (inputGrads[k] is { } ig) Route(node, inputs[k], ig, grads);
            if (!retainGraph) node.Free();
        }
    }

    /// <summary>The gradient Backward starts from: the caller's, checked, or 1 for a one-element root.</summary>
    private static Tensor SeedGradient(Tensor root, Tensor? gradient)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("element 0 of tensors does not require grad and does not have a grad_fn: nothing to " +
                "backpropagate through.");
        if (gradient is null)
        {
            if (root.NumEl != 1)
                throw new InvalidOperationException($"grad can be implicitly created only for scalar outputs; this tensor has shape " +
                    $"{Shapes.Format(root.ShapeSpan)}. Pass a gradient of the same shape.");
            gradient = Tensor.OnesLike(root);
        }
        else if (!Shapes.Equal(gradient.ShapeSpan, root.ShapeSpan))
        {
            throw new ArgumentException($"Mismatch in shape: gradient has shape {Shapes.Format(gradient.ShapeSpan)} but the tensor has " +
                $"shape {Shapes.Format(root.ShapeSpan)}.");
        }
        gradient.RequireFloat("Backward's gradient");
        return gradient;
    }

    /// <summary>Queues <paramref name="ig"/> for <paramref name="input"/>, summed with any gradient it already has.</summary>
    private static void Route(Node node, Tensor input, Tensor ig, Dictionary<Tensor, Tensor> grads)
    {
        if (!input.RequiresGrad)
        {
            ig.IsGradBufferOwned = false;
            return;
        }
        if (!Shapes.Equal(ig.ShapeSpan, input.ShapeSpan))
            throw new InvalidOperationException($"{node.Name} returned a gradient of shape {Shapes.Format(ig.ShapeSpan)} for an input of " +
                $"shape {Shapes.Format(input.ShapeSpan)}.");
        grads[input] = grads.TryGetValue(input, out var existing) ? GradientBuffers.Add(existing, ig) : ig;
    }

    /// <summary>Tensors reachable from <paramref name="root"/>, each after all tensors that feed it.</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance) { root };
        var stack = new Stack<(Tensor Tensor, int NextInput)>();
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var node = t.GradFn;
            if (node is { IsFreed: true }) throw FreedError(node);
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

    private static InvalidOperationException FreedError(Node node) => node.FreedBecause is { } why
        ? new($"Cannot backward through {node.Name}: {why}. Call Backward inside the StepArena scope.")
        : new($"Trying to backward through the graph a second time ({node.Name} was already freed). Pass retainGraph: true to the first " +
            $"Backward call if you need to backward twice.");
}
