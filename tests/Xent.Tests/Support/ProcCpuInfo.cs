namespace Xent.Tests.Support;

/// <summary>What Linux says of the CPU (/proc/cpuinfo), read independently of Xent's own CPUID reading.</summary>
public static class ProcCpuInfo
{
    /// <summary>The x86 vendor string ("GenuineIntel", "AuthenticAMD"), or null off Linux or off x86.</summary>
    public static string? Vendor()
    {
        if (!File.Exists("/proc/cpuinfo") || !System.Runtime.Intrinsics.X86.X86Base.IsSupported) return null;
        string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("vendor_id", StringComparison.Ordinal));
        return line?[(line.IndexOf(':') + 1)..].Trim();
    }
}
