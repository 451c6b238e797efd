using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using MpiApi = MPI.Unsafe;

namespace Xent.Distributed;

/// <summary>
/// The processes of one MPI job (<c>MPI_COMM_WORLD</c>), initialised through MPI.NET, with the collectives Xent needs.
/// Sums are deterministic: element i is always <c>((x₀ + x₁) + x₂) + …</c> in rank order, on every rank and whatever the
/// message size, so replicas stay bit-identical and a run's result does not depend on MPI's choice of algorithm.
/// </summary>
/// <remarks>
/// One per process: <see cref="Initialize"/> loads the MPI library (the one the <c>XENT_MPI_LIBRARY</c> environment variable
/// names, else MPICH's <c>libmpich.so.12</c> or an ABI-compatible <c>libmpi.so.12</c>; Open MPI is refused) and calls
/// <c>MPI_Init_thread</c>; <see cref="Dispose"/> calls <c>MPI_Finalize</c>. MPI is called only from the thread that
/// initialised it (MPI_THREAD_FUNNELED); the kernels' worker threads never communicate.
/// </remarks>
public sealed unsafe class MpiWorld : IDisposable
{
    // Below this many bytes received per rank, one Allgather and a local sum beat Alltoall + Allgather (latency-bound).
    private const int GatherBytes = 256 * 1024;
    private static readonly IntPtr InPlace = new(-1); // MPI_IN_PLACE in the MPICH and MS-MPI ABIs
    private static MpiWorld? _current;
    private readonly MPI.Environment _environment;
    private int _control;
    private byte[] _scratch = [];
    private bool _disposed;

