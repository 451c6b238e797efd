namespace Xent.Kernels;

/// <summary>
/// What a class-index loss adds to the row walks it shares with the others (<see cref="ClassIndexRows"/>): the loss of
/// one row of logits <c>x</c> with target t, and in the fused pass that row's gradient. A struct implementing it is
/// specialised by the JIT, so the calls cost nothing.
/// </summary>
internal interface IRowLoss
{
    /// <summary>The row's loss from its max m and log-sum-exp l; <paramref name="w"/> holds the class weights or is empty,
    /// <paramref name="wt"/> is w[t] (or 1).</summary>
    float Loss(ReadOnlySpan<float> x, int t, float m, float logSum, ReadOnlySpan<float> w, float wt);

    /// <summary>
    /// The row's loss and, into <paramref name="dx"/>, its gradient times the upstream factor, from its max m and
    /// <paramref name="e"/> = e^(x − m) with Σ e = <paramref name="s"/>.
    /// </summary>
    float LossAndGradient(ReadOnlySpan<float> x, int t, float m, ReadOnlySpan<float> e, float s, ReadOnlySpan<float> w, float wt,
        Span<float> dx);
}
