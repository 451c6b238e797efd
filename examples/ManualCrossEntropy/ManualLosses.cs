using Xent;

namespace ManualCrossEntropy;

/// <summary>
/// The PyTorch tutorial's hand-written cross-entropy functions, line by line in C#. Each returns a differentiable tensor,
/// as the PyTorch originals do; the tests check them against <see cref="F.NllLoss"/> and <see cref="F.CrossEntropy"/>.
/// </summary>
public static class ManualLosses
{
    /// <summary>
    /// The PyTorch tutorial's manual cross-entropy, example 1: <c>-torch.sum(target * torch.log(prediction))</c> for one
    /// sample of probabilities (C) and a one-hot target (C).
    /// </summary>
    public static Tensor Single(Tensor prediction, Tensor target) => -(target * prediction.Log()).Sum();

    /// <summary>
    /// The PyTorch tutorial's manual cross-entropy, example 2: the same over a batch of probabilities (N, C) and one-hot
    /// targets (N, C), divided by N (the 'mean' reduction).
    /// </summary>
    public static Tensor Batch(Tensor predictions, Tensor targets)
    {
        int batchSize = predictions.Size(0);
        var loss = -(targets * predictions.Log()).Sum();
        return loss / batchSize;
    }

    /// <summary>
    /// The PyTorch tutorial's manual cross-entropy, example 3: a loop over the batch adding
    /// <c>-log(predictions[i, target_indices[i]])</c>, then the mean.
    /// </summary>
    public static Tensor Indices(Tensor predictions, Tensor targetIndices)
    {
        int batchSize = predictions.Size(0);
        var loss = Tensor.Scalar(0f);
        for (int i = 0; i < batchSize; i++)
            loss += -At(predictions, i, targetIndices.Int64Data[i]).Log();
        return loss / batchSize;
    }

    /// <summary>
    /// The PyTorch tutorial's CrossEntropyLoss walkthrough, method 3: log-softmax over the classes, gather the target's
    /// log-probability, negate, then reduce.
    /// <code>
    /// log_softmax = F.log_softmax(outputs, dim=1)
    /// loss = -log_softmax.gather(1, targets.unsqueeze(1)).squeeze()
    /// </code>
    /// </summary>
    public static Tensor CrossEntropy(Tensor outputs, Tensor targets, Reduction reduction = Reduction.Mean)
    {
        // Apply log softmax
        var logSoftmax = F.LogSoftmax(outputs, dim: 1);
        // Gather the log probabilities corresponding to the correct classes
        var loss = -logSoftmax.Gather(1, targets.Unsqueeze(1)).Squeeze();
        // Apply reduction
        return reduction switch
        {
            Reduction.Mean => loss.Mean(),
            Reduction.Sum => loss.Sum(),
            _ => loss,
        };
    }

    /// <summary><c>m[i, j]</c> as a 0-d tensor that keeps the autograd history (Xent has no indexer yet).</summary>
    private static Tensor At(Tensor m, int i, long j) =>
        m.Reshape(-1).IndexSelect(0, Tensor.FromArray(new[] { i * m.Size(1) + j })).Reshape();
}
