namespace Xent.Cli.Commands;

/// <summary>
/// The memory the .NET heap of this process may hold, which <see cref="ModelFootprint"/> compares a model with, and the bound
/// that keeps the heap out of the top of its address range.
/// <para>
/// The GC reserves one address range for its heap (<c>GCRegionRange</c>): under <c>ulimit -v</c> (RLIMIT_AS) half of the limit,
/// which the GC's own limit (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>) does not reflect (qa-s19-a L1). The heap
/// cannot reach the top of that range: the runtime (10.0.12 here) does not commit the last page of the table describing its
/// regions, and the region that needs it is written there and the process dies of SIGSEGV (seen in gdb on a core dump), with no
/// exception to catch. The heap's regions reach that top well before the heap holds the whole range, since freed arrays leave
/// gaps that larger ones do not fit: under <c>ulimit -v 3000000</c> (a range of 1.536 GB) models of 0.88 GB died so
/// (qa-s20-a H1), and so they did with the GC's limit set to 0.8 of the range.
/// </para>
/// <para>
/// So at start-up the GC's limit is lowered to <see cref="RangeShare"/> of the range when it is above that: the GC then fails to
/// grow with an <see cref="OutOfMemoryException"/>, which xent reports in one line, before its regions reach the top. With 0.6, 212
/// trainings (adam and sgd, sizes from 0.3 to 1 of the range) under <c>ulimit -v</c> from 2 to 8 million KiB either trained or
/// stopped cleanly; none died (measured, not proven: at 0.8 some still did). Without <c>ulimit -v</c> the range is at least
/// twice the machine's memory, or five times <c>DOTNET_GCHeapHardLimit</c>, and the limit is not changed.
/// </para>
/// </summary>
internal static class ProcessMemory
{
    /// <summary>The share of the heap's address range that the heap may hold, as a fraction: 3/5.</summary>
    internal const long RangeShareNumerator = 3, RangeShareDenominator = 5;

    /// <summary><see cref="RangeShareNumerator"/>/<see cref="RangeShareDenominator"/> in words, as the refusal says it.</summary>
    internal const string RangeShare = "0.6";

    /// <summary>Whether <see cref="BoundToRange"/> lowered the GC's limit, which the refusal then names.</summary>
    private static bool s_bound;

    /// <summary>
    /// Lowers the GC's limit to <see cref="RangeShare"/> of its heap's address range when it is above that (under
    /// <c>ulimit -v</c>); once, before the heap grows.
    /// </summary>
    public static void BoundToRange()
    {
        if (Bound(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
                GC.GetConfigurationVariables().TryGetValue("GCRegionRange", out var range) ? range : null) is not { } limit)
            return;
        try
        {
            AppContext.SetData("GCHeapHardLimit", (ulong)limit);
            GC.RefreshMemoryLimit();
            s_bound = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes <= limit;
        }
        catch (InvalidOperationException)
        {
            // The heap already holds more than that (it cannot at start-up); the limit stays, and so does the risk.
        }
    }

    /// <summary>
    /// The limit <see cref="BoundToRange"/> sets given the GC's limit and its <c>GCRegionRange</c> setting (0 or absent: no range,
    /// a segments GC), or null when the GC's limit is already at most that share of the range.
    /// </summary>
    internal static long? Bound(long gcLimit, object? regionRange) =>
        regionRange is long range && range > 0 && range / RangeShareDenominator * RangeShareNumerator is var share && share < gcLimit
            ? share
            : null;

    /// <summary>
    /// The bytes the heap may hold (the GC's limit, after <see cref="BoundToRange"/>), and what sets them when it is the heap's
    /// address range rather than the machine's memory or <c>DOTNET_GCHeapHardLimit</c>.
    /// </summary>
    public static (long Bytes, string? Limit) Available() =>
        (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
            s_bound ? $"{RangeShare} of the .NET heap's address range, which is half of ulimit -v when one is set" : null);
}
