using Xent.NN;

namespace Xent.Training;

/// <summary>
/// PyTorch's <c>torch.nn.utils.clip_grad_norm_</c>: rescales all gradients together so their global L2 norm is at most a bound.
/// </summary>
public static class GradClipping
{
    /// <summary>
    /// Computes the L2 norm of all of <paramref name="parameters"/>' gradients taken as one vector (float64 sum of squares) and,
    /// when it exceeds <paramref name="maxNorm"/>, multiplies every gradient by <c>maxNorm / (norm + 1e-6)</c>, as PyTorch does.
    /// Returns the norm before clipping. Parameters without a gradient are skipped.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not positive.</exception>
    public static double ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "max_norm must be positive.");
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToArray();
        double sq = 0;
        foreach (var g in grads)
            foreach (float v in g.Data) sq += (double)v * v;
        double norm = Math.Sqrt(sq);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1)
        {
            float c = (float)coef;
            foreach (var g in grads)
            {
                var d = g.Data;
                for (int i = 0; i < d.Length; i++) d[i] *= c;
            }
        }
        return norm;
    }
}
