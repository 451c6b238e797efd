using Xent.IO;
using Xunit;

namespace Xent.Tests.IO;

public class AtomicFileWriterTests
{
    [Fact]
    public void FailureMidWrite_LeavesOldFileAndNoTempFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.bin");
        File.WriteAllText(path, "old content");

        Action crash = () =>
        {
            using var writer = AtomicFileWriter.Begin(path);
            writer.Stream.Write(new byte[100_000]); // More than the buffer, so bytes reach the temp file.
            Assert.True(File.Exists(writer.TempPath));
            Assert.Equal(dir.Path, Path.GetDirectoryName(writer.TempPath));
            throw new InvalidOperationException("simulated crash while serializing");
        };
        Assert.Throws<InvalidOperationException>(crash);

        Assert.Equal("old content", File.ReadAllText(path));
        Assert.Equal(["model.bin"], dir.Entries());
    }

    [Fact]
    public void Commit_ReplacesTheFile_WithNoTempLeft()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.bin");
        File.WriteAllText(path, "old content");
        using (var writer = AtomicFileWriter.Begin(path))
        {
            writer.Stream.Write("new"u8);
            Assert.Equal("old content", File.ReadAllText(path)); // Readers see the old file until the rename.
            writer.Commit();
        }
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(["model.bin"], dir.Entries());
    }

    [Fact]
    public void Commit_CreatesANewFile_AndTwiceThrows()
    {
        using var dir = new TempDirectory();
        string path = dir.File("fresh.bin");
        using var writer = AtomicFileWriter.Begin(path);
        writer.Stream.WriteByte(7);
        writer.Commit();
        Assert.Equal([7], File.ReadAllBytes(path));
        Assert.Throws<InvalidOperationException>(writer.Commit);
    }
}
