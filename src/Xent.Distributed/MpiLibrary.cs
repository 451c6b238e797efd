using System.Reflection;
using System.Runtime.InteropServices;

namespace Xent.Distributed;

/// <summary>
/// Finds the MPI library for MPI.NET. MPI.NET 1.4.0 P/Invokes <c>msmpi.dll</c> with MS-MPI's handle values
/// (integer communicators, datatypes and operations); MPICH and every MPI built on its ABI (Intel MPI, Cray MPICH,
/// MVAPICH) use the same integers, so on Linux that name is resolved to MPICH's <c>libmpich.so.12</c> (or the
/// ABI-compatible <c>libmpi.so.12</c>). Open MPI's ABI (pointer handles, <c>libmpi.so.40</c>) is not compatible.
/// </summary>
internal static class MpiLibrary
{
    /// <summary>Environment variable that names the MPI shared library to load instead of the search below.</summary>
    public const string OverrideVariable = "XENT_MPI_LIBRARY";

    private static readonly string[] Candidates = ["libmpich.so.12", "libmpi.so.12", "libmpich.so", "msmpi.dll"];
    private static readonly Lock Gate = new();
    private static bool _registered;
    private static IntPtr _handle;

    /// <summary>
    /// Installs the resolver on MPI.NET's assembly and on this one (once), and loads the library now so that a missing or
    /// incompatible MPI is reported in one sentence before any MPI call.
    /// </summary>
    /// <exception cref="NotSupportedException">Open MPI launched this process, or no MPICH-ABI library was found.</exception>
    public static void Load()
    {
        lock (Gate)
        {
            if (_registered) return;
            if (OpenMpiLauncher() is { } variable)
                throw new NotSupportedException(
                    $"this process was started by Open MPI ({variable} is set), whose ABI MPI.NET cannot use; "
                    + "run it with an MPICH-ABI MPI (MPICH, Intel MPI, Cray MPICH, MVAPICH) — see docs/DISTRIBUTED.md.");
            _handle = Open();
            NativeLibrary.SetDllImportResolver(typeof(MPI.Communicator).Assembly, Resolve);
            NativeLibrary.SetDllImportResolver(typeof(MpiLibrary).Assembly, Resolve);
            _registered = true;
        }
    }

    /// <summary>The name of an Open MPI launcher variable set in this process's environment, or null.</summary>
    internal static string? OpenMpiLauncher()
    {
        foreach (var name in (string[])["OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "OMPI_UNIVERSE_SIZE"])
            if (Environment.GetEnvironmentVariable(name) is not null) return name;
        return null;
    }

    private static IntPtr Open()
    {
        if (Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } path)
        {
            if (NativeLibrary.TryLoad(path, out var h)) return Check(h, path);
            throw new NotSupportedException($"{OverrideVariable}='{path}' could not be loaded.");
        }
        foreach (var name in Candidates)
            if (NativeLibrary.TryLoad(name, out var h)) return Check(h, name);
        throw new NotSupportedException(
            "no MPICH-ABI MPI library (libmpich.so.12) was found; install MPICH (`apt-get install mpich`) or set " +
            $"{OverrideVariable} to your MPI's libmpi.so.12 — see docs/DISTRIBUTED.md.");
    }

    /// <summary>Open MPI exports its predefined objects as symbols (<c>ompi_mpi_comm_world</c>); MPICH's are integer constants.</summary>
    private static IntPtr Check(IntPtr handle, string name)
    {
        // Any loadable library passes TryLoad; without this, a wrong XENT_MPI_LIBRARY failed at the first MPI call, naming
        // MPI.NET's msmpi.dll instead of the library the user set.
        if (!NativeLibrary.TryGetExport(handle, "MPI_Init_thread", out _))
            throw new NotSupportedException($"'{name}' is not an MPI library (it has no MPI_Init_thread); point {OverrideVariable} at "
                + "your MPI's libmpi.so.12 — see docs/DISTRIBUTED.md.");
        if (NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _))
            throw new NotSupportedException(
                $"'{name}' is Open MPI, whose ABI MPI.NET cannot use; point {OverrideVariable} at an MPICH-ABI MPI "
                + "(MPICH, Intel MPI, Cray MPICH, MVAPICH) — see docs/DISTRIBUTED.md.");
        return handle;
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName.StartsWith("msmpi", StringComparison.OrdinalIgnoreCase)
        || libraryName.StartsWith("mpich", StringComparison.OrdinalIgnoreCase) ? _handle : IntPtr.Zero;
}
