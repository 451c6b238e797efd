using Xent.Distributed.Tests.Support;

namespace Xent.Distributed.Tests;

/// <summary>What <c>--distributed</c> says when it cannot use MPI: one <c>error:</c> line and exit code 2. These run without
/// mpiexec.</summary>
public sealed class LaunchErrorTests
{
    [Fact]
    public void AMissingMpiLibraryIsOneLine()
    {
        var run = Mpi.RunAlone(Mpi.Cli, ["train", "--distributed", "--data", "/nonexistent"],
            new Dictionary<string, string> { ["XENT_MPI_LIBRARY"] = "/nonexistent/libmpich.so.12" });
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: --distributed needs MPI: XENT_MPI_LIBRARY='/nonexistent/libmpich.so.12' could not be loaded.",
            run.Stderr.Trim());
    }

    [Fact]
    public void ALibraryThatIsNotMpiIsNamed()
    {
        string libc = new[] { "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6" }
            .FirstOrDefault(File.Exists) ?? "libc.so.6";
        var run = Mpi.RunAlone(Mpi.Cli, ["train", "--distributed", "--data", "/nonexistent"],
            new Dictionary<string, string> { ["XENT_MPI_LIBRARY"] = libc });
        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"error: --distributed needs MPI: '{libc}' is not an MPI library (it has no MPI_Init_thread); point "
            + "XENT_MPI_LIBRARY at your MPI's libmpi.so.12 — see docs/DISTRIBUTED.md.", run.Stderr.Trim());
    }

    [Fact]
    public void OpenMpiIsDetectedAndNamed()
    {
        var run = Mpi.RunAlone(Mpi.Cli, ["bench", "linear-ce", "--vocab-parallel"],
            new Dictionary<string, string> { ["OMPI_COMM_WORLD_SIZE"] = "2" });
        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --vocab-parallel needs MPI: this process was started by Open MPI (OMPI_COMM_WORLD_SIZE is set)", line);
    }
}