    private MpiWorld(MPI.Environment environment)
    {
        _environment = environment;
        // The exit-code agreement runs on a communicator of its own: a rank that left training early must not have its
        // agreement matched against the others' training collectives.
        Check(MpiApi.MPI_Comm_dup(MpiApi.MPI_COMM_WORLD, out _control), "MPI_Comm_dup");
        Check(MpiApi.MPI_Comm_rank(MpiApi.MPI_COMM_WORLD, out int rank), "MPI_Comm_rank");
        Check(MpiApi.MPI_Comm_size(MpiApi.MPI_COMM_WORLD, out int size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
    }

    /// <summary>This process's rank, 0 … <see cref="Size"/> − 1.</summary>
    public int Rank { get; }

    /// <summary>Number of processes in the job (1 when started without <c>mpiexec</c>).</summary>
    public int Size { get; }

    /// <summary>Whether this is rank 0, the one that logs and writes files.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>Initialises MPI once per process and returns the world (the same object on later calls).</summary>
    /// <exception cref="NotSupportedException">No MPICH-ABI MPI library, or the job was started by Open MPI.</exception>
    public static MpiWorld Initialize()
    {
        if (_current is { _disposed: false } w) return w;
        if (_current is not null) throw new InvalidOperationException("MPI was finalized in this process and cannot be initialised again.");
        MpiLibrary.Load();
        string[] args = [];
        return _current = new MpiWorld(new MPI.Environment(ref args, MPI.Threading.Funneled));
    }

    /// <summary>Replaces every element by its sum over all ranks (deterministic order, see the class remarks).</summary>
    public void AllReduceSum(Span<float> values) => Sum(values, MpiApi.MPI_FLOAT);

    /// <summary>Replaces every element by its sum over all ranks (deterministic order, see the class remarks).</summary>
    public void AllReduceSum(Span<double> values) => Sum(values, MpiApi.MPI_DOUBLE);

    /// <summary>Replaces every element by its maximum over all ranks (exact, so MPI's own reduction is used).</summary>
    public void AllReduceMax(Span<float> values)
    {
        if (Size == 1 || values.IsEmpty) return;
        fixed (float* p = values)
        {
            int code = MpiApi.MPI_Allreduce(InPlace, (IntPtr)p, values.Length, MpiApi.MPI_FLOAT, MpiApi.MPI_MAX, MpiApi.MPI_COMM_WORLD);
            Check(code, "MPI_Allreduce");
        }
    }

    /// <summary>
    /// Each element's minimum and maximum over all ranks (exact: MPI's own reduction): where they differ, the ranks
    /// disagree on that value.
    /// </summary>
    internal (int[] Min, int[] Max) AllReduceMinMax(ReadOnlySpan<int> values)
    {
        int[] min = values.ToArray(), max = values.ToArray();
        if (Size == 1 || values.IsEmpty) return (min, max);
        fixed (int* pMin = min, pMax = max)
        {
            Check(MpiApi.MPI_Allreduce(InPlace, (IntPtr)pMin, min.Length, MpiApi.MPI_INT, MpiApi.MPI_MIN, MpiApi.MPI_COMM_WORLD),
                "MPI_Allreduce");
            Check(MpiApi.MPI_Allreduce(InPlace, (IntPtr)pMax, max.Length, MpiApi.MPI_INT, MpiApi.MPI_MAX, MpiApi.MPI_COMM_WORLD),
                "MPI_Allreduce");
        }
        return (min, max);
    }

    /// <summary>Bytes of scratch <see cref="AllReduceSum(Span{float})"/> uses for <paramref name="count"/> elements of <paramref
    /// name="elementSize"/> bytes on <paramref name="size"/> ranks.</summary>
    public static long SumScratchBytes(int count, int elementSize, int size)
    {
        if (size == 1 || count == 0) return 0;
        long padded = (count + (long)size - 1) / size * size;
        return (long)count * size * elementSize <= GatherBytes ? (long)count * size * elementSize : 2 * padded * elementSize;
    }

    /// <summary>Blocks until every rank has called it.</summary>
    public void Barrier() => Check(MpiApi.MPI_Barrier(MpiApi.MPI_COMM_WORLD), "MPI_Barrier");

    /// <summary>
    /// Agrees on an exit code: the maximum of every rank's <paramref name="code"/>, or null when the other ranks did not
    /// all arrive within <paramref name="timeout"/> (they are then blocked in a collective this rank left, and the job must
    /// be aborted). A null timeout waits for ever.
    /// </summary>
    public int? AgreeOnExitCode(int code, TimeSpan? timeout)
    {
        if (Size == 1) return code;
        int send = code, receive = 0, request;
        Check(Native.Iallreduce(&send, &receive, 1, MpiApi.MPI_INT, MpiApi.MPI_MAX, _control, &request), "MPI_Iallreduce");
        var deadline = timeout is { } t ? DateTime.UtcNow + t : DateTime.MaxValue;
        while (true)
        {
            int done;
            Check(Native.Test(&request, &done, (void*)1 /* MPI_STATUS_IGNORE */), "MPI_Test");
            if (done != 0) return receive;
            if (DateTime.UtcNow > deadline) return null;
            Thread.Sleep(1);
        }
    }

    /// <summary>Ends every process of the job with <paramref name="exitCode"/> (<c>MPI_Abort</c>); does not return.</summary>
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        // mpiexec forwards each rank's output through a proxy that MPI_Abort kills at once: give it time to pass on the
        // line just printed (otherwise it is lost now and then).
        Thread.Sleep(500);
        MpiApi.MPI_Abort(MpiApi.MPI_COMM_WORLD, exitCode);
        Environment.Exit(exitCode);
    }

    /// <summary>Frees the exit-code communicator and finalizes MPI (<c>MPI_Comm_free</c>, then <c>MPI_Finalize</c>).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            // The communicator MPI_Comm_dup made is this class's to free; MPI_Finalize does not free it.
            Check(MpiApi.MPI_Comm_free(ref _control), "MPI_Comm_free");
        }
        finally
        {
            _environment.Dispose();
        }
    }

    private void Sum<T>(Span<T> values, int datatype)
        where T : unmanaged, IAdditionOperators<T, T, T>, IAdditiveIdentity<T, T>
    {
        int p = Size, n = values.Length;
        if (p == 1 || n == 0) return;
        if ((long)n * p * sizeof(T) <= GatherBytes) GatherSum(values, datatype);
        else ScatterSum(values, datatype);
    }

    /// <summary>Allgather of every rank's vector, then the rank-ordered sum locally.</summary>
    private void GatherSum<T>(Span<T> values, int datatype)
        where T : unmanaged, IAdditionOperators<T, T, T>, IAdditiveIdentity<T, T>
    {
        int p = Size, n = values.Length;
        var all = Scratch<T>(n * p);
        fixed (T* send = values)
        fixed (T* recv = all)
            Check(MpiApi.MPI_Allgather((IntPtr)send, n, datatype, (IntPtr)recv, n, datatype, MpiApi.MPI_COMM_WORLD), "MPI_Allgather");
        RankOrderedSum(all, n, values);
    }

    /// <summary>
    /// Reduce-scatter by Alltoall (rank j receives every rank's j-th chunk and sums them in rank order), then Allgather of
    /// the reduced chunks: 2·(P−1)/P of the vector in and out per rank, as a ring allreduce, with a fixed summation order.
    /// </summary>
    private void ScatterSum<T>(Span<T> values, int datatype)
        where T : unmanaged, IAdditionOperators<T, T, T>, IAdditiveIdentity<T, T>
    {
        int p = Size, n = values.Length, chunk = (n + p - 1) / p, padded = chunk * p;
        var buffer = Scratch<T>(2 * padded);
        var send = buffer[..padded];
        var recv = buffer[padded..];
        values.CopyTo(send);
        send[n..].Clear();
        fixed (T* s = send)
        fixed (T* r = recv)
        {
            Check(MpiApi.MPI_Alltoall((IntPtr)s, chunk, datatype, (IntPtr)r, chunk, datatype, MpiApi.MPI_COMM_WORLD), "MPI_Alltoall");
            // recv holds P copies of this rank's chunk, in rank order; reduce them into send's first chunk.
            RankOrderedSum(recv, chunk, send[..chunk]);
            Check(MpiApi.MPI_Allgather((IntPtr)s, chunk, datatype, (IntPtr)r, chunk, datatype, MpiApi.MPI_COMM_WORLD), "MPI_Allgather");
        }
        recv[..n].CopyTo(values);
    }

    private void RankOrderedSum<T>(ReadOnlySpan<T> all, int n, Span<T> destination)
        where T : unmanaged, IAdditionOperators<T, T, T>, IAdditiveIdentity<T, T>
    {
        all[..n].CopyTo(destination);
        // Element-wise adds: vectorising them does not change any result.
        for (int r = 1; r < Size; r++) TensorPrimitives.Add(destination, all.Slice(r * n, n), destination);
    }

    private Span<T> Scratch<T>(int count) where T : unmanaged
    {
        long bytes = (long)count * sizeof(T);
        if (_scratch.Length < bytes) _scratch = GC.AllocateUninitializedArray<byte>(checked((int)Math.Max(bytes, 2L * _scratch.Length)));
        return MemoryMarshal.Cast<byte, T>(_scratch.AsSpan(0, (int)bytes));
    }

    private static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error {code}.");
    }

    /// <summary>MPI-3 calls that MPI.NET 1.4.0 does not bind (resolved to the same library by <see cref="MpiLibrary"/>).</summary>
    private static class Native
    {
        [DllImport("msmpi", EntryPoint = "MPI_Iallreduce")]
        public static extern int Iallreduce(void* sendbuf, void* recvbuf, int count, int datatype, int op, int comm, int* request);

        [DllImport("msmpi", EntryPoint = "MPI_Test")]
        public static extern int Test(int* request, int* flag, void* status);
    }
}
