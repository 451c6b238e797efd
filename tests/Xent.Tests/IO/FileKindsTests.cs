using System.Diagnostics;
using System.Net.Sockets;
using Xent.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.IO;

/// <summary>
/// <see cref="FileKinds.Of"/> tells the kinds of file that .NET's FileInfo reports alike (attributes Normal, length 0): an empty
/// file, a named pipe, a device and a socket, each made here by the tool that makes it; a link is followed, and nothing is opened
/// (an open of the pipe, which has no writer, would never return).
/// </summary>
public sealed class FileKindsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void EachKindOfFileIsToldByItsType_AndALinkByWhatItLeadsTo()
    {
        if (!OperatingSystem.IsLinux()) return; // statx; mkfifo
        string empty = _dir.File("empty.csv"), fifo = _dir.File("fifo.csv"), socket = _dir.File("s.sock");
        File.WriteAllText(empty, "");
        ProcessFolder.MakeFifo(fifo);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socket)); // creates the socket file
        File.CreateSymbolicLink(_dir.File("to-fifo"), "fifo.csv");
        File.CreateSymbolicLink(_dir.File("to-nothing"), "missing");
        // What .NET says of them: nothing that tells them apart (the reason for FileKinds).
        Assert.All(new[] { empty, fifo, socket, "/dev/null" }, p => Assert.Equal((FileAttributes.Normal, 0L),
            (File.GetAttributes(p), new FileInfo(p).Length)));

        Assert.Equal(FileKind.Regular, FileKinds.Of(empty));
        Assert.Equal(FileKind.Directory, FileKinds.Of(_dir.Path));
        Assert.Equal(FileKind.Fifo, FileKinds.Of(fifo));
        Assert.Equal(FileKind.Fifo, FileKinds.Of(_dir.File("to-fifo")));
        Assert.Equal(FileKind.CharDevice, FileKinds.Of("/dev/null"));
        Assert.Equal(FileKind.Socket, FileKinds.Of(socket));
        Assert.Equal(FileKind.Unknown, FileKinds.Of(_dir.File("missing")));
        Assert.Equal(FileKind.Unknown, FileKinds.Of(_dir.File("to-nothing")));
        // A relative path is taken from the current folder, as .NET's calls take it.
        Assert.Equal(FileKind.Regular, FileKinds.Of(Path.GetRelativePath(Environment.CurrentDirectory, empty)));
        // An anonymous pipe reached through /proc/self/fd is a pipe too (the shell's >(…) and | give one).
        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.In);
        Assert.Equal(FileKind.Fifo, FileKinds.Of($"/proc/self/fd/{pipe.SafePipeHandle.DangerousGetHandle()}"));
    }
}
