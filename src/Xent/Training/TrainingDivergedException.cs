namespace Xent.Training;

/// <summary>Thrown by <see cref="Trainer"/> when the loss becomes NaN or infinite; the last checkpoint written is left as it was.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception for the batch where the loss stopped being finite.</summary>
    public TrainingDivergedException(string message, int epoch, int batch, double loss) : base(message)
    {
        Epoch = epoch;
        Batch = batch;
        Loss = loss;
    }

    /// <summary>1-based epoch of the offending batch.</summary>
    public int Epoch { get; }

    /// <summary>1-based batch within the epoch.</summary>
    public int Batch { get; }

    /// <summary>The non-finite loss.</summary>
    public double Loss { get; }
}
