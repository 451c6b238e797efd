using Xent.IO;
using Xent.Tests.Support;
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

    [Theory]
    [InlineData(239, 'd')] // the longest ASCII name whose temporary name (17 bytes more) used to pass 255 bytes
    [InlineData(255, 'd')]
    [InlineData(127, 'é')] // 254 bytes of two-byte characters: cut at a character boundary
    public void ANameNearTheFileSystemsLimitIsWritten(int length, char c)
    {
        // NAME.tmp-xxxxxxxxxxxx passed NAME_MAX, so a legal destination could not be written ("File name too long").
        using var dir = new TempDirectory();
        string name = new string(c, length - 4) + ".csv";
        string path = dir.File(name);
        using (var writer = AtomicFileWriter.Begin(path))
        {
            Assert.True(System.Text.Encoding.UTF8.GetByteCount(Path.GetFileName(writer.TempPath)) <= 255);
            writer.Stream.Write("a,b\n"u8);
            writer.Commit();
        }
        Assert.Equal([name], dir.Entries());
        Assert.Equal("a,b\n", File.ReadAllText(path));
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
    [Fact]
    public void A_link_to_a_file_is_written_through_and_stays_a_link()
    {
        using var dir = new TempDirectory();
        string real = dir.File("real-v1.onnx"), link = dir.File("latest.onnx");
        File.WriteAllText(real, "old");
        File.CreateSymbolicLink(link, "real-v1.onnx");
        using (var writer = AtomicFileWriter.Begin(link))
        {
            Assert.Equal(dir.Path, Path.GetDirectoryName(writer.TempPath));
            Assert.StartsWith(real + ".tmp-", writer.TempPath, StringComparison.Ordinal);
            writer.Stream.Write("new"u8);
            writer.Commit();
        }
        Assert.Equal("real-v1.onnx", new FileInfo(link).LinkTarget);
        Assert.Equal("new", File.ReadAllText(real));
        Assert.Equal(["latest.onnx", "real-v1.onnx"], dir.Entries());
    }

    [Fact]
    public void A_link_to_nothing_or_in_a_loop_is_refused_and_left_as_it_is()
    {
        // QA s18-env L2: the rename replaced such a link with a regular file (shell > follows a link to nothing, cp refuses it).
        using var dir = new TempDirectory();
        string dangling = dir.File("latest.csv"), loop = dir.File("loop1");
        File.CreateSymbolicLink(dangling, "gone.csv");
        File.CreateSymbolicLink(loop, "loop2");
        File.CreateSymbolicLink(dir.File("loop2"), "loop1");
        var e = Assert.Throws<IOException>(() => AtomicFileWriter.Begin(dangling));
        Assert.Equal($"Cannot write '{dangling}': it is a symbolic link to '{dir.File("gone.csv")}', which does not exist; create it " +
            "first, or remove the link.", e.Message);
        e = Assert.Throws<IOException>(() => AtomicFileWriter.Begin(loop));
        Assert.Equal($"Cannot write '{loop}': it is a symbolic link in a loop, or in a chain of more than 40 (Too many levels of " +
            "symbolic links).", e.Message);
        Assert.Equal("gone.csv", new FileInfo(dangling).LinkTarget);
        Assert.Equal("loop2", new FileInfo(loop).LinkTarget);
        Assert.Equal(["latest.csv", "loop1", "loop2"], dir.Entries()); // no target, no temporary file
    }

    [Fact]
    public void Links_under_dev_shm_are_followed_as_anywhere_else()
    {
        // qa-s19-c H1: /dev/shm itself was taken for a device path, so a link below it was replaced by a plain file and a link to
        // nothing was written over, where elsewhere the first is written through and the second refused.
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/dev/shm")) return;
        using var dir = new TempDirectory();
        string shm = Path.Combine("/dev/shm", "xent-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(shm);
        try
        {
            string target = dir.File("real.txt"), link = Path.Combine(shm, "link.txt"), dangling = Path.Combine(shm, "dangling.txt");
            File.WriteAllText(target, "old");
            File.CreateSymbolicLink(link, target);
            File.CreateSymbolicLink(dangling, dir.File("nothing.txt"));
            using (var w = AtomicFileWriter.Begin(link))
            {
                w.Stream.Write("new"u8);
                w.Commit();
            }
            Assert.Equal("new", File.ReadAllText(target));
            Assert.Equal(target, new FileInfo(link).LinkTarget);
            var e = Assert.Throws<IOException>(() => AtomicFileWriter.Begin(dangling));
            Assert.Contains($"it is a symbolic link to '{dir.File("nothing.txt")}', which does not exist", e.Message,
                StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(shm, recursive: true);
        }
    }

    [Fact]
    public void A_link_to_nothing_on_the_way_is_named_with_its_own_target()
    {
        // qa-s19-c M2: the message named the link's target with the rest of the path after it ('nowhere/sub/x.csv'), and said
        // to create "that folder": following it made a folder named x.csv.
        using var dir = new TempDirectory();
        File.CreateSymbolicLink(dir.File("dang"), "nowhere");
        string output = Path.Combine(dir.File("dang"), "sub", "x.csv");
        var e = Assert.Throws<IOException>(() => AtomicFileWriter.Begin(output));
        Assert.Equal($"Cannot write '{output}': '{dir.File("dang")}' on its way is a symbolic link to '{dir.File("nowhere")}', which " +
            "does not exist; create it first, or remove the link.", e.Message);
        Assert.Equal(["dang"], dir.Entries());
    }

    [Fact]
    public void A_descriptor_path_is_written_in_place_not_replaced()
    {
        // /proc/self/fd/N of a pipe stands for /dev/stdout, >(…) and the like: a rename over it would fail or cut the pipe.
        using var reader = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.In);
        using var writerEnd = new System.IO.Pipes.AnonymousPipeClientStream(System.IO.Pipes.PipeDirection.Out,
            reader.ClientSafePipeHandle);
        string path = $"/proc/self/fd/{writerEnd.SafePipeHandle.DangerousGetHandle()}";
        byte[] payload = new byte[3000];
        for (int i = 0; i < payload.Length; i++) payload[i] = (byte)(i * 7);
        using (var writer = AtomicFileWriter.Begin(path))
        {
            Assert.Equal(path, writer.TempPath);
            writer.Stream.Write(payload);
            writer.Commit();
        }
        byte[] got = new byte[payload.Length];
        reader.ReadExactly(got);
        Assert.Equal(payload, got);
    }

    [Fact]
    public void A_named_pipe_or_a_link_to_one_is_written_in_place_a_file_is_replaced_and_a_socket_is_refused()
    {
        // A named pipe outside /dev was replaced by the renamed temporary file: `mkfifo p; … --out p & cat p` never read a byte.
        if (!OperatingSystem.IsLinux()) return; // mkfifo, statx
        using var dir = new TempDirectory();
        string fifo = dir.File("p"), link = dir.File("link-to-p"), file = dir.File("f.csv"), socket = dir.File("s");
        ProcessFolder.MakeFifo(fifo);
        File.CreateSymbolicLink(link, "p");
        File.WriteAllText(file, "");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
            System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));

        Assert.Equal(new WriteTarget(fifo, InPlace: true), WriteTarget.Of(fifo));
        Assert.Equal(new WriteTarget(fifo, InPlace: true), WriteTarget.Of(link)); // the pipe it leads to; the link stays
        Assert.Equal(new WriteTarget(file, InPlace: false), WriteTarget.Of(file)); // an empty file, whose length is a pipe's (0)
        Assert.Equal(new WriteTarget(dir.File("new.csv"), InPlace: false), WriteTarget.Of(dir.File("new.csv")));
        Assert.Equal(new WriteTarget(socket, false, WriteTarget.SocketRefusal), WriteTarget.Of(socket));
        var e = Assert.Throws<IOException>(() => AtomicFileWriter.Begin(socket));
        Assert.Equal($"Cannot write '{socket}': it is a socket, which a program connects to and no file can be written into; name a " +
            "file, or remove the socket.", e.Message);
        Assert.Equal(["f.csv", "link-to-p", "p", "s"], dir.Entries()); // no temporary file, and the socket not replaced
    }

    [Fact]
    public void A_folder_moved_away_during_the_rename_is_left_without_a_temporary_file()
    {
        // qa-s19-c L6: a run folder renamed (and linked back) just as a checkpoint was renamed into it failed the rename, and the
        // removal, by the temporary file's old name, found nothing there: checkpoint.safetensors.tmp-… stayed in the moved folder.
        if (!OperatingSystem.IsLinux()) return; // the file is found again through /proc/self/fd
        using var dir = new TempDirectory();
        string run = dir.File("run"), moved = dir.File("run.moved"), path = Path.Combine(run, "checkpoint.safetensors");
        Directory.CreateDirectory(run);
        var previous = AtomicFileWriter.BeforeRename;
        // Other tests' writers may commit meanwhile: only this one's rename is met with the move.
        AtomicFileWriter.BeforeRename = p =>
        {
            if (p == path) Directory.Move(run, moved);
            else previous?.Invoke(p);
        };
        try
        {
            using var writer = AtomicFileWriter.Begin(path);
            writer.Stream.Write(new byte[1000]);
            var e = Assert.Throws<IOException>(writer.Commit);
            // qa-s20-b L5: it said only "Could not find file '…/run/checkpoint.safetensors'".
            Assert.Equal($"Cannot write '{path}': its folder '{run}' was moved or removed while xent wrote into it; nothing was left " +
                "there.", e.Message);
        }
        finally
        {
            AtomicFileWriter.BeforeRename = previous;
        }
        Assert.Empty(Directory.GetFileSystemEntries(moved));
        Assert.False(Directory.Exists(run));
    }
}
