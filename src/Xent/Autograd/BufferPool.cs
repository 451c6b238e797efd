using System.Runtime.CompilerServices;

namespace Xent.Autograd;

/// <summary>
/// Recycles the large float buffers of training steps. A step makes the same activation-sized arrays every
/// batch; fresh arrays of that size come from the OS as untouched pages (a page fault per 4 KiB, and a full
/// collection when the large-object heap fills), which cost the MNIST CNN several milliseconds per batch.
/// Two lenders use it: backward functions rent their input and weight gradients here and mark them
/// <see cref="Tensor.IsGradBufferOwned"/> (<see cref="BackwardEngine"/> returns such a buffer once the node
/// that consumed it has run and nothing it returned shares the storage), and <see cref="StepArena"/> lends
/// forward activations for the length of a step.
/// </summary>
/// <remarks>
/// Only buffers of at least <see cref="MinLength"/> floats are pooled (small ones are cheap for the GC), at
/// most <see cref="MaxPerLength"/> per length and <see cref="MaxPooledFloats"/> in all, only buffers the pool
/// itself allocated are taken back (an owned gradient some op allocated itself, such as cross-entropy's, is
/// left to the GC rather than kept for a length nobody rents), and after every full collection (once its trimmer has
/// aged into gen 2) the pool drops the lengths nobody rented since the previous one, so an unusual workload cannot make
/// it hoard memory for the life of the process while a training loop keeps the buffers it rents every batch (the CLI's
/// GC.ConserveMemory setting makes full collections frequent). Rented buffers are not cleared: a renter overwrites
/// every element.
/// </remarks>
internal static class BufferPool
{
    /// <summary>Smallest pooled length (256 KiB of floats); shorter buffers are plain allocations.</summary>
    public const int MinLength = 1 << 16;

    /// <summary>Buffers kept per distinct length.</summary>
    private const int MaxPerLength = 8;

    /// <summary>Cap on the floats held by the pool (256 MiB).</summary>
    private const long MaxPooledFloats = 1L << 26;

    private static readonly Dictionary<int, Stack<float[]>> s_free = [];
    private static readonly Lock s_lock = new();
    private static long s_pooledFloats;

    /// <summary>Lengths rented since the last trim: those survive it.</summary>
    private static readonly HashSet<int> s_rentedSinceTrim = [];

    /// <summary>Buffers this pool allocated (weak keys: the table never keeps one alive).</summary>
    private static readonly ConditionalWeakTable<float[], object> s_born = new();
    private static readonly object s_bornMark = new();

    static BufferPool() => _ = new TrimAfterFullCollection();

    /// <summary>Off: every rent is a fresh array and returns are ignored (tests compare results both ways).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>On: returned buffers are filled with NaN, so anything that reads one after its return shows (tests).</summary>
    internal static bool PoisonOnReturn { get; set; }

    /// <summary>Floats currently held for reuse.</summary>
    internal static long PooledFloats
    {
        get { lock (s_lock) return s_pooledFloats; }
    }

    /// <summary>A buffer of exactly <paramref name="length"/> floats with unspecified contents.</summary>
    public static float[] Rent(int length)
    {
        if (length >= MinLength && Enabled)
        {
            lock (s_lock)
            {
                s_rentedSinceTrim.Add(length);
                if (s_free.TryGetValue(length, out var stack) && stack.TryPop(out var buffer))
                {
                    s_pooledFloats -= length;
                    return buffer;
                }
            }
        }
        var fresh = GC.AllocateUninitializedArray<float>(length);
        if (length >= MinLength) s_born.AddOrUpdate(fresh, s_bornMark);
        return fresh;
    }

    /// <summary>Takes back a buffer nothing references any more; ignored when small or the pool is full.</summary>
    public static void Return(float[] buffer)
    {
        int length = buffer.Length;
        if (length < MinLength || !Enabled || !s_born.TryGetValue(buffer, out _)) return;
        if (PoisonOnReturn) buffer.AsSpan().Fill(float.NaN);
        lock (s_lock)
        {
            if (s_pooledFloats + length > MaxPooledFloats) return;
            if (!s_free.TryGetValue(length, out var stack)) s_free[length] = stack = new Stack<float[]>(MaxPerLength);
            if (stack.Count >= MaxPerLength) return;
            stack.Push(buffer);
            s_pooledFloats += length;
        }
    }

    /// <summary>An owned gradient tensor over a rented buffer, for a backward function to fill completely.</summary>
    public static Tensor RentTensor(int[] shape)
    {
        var t = new Tensor(Rent(Shapes.NumEl(shape)), shape);
        t.IsGradBufferOwned = true;
        return t;
    }

    /// <summary>Drops every pooled buffer (they become ordinary garbage).</summary>
    internal static void Trim()
    {
        lock (s_lock)
        {
            s_free.Clear();
            s_pooledFloats = 0;
            s_rentedSinceTrim.Clear();
        }
    }

    /// <summary>Drops the pooled buffers of every length not rented since the previous call (what a full collection runs).</summary>
    internal static void TrimUnused()
    {
        lock (s_lock)
        {
            foreach (int length in s_free.Keys.ToArray())
            {
                if (s_rentedSinceTrim.Contains(length)) continue;
                s_pooledFloats -= (long)length * s_free[length].Count;
                s_free.Remove(length);
            }
            s_rentedSinceTrim.Clear();
        }
    }

    /// <summary>
    /// Finalized after each collection of the generation it lives in (gen 2 once it has been promoted), and
    /// re-registered every time: drops the lengths unused since the previous full collection, as ArrayPool.Shared trims
    /// what it has not handed out for a while.
    /// </summary>
    private sealed class TrimAfterFullCollection
    {
        ~TrimAfterFullCollection()
        {
            if (Environment.HasShutdownStarted) return;
            TrimUnused();
            GC.ReRegisterForFinalize(this);
        }
    }
}
