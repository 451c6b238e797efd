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
            bool consumedOwned = g.IsGradBufferOwned;
            var inputGrads = node.Apply(g, lastUse: !retainGraph);
            DisownShared(inputGrads, g);
            if (consumedOwned) Release(g, inputGrads);
            for (int k = 0; k < inputs.Length; k++)
            {
                var input = inputs[k];
                var ig = inputGrads[k];
                if (ig is null || !input.RequiresGrad) { if (ig is not null) ig.IsGradBufferOwned = false; continue; }
                if (!Shapes.Equal(ig.ShapeSpan, input.ShapeSpan))
                    throw new InvalidOperationException($"{node.Name} returned a gradient of shape {Shapes.Format(ig.ShapeSpan)} for an input of shape {Shapes.Format(input.ShapeSpan)}.");
                grads[input] = grads.TryGetValue(input, out var existing) ? AddGradients(existing, ig) : ig;
            }
            if (!retainGraph) node.Free();
        }
    }

    /// <summary>
    /// Ownership rule: a returned gradient may be adopted or written to only when its backward marked it
    /// <see cref="Tensor.IsGradBufferOwned"/> and it is handed out once: not the incoming gradient passed
    /// through (Clone, Add), not the same tensor returned for two inputs (Add returns g twice).
    /// </summary>
    private static void DisownShared(Tensor?[] grads, Tensor incoming)
    {
        incoming.IsGradBufferOwned = false; // consumed: the node may have returned it or a view of it
        for (int k = 0; k < grads.Length; k++)
        {
            var a = grads[k];
            if (a is null || !a.IsGradBufferOwned) continue;
            // By storage, not identity: a view of the same buffer returned for another input shares it too.
            for (int j = 0; j < grads.Length; j++)
                if (j != k && grads[j] is { } b && SameStorage(a, b)) { a.IsGradBufferOwned = false; break; }
        }
    }

    private static bool SameStorage(Tensor a, Tensor b) =>
        ReferenceEquals(a, b) || (a.TryGetStorage(out var sa) && b.TryGetStorage(out var sb) && ReferenceEquals(sa, sb));

    /// <summary>
    /// After a node has consumed an owned gradient: when nothing it returned shares that storage, the buffer
    /// goes back to <see cref="BufferPool"/>; when exactly one returned gradient is that storage (the same
    /// tensor or a view, as Reshape's backward returns), ownership passes to it, so the buffer can be recycled
    /// further down the graph.
    /// </summary>
    private static void Release(Tensor consumed, Tensor?[] returned)
    {
        if (consumed.DType != DType.Float32) return;
        var storage = consumed.FloatArray;
        Tensor? heir = null;
        int sharing = 0;
        foreach (var r in returned)
        {
            if (r is null || r.DType != DType.Float32 || !ReferenceEquals(r.FloatArray, storage)) continue;
            heir = r;
            sharing++;
        }
        if (sharing == 0) BufferPool.Return(storage);
        else if (sharing == 1) heir!.IsGradBufferOwned = true;
    }

    /// <summary>
    /// Two gradients of one input, summed into an owned one when there is one (a + b = b + a in
    /// IEEE arithmetic, so the order does not change the result), else into a new owned tensor.
    /// </summary>
    private static Tensor AddGradients(Tensor existing, Tensor ig)
    {
        if (ReferenceEquals(existing, ig)) { existing.IsGradBufferOwned = false; ig = existing; }
        var into = existing.IsGradBufferOwned ? existing : ig.IsGradBufferOwned ? ig : null;
        if (into is not null)
        {
            var other = ReferenceEquals(into, existing) ? ig : existing;
            System.Numerics.Tensors.TensorPrimitives.Add(into.Data, other.Data, into.Data);
            if (other.IsGradBufferOwned) BufferPool.Return(other.FloatArray);
            return into;
        }
        var sum = existing + ig;
        sum.IsGradBufferOwned = true;
        return sum;
    }

    /// <summary>
    /// First gradient of a leaf: adopted when the engine owns its buffer (no copy of N×C floats), else
    /// copied, so <see cref="Tensor.Grad"/> never aliases a tensor the user or a retained graph can reach.
    /// Later gradients add into <see cref="Tensor.Grad"/> in place, as PyTorch accumulates (an owned one then goes back to the pool).
    /// </summary>
    private static void AccumulateLeaf(Tensor leaf, Tensor g)
    {
        if (leaf.Grad is null)
        {
            leaf.Grad = g.IsGradBufferOwned ? g : g.Detach().Clone();
            g.IsGradBufferOwned = false; // now reachable by the user
        }
        else
        {
            System.Numerics.Tensors.TensorPrimitives.Add(leaf.Grad.Data, g.Data, leaf.Grad.Data);
            if (g.IsGradBufferOwned) BufferPool.Return(g.FloatArray);
        }
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
            if (node is not null && node.IsFreed && node.FreedBecause is { } why)
                throw new InvalidOperationException($"Cannot backward through {node.Name}: {why}. Call Backward inside the StepArena scope.");
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
