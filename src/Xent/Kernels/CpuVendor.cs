using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Xent.Kernels;

/// <summary>
/// The x86 CPU vendor (CPUID leaf 0), for the few blocking choices whose best value was measured to differ between the CPU types
/// the project runs on. Such choices never change a result's bits, only its speed.
/// </summary>
internal static class CpuVendor
{
    /// <summary>The 12-character vendor string ("GenuineIntel", "AuthenticAMD"), or "" where CPUID is unavailable.</summary>
    public static readonly string Name = Read();

    /// <summary>True on Intel CPUs.</summary>
    public static bool IsIntel => Name == "GenuineIntel";

    private static string Read()
    {
        if (!X86Base.IsSupported) return "";
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        // The string is EBX, EDX, ECX in that order, four ASCII bytes each (little-endian).
        Span<int> words = [ebx, edx, ecx];
        return Encoding.ASCII.GetString(MemoryMarshal.AsBytes(words));
    }
}
