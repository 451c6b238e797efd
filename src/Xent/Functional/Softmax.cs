namespace Xent;

public static partial class F
{
    /// <summary>
    /// softmax along <paramref name="dim"/>, like <c>torch.nn.functional.softmax</c>:
    /// y = e^(x − m) / Σ e^(x − m) with m the max along the dim. Differentiable: dx = y · (dy − Σ dy·y).
    /// </summary>
    /// <remarks>
    /// Do not feed its output to <see cref="CrossEntropy"/>, which applies log-softmax itself: that
    /// computes softmax twice (the loss still decreases, but its gradients shrink). Use
    /// <see cref="LogSoftmax"/> with <see cref="NllLoss"/>, or pass raw logits to <see cref="CrossEntropy"/>.
    /// </remarks>
    /// <param name="x">A float32 tensor of any rank (a 0-d tensor gives 1).</param>
    /// <param name="dim">The dim to normalise over; negative counts from the end.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape whose slices along <paramref name="dim"/> sum to 1.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is out of range.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="x"/> is not float32.</exception>
    public static Tensor Softmax(Tensor x, int dim) => SoftmaxAlong(x, dim, log: false);
}
