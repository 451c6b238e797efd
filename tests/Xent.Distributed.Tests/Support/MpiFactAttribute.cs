namespace Xent.Distributed.Tests.Support;

/// <summary>
/// A test that launches <c>mpiexec</c>: reported as SKIPPED (with the reason) on a machine without it, never as passed.
/// CI installs MPICH (.ci/run), so there these tests run.
/// </summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        Skip = Mpi.Unavailable;
    }
}

/// <summary>A theory that launches <c>mpiexec</c>: SKIPPED with the reason when it is not installed.</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        Skip = Mpi.Unavailable;
    }
}
