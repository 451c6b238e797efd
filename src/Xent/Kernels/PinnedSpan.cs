namespace Xent.Kernels;

/// <summary>
/// A span whose memory the caller has pinned with <c>fixed</c>, as a value that a
/// <see cref="KernelParallel.ForChunks(int, int, long, Action{int, int, int})"/> body can capture (a lambda cannot capture
/// a <see cref="Span{T}"/>). It converts back to a span, so the chunk body is ordinary span code:
/// <c>(chunk, r0, r1) =&gt; parts[chunk] = ForwardRows(r0, r1, x, t, loss)</c>. Valid only inside the <c>fixed</c>
/// statement that pinned it.
/// </summary>
internal readonly unsafe struct PinnedSpan<T>(T* pointer, int length) where T : unmanaged
{
    /// <summary>The first element (null for an empty span), for the few kernels written over pointers.</summary>
    public T* Pointer => pointer;

    /// <summary>The span's length in elements.</summary>
    public int Length => length;

    /// <summary>
    /// <paramref name="length"/> elements from <paramref name="start"/>, bounds-checked as <see cref="Span{T}.Slice(int, int)"/>
    /// (a batch's item <c>n</c> is <c>Slice(n * size, size)</c>).
    /// </summary>
    public Span<T> Slice(int start, int length) => ((Span<T>)this).Slice(start, length);

    /// <summary>The pinned span.</summary>
    public static implicit operator Span<T>(PinnedSpan<T> pinned) => new(pinned.Pointer, pinned.Length);

    /// <summary>The pinned span, read-only.</summary>
    public static implicit operator ReadOnlySpan<T>(PinnedSpan<T> pinned) => new(pinned.Pointer, pinned.Length);
}
