using System.Collections.Concurrent;
using Xent.Data;
using Xent.Tests.IO;
using Xunit;

namespace Xent.Tests.Data;

/// <summary>Progress while a folder of images is read: the reports, and the lines a long read prints.</summary>
public class ProgressLinesTests
{
    [Fact]
    public void ImageDecodingReportsAboutEveryPercentAndTheEnd()
    {
        using var dir = new TempDirectory();
        for (int i = 0; i < 250; i++) OwnDataFiles.Gray(dir.File($"imgs/{(i % 2 == 0 ? "a" : "b")}/{i:000}.png"), 2, 2, (x, y) => 1);
        var reports = new ConcurrentBag<(int Done, int Total)>();
        var d = ImageFolderSource.Load(dir.File("imgs"), new DataOptions { Progress = (done, total) => reports.Add((done, total)) });
        Assert.Equal(250, d.Count);
        // One percent of 250 images is 2 (rounded down): each even count is reported once, by the thread that reached it.
        Assert.Equal(Enumerable.Range(1, 125).Select(k => 2 * k), reports.Select(r => r.Done).Order());
        Assert.All(reports, r => Assert.Equal(250, r.Total));
    }

    [Fact]
    public void ALongReadPrintsALineEveryIntervalAndAQuickOneNothing()
    {
        double now = 0;
        var lines = new List<string>();
        var progress = new ProgressLines(lines.Add, "read", "images", intervalSeconds: 10, () => now);
        now = 3;
        progress.Report(100, 1000); // before the first 10 s: quiet
        now = 10.4;
        progress.Report(250, 1000);
        now = 15;
        progress.Report(400, 1000); // 10 s have not passed since the last line
        now = 21;
        progress.Report(200, 1000); // a count older than the one shown, arriving late from another thread
        progress.Report(599, 1000);
        now = 40;
        progress.Report(1000, 1000); // all read: the caller says so, with the time
        Assert.Equal(["  read 250 of 1000 images (25%), 10 s", "  read 599 of 1000 images (59%), 21 s"], lines);
    }

    [Fact]
    public void AFileStreamIsReportedOncePerMegabyteAndAtTheEnd()
    {
        using var dir = new TempDirectory();
        string path = dir.File("blob.bin");
        File.WriteAllBytes(path, new byte[5 * (1 << 19)]); // 2.5 MiB: 3 megabytes, rounded up
        var reports = new List<(int, int)>();
        using (var stream = new ProgressStream(File.OpenRead(path), (done, total) => reports.Add((done, total))))
        {
            var buffer = new byte[300 * 1024];
            while (stream.Read(buffer, 0, buffer.Length) > 0) { }
        }
        Assert.Equal([(0, 3), (1, 3), (2, 3), (3, 3)], reports);
    }

    [Fact]
    public void ACsvReadReportsItsMegabytes()
    {
        using var dir = new TempDirectory();
        string path = dir.File("t.csv");
        File.WriteAllLines(path, ["x,y", .. Enumerable.Range(0, 200_000).Select(i => $"{i * 0.5:F1},{i % 3}")]);
        int total = (int)((new FileInfo(path).Length + (1 << 20) - 1) >> 20);
        Assert.True(total >= 2); // more than one megabyte, so the reports have somewhere to go
        var reports = new List<(int Done, int Total)>();
        var d = CsvSource.Load(path, new DataOptions { Progress = (done, all) => reports.Add((done, all)) });
        Assert.Equal(200_000, d.Count);
        Assert.All(reports, r => Assert.Equal(total, r.Total));
        Assert.Equal(reports.Select(r => r.Done).Order().Distinct(), reports.Select(r => r.Done)); // rising, each once
        Assert.Equal(total, reports[^1].Done);

        // A .gz file is counted in its own, compressed, megabytes.
        string gz = OwnDataFiles.Gzip(path);
        int gzTotal = (int)((new FileInfo(gz).Length + (1 << 20) - 1) >> 20);
        reports.Clear();
        Assert.Equal(200_000, CsvSource.Load(gz, new DataOptions { Progress = (done, all) => reports.Add((done, all)) }).Count);
        Assert.Equal((gzTotal, gzTotal), reports[^1]);
        Assert.All(reports, r => Assert.Equal(gzTotal, r.Total));
    }

    [Fact]
    public void BatchesAreCountedOnceTheCallerIsDoneWithThem()
    {
        var data = new TensorDataset(Tensor.Zeros([10, 3]), Tensor.FromArray(new long[10]));
        var reports = new List<(int, int)>();
        int taken = 0;
        foreach (var _ in ProgressLines.Counting(new DataLoader(data, batchSize: 4), data.Count, (d, t) => reports.Add((d, t))))
        {
            Assert.Equal(taken, reports.Count); // the batch in hand is not counted yet
            taken++;
        }
        Assert.Equal([(4, 10), (8, 10), (10, 10)], reports);
    }
}
