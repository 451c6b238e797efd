using System.Collections.Concurrent;
using System.Diagnostics;
using Xent.IO;
using Xent.Tests.Cli;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.IO;

/// <summary>
/// <see cref="FileReading.OpenRead"/> tells its hook about an open that waits (a FIFO without a writer) once, after
/// <see cref="FileReading.NoteAfter"/>, and keeps waiting; about an open that returns at once, never. The hook is process-wide, and
/// the in-process CLI sets it: these tests run in the console collection, alone.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class FileReadingTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly Action<string, OpenWait>? _previous = FileReading.Waiting;
    private readonly ConcurrentQueue<(string Path, TimeSpan At, OpenWait Wait)> _notes = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly SemaphoreSlim _noted = new(0);

    public FileReadingTests() => FileReading.Waiting = (path, wait) =>
    {
        _notes.Enqueue((path, _clock.Elapsed, wait));
        _noted.Release();
    };

    public void Dispose()
    {
        FileReading.Waiting = _previous;
        _noted.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task AFifoWithoutAWriterIsToldOnceAfterTheDelayAndOpensWhenAWriterComes()
    {
        if (!OperatingSystem.IsLinux()) return; // mkfifo
        string fifo = _dir.File("f.csv");
        using (var mkfifo = Process.Start("mkfifo", [fifo])) await mkfifo.WaitForExitAsync();

        var started = TimeSpan.MaxValue;
        // On a thread of its own, as the CLI's open is on its main thread: one of the pool's would delay the pool's timer callbacks.
        var open = Task.Factory.StartNew(() =>
        {
            started = _clock.Elapsed;
            using var reader = new StreamReader(FileReading.OpenRead(fifo));
            return reader.ReadToEnd();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            Assert.True(await _noted.WaitAsync(TimeSpan.FromSeconds(60)), "no note within a minute");
            var (path, at, wait) = Assert.Single(_notes);
            Assert.Equal(fifo, path);
            Assert.Equal(OpenWait.Writer, wait);
            // After about a second, not before (the timer may fire late on a loaded machine, never early): an open that is merely
            // slow is not a pipe without a writer.
            Assert.True(at - started >= TimeSpan.FromSeconds(0.95),
                $"told after {(at - started).TotalSeconds:F2} s");
            Assert.False(open.IsCompleted, "the open returned without a writer");
        }
        finally
        {
            // The writer, also when an assertion failed: no thread of the test host is left in open() for ever.
            using var writer = Process.Start("timeout", ["60", "/bin/bash", "-c", $"printf 'a,b\\n1,2\\n' > '{fifo}'"]);
            await writer!.WaitForExitAsync();
        }
        Assert.Equal("a,b\n1,2\n", await open.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Single(_notes); // once, however long it waited
    }

    [Fact]
    public void AnOpenOfAFileThatIsNoPipeIsToldAsSlowNotAsWaitingForAWriter()
    {
        // A network mount that takes seconds to answer was said to be "a named pipe" waiting for a writer. No local file opens
        // that slowly, so the open here is one that sleeps past the second, of a regular file (and of a folder: the kind is asked
        // of the path, which is no pipe either way).
        string file = _dir.File("slow.csv");
        File.WriteAllText(file, "a,b\n");
        Assert.Equal(7, FileReading.Opening(file, forWriting: false, () =>
        {
            // Until the note comes, as long as a loaded machine takes to fire the timer.
            Assert.True(_noted.Wait(TimeSpan.FromSeconds(60)), "no note within a minute");
            return 7;
        }));
        var (path, _, wait) = Assert.Single(_notes);
        Assert.Equal((file, OpenWait.SlowFileSystem), (path, wait));
    }

    [Fact]
    public async Task AFifoOpenedForWritingIsToldAsWaitingForAReader_AndIsWrittenInPlace()
    {
        // An output that is a named pipe is written into, as tee writes into one, not replaced by a renamed file; its open waits
        // for a reader, which is told as an input's wait for a writer is.
        if (!OperatingSystem.IsLinux()) return; // mkfifo
        string fifo = _dir.File("out.csv");
        ProcessFolder.MakeFifo(fifo);
        var write = Task.Factory.StartNew(() =>
        {
            using var writer = AtomicFileWriter.Begin(fifo);
            Assert.Equal(fifo, writer.TempPath); // in place: no temporary file beside it
            writer.Stream.Write("p,q\n"u8);
            writer.Commit();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        string read;
        try
        {
            Assert.True(await _noted.WaitAsync(TimeSpan.FromSeconds(60)), "no note within a minute");
            var (path, _, wait) = Assert.Single(_notes);
            Assert.Equal((fifo, OpenWait.Reader), (path, wait));
            Assert.False(write.IsCompleted, "the open returned without a reader");
        }
        finally
        {
            // The reader, also when an assertion failed: no thread of the test host is left in open() for ever (and a reader
            // whose writer never came is cut off).
            var psi = new ProcessStartInfo("timeout", ["60", "cat", fifo]) { RedirectStandardOutput = true, UseShellExecute = false };
            using var reader = Process.Start(psi)!;
            read = await reader.StandardOutput.ReadToEndAsync();
            await reader.WaitForExitAsync();
        }
        await write.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("p,q\n", read);
        Assert.Equal(FileKind.Fifo, FileKinds.Of(fifo)); // still the pipe, not a file renamed over it
        Assert.Equal(["out.csv"], _dir.Entries());
    }

    [Fact]
    public async Task AFileThatOpensAtOnceIsNeverTold()
    {
        string file = _dir.File("x.csv");
        File.WriteAllText(file, "a,b\n");
        using (var reader = new StreamReader(FileReading.OpenRead(file))) Assert.Equal("a,b", reader.ReadLine());
        Assert.Equal(["a,b"], FileReading.ReadLines(file));
        // Past the second, with margin: a timer left running after the open would have fired by now.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Empty(_notes);
    }
}
