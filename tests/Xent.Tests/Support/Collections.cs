using Xunit;

namespace Xent.Tests.Support;

/// <summary>
/// Tests that swap the process-wide <see cref="Xent.Diagnostics.Warnings"/> handler or depend on its once-per-key state run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WarningsCollection
{
    public const string Name = "Warnings";
}

/// <summary>Tests that change the process-wide <see cref="Xent.Kernels.KernelParallel.MaxThreads"/> run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelThreadingCollection
{
    public const string Name = "Kernel threading (global MaxThreads)";
}

/// <summary>Tests that switch the process-wide buffer pool off, or make it poison returned buffers, run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BufferPoolCollection
{
    public const string Name = "Buffer pool (global switches)";
}
