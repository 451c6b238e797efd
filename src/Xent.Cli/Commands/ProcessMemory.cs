namespace Xent.Cli.Commands;

/// <summary>
/// The memory the .NET heap of this process may hold, which <see cref="ModelFootprint"/> compares a model with: the GC's limit
/// (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>: the machine's or container's total memory, or
/// <c>DOTNET_GCHeapHardLimit</c>), or, when smaller, the address range the GC reserved for its heap (<c>GCRegionRange</c>). The
/// runtime sets that range to half of <c>ulimit -v</c> (RLIMIT_AS) when one is set, and the heap cannot grow beyond it; the GC's
/// limit does not reflect <c>ulimit -v</c> (qa-s19-a L1). Under <c>ulimit -v 2000000</c> (2.048 GB) the range is 1.024 GB; a model
/// estimated at 1.18 GB passed the check and the process died of SIGSEGV after its first batch.
/// </summary>
internal static class ProcessMemory
{
    /// <summary>The bytes the heap may hold, and what sets them when it is the heap's address range rather than the GC's limit.</summary>
    public static (long Bytes, string? Limit) Available() =>
        Available(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
            GC.GetConfigurationVariables().TryGetValue("GCRegionRange", out var range) ? range : null);

    /// <summary><see cref="Available()"/> from the GC's limit and its <c>GCRegionRange</c> setting (0 or absent: none).</summary>
    internal static (long Bytes, string? Limit) Available(long gcLimit, object? regionRange) =>
        regionRange is long range && range > 0 && range < gcLimit
            ? (range, "the .NET heap's address range, half of ulimit -v when one is set")
            : (gcLimit, null);
}
