using System.Globalization;
using System.IO.Compression;
using Xent.Distributed.Tests.Support;
using Xent.IO;
using Xent.Tests.Training;

namespace Xent.Distributed.Tests;

/// <summary>
/// <c>mpiexec -n P xent train --distributed --batch-size b</c> against one process with <c>--batch-size P·b</c> on the same
/// synthetic MNIST-format data (256 training images): the same global batches, so the same weights up to float rounding
/// (the gradient of a batch is summed in two halves and their weighted sum instead of in one pass).
/// </summary>
public sealed class DataParallelTrainTests
{
    /// <summary>
    /// Tolerance on every checkpoint tensor (weights and optimizer state) after 8 steps: |a − e| ≤ 1e-4·|e| + 1e-6. The
    /// observed differences are a few float ulps per step; Adam's division by √v can magnify those of near-zero gradients.
    /// </summary>
    private const double Rtol = 1e-4, Atol = 1e-6;

    [MpiTheory]
    [InlineData(2, "sgd", "none")]
    [InlineData(2, "adam", "none")]
    [InlineData(3, "sgd", "inverse-frequency")]
    public void RanksOfSmallBatchesEndWhereOneProcessOfTheGlobalBatchEnds(int ranks, string optimizer, string classWeights)
    {
        using var dir = new TempDir();
        // 250 images: with a global batch of 48 the last one has 10 images, split 3/3/4 over three ranks.
        SyntheticIdx.Write(dir["data"], train: ranks == 3 ? 250 : 256, test: 32);
        int perRank = ranks == 3 ? 16 : 32;
        string[] common = ["--data", dir["data"], "--model", "mlp", "--epochs", "2", "--optimizer", optimizer,
            "--momentum", optimizer == "sgd" ? "0.9" : "0", "--class-weights", classWeights, "--threads", "1", "--seed", "3"];
        string globalBatch = (ranks * perRank).ToString(CultureInfo.InvariantCulture);
        string rankBatch = perRank.ToString(CultureInfo.InvariantCulture);
        var single = Mpi.RunAlone(Mpi.Cli, ["train", .. common, "--batch-size", globalBatch, "--out", dir["single"]]);
        Assert.True(single.ExitCode == 0, single.Stderr);
        var distributed = Mpi.Run(ranks, Mpi.Cli, ["train", "--distributed", .. common, "--batch-size", rankBatch, "--out", dir["dist"]]);
        Assert.True(distributed.ExitCode == 0, distributed.Stderr);

        AssertCheckpointsClose(dir["single/checkpoint.safetensors"], dir["dist/checkpoint.safetensors"], Rtol, Atol);
        // Rank 0 alone prints: the one "Epoch 2 done" line.
        Assert.Single(distributed.Stdout.Split('\n'), l => l.StartsWith("Epoch 2 done", StringComparison.Ordinal));
        // --batch-size is per rank: the checkpoint records the rank count and the global batch besides it.
        var metadata = SafeTensors.Read(dir["dist/checkpoint.safetensors"]).Metadata;
        Assert.Equal($"{ranks} (global batch {globalBatch})", metadata["setting.ranks"]);
        // The logged global losses agree with the single process's to float rounding.
        var expected = TrainLosses(dir["single/metrics.csv"]);
        var actual = TrainLosses(dir["dist/metrics.csv"]);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * expected[i], $"train loss {i}: {actual[i]} vs {expected[i]}");
    }

    [MpiFact]
    public void MultiLabelDataTrainsUnderMpiAsOneProcessOfTheGlobalBatchDoes()
    {
        // Every multi-label run with --distributed ended in "internal error (InvalidOperationException): A multi-label dataset has
        // no single class per sample": the ranks' batches asked each sample for a class.
        using var dir = new TempDir();
        var rng = new Random(5);
        var lines = new List<string> { "x1,x2,x3,a,b" };
        for (int i = 0; i < 96; i++)
        {
            double x1 = rng.NextDouble() * 2 - 1, x2 = rng.NextDouble() * 2 - 1, x3 = rng.NextDouble();
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{x1:F4},{x2:F4},{x3:F4},{(x1 > 0 ? 1 : 0)},{(x2 + x3 > 0.5 ? 1 : 0)}"));
        }
        File.WriteAllLines(dir["tags.csv"], lines);
        string[] common = ["--data", dir["tags.csv"], "--multi-label", "a,b", "--model", "mlp", "--hidden", "8", "--epochs", "2",
            "--threads", "1", "--seed", "3"];
        var single = Mpi.RunAlone(Mpi.Cli, ["train", .. common, "--batch-size", "32", "--out", dir["single"]]);
        Assert.True(single.ExitCode == 0, single.Stderr);
        var distributed = Mpi.Run(2, Mpi.Cli, ["train", "--distributed", .. common, "--batch-size", "16", "--out", dir["dist"]]);
        Assert.True(distributed.ExitCode == 0, distributed.Stderr);
        AssertCheckpointsClose(dir["single/checkpoint.safetensors"], dir["dist/checkpoint.safetensors"], Rtol, Atol);
        // Rank 0 records the data file's length and SHA-256 as one process does, so eval tells a copy of it.
        var metadata = SafeTensors.Read(dir["dist/checkpoint.safetensors"]).Metadata;
        Assert.Equal(new FileInfo(dir["tags.csv"]).Length.ToString(CultureInfo.InvariantCulture), metadata["setting.data_bytes"]);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(dir["tags.csv"]))),
            metadata["setting.data_sha256"]);
    }

    [MpiFact]
    public void OneRankIsTheSingleProcessRunBitForBit()
    {
        using var dir = new TempDir();
        SyntheticIdx.Write(dir["data"], train: 200, test: 32);
        string[] common = ["--data", dir["data"], "--model", "mlp", "--epochs", "1", "--batch-size", "32", "--threads", "1"];
        Assert.Equal(0, Mpi.RunAlone(Mpi.Cli, ["train", .. common, "--out", dir["single"]]).ExitCode);
        var one = Mpi.Run(1, Mpi.Cli, ["train", "--distributed", .. common, "--out", dir["dist"]]);
        Assert.True(one.ExitCode == 0, one.Stderr);
        AssertCheckpointsClose(dir["single/checkpoint.safetensors"], dir["dist/checkpoint.safetensors"], 0, 0);
    }

    [MpiFact]
    public void ResumingUnderMpiEndsWhereTheUninterruptedDistributedRunEnds()
    {
        using var dir = new TempDir();
        SyntheticIdx.Write(dir["data"], train: 192, test: 32);
        string[] common = ["train", "--distributed", "--data", dir["data"], "--model", "mlp", "--batch-size", "16", "--threads", "1",
            "--limit-batches", "4"];
        Assert.Equal(0, Mpi.Run(2, Mpi.Cli, [.. common, "--epochs", "2", "--out", dir["straight"]]).ExitCode);
        Assert.Equal(0, Mpi.Run(2, Mpi.Cli, [.. common, "--epochs", "1", "--out", dir["part"]]).ExitCode);
        var resumed = Mpi.Run(2, Mpi.Cli,
            [.. common, "--epochs", "2", "--resume", dir["part/checkpoint.safetensors"], "--out", dir["resumed"]]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.DoesNotContain("Warning: the checkpoint was trained on", resumed.Stderr, StringComparison.Ordinal);
        AssertCheckpointsClose(dir["straight/checkpoint.safetensors"], dir["resumed/checkpoint.safetensors"], 0, 0);

        // On another number of processes the global batch changes, and with it where the run ends: it says so.
        string[] oneProcess = ["train", "--data", dir["data"], "--model", "mlp", "--threads", "1", "--limit-batches", "4", "--epochs", "2",
            "--resume", dir["part/checkpoint.safetensors"]];
        var alone = Mpi.RunAlone(Mpi.Cli, [.. oneProcess, "--batch-size", "16", "--out", dir["alone"]]);
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        Assert.Contains("Warning: the checkpoint was trained with a global batch of 32 (2 ranks × 16); this run uses 16 (1 process × " +
            "16), so it goes on with another batch size and will not end where an uninterrupted run would.", alone.Stderr);
        // The same global batch in one process: the same sums split another way.
        var doubled = Mpi.RunAlone(Mpi.Cli, [.. oneProcess, "--batch-size", "32", "--out", dir["doubled"]]);
        Assert.True(doubled.ExitCode == 0, doubled.Stderr);
        Assert.Contains("Warning: the checkpoint was trained with a global batch of 32 (2 ranks × 16); this run uses 32 (1 process × " +
            "32): the same global batch over another number of processes, so the run matches an uninterrupted one to float rounding, " +
            "not bit for bit.", doubled.Stderr);
    }

    [MpiFact]
    public void ARankThatFailsAloneStopsTheJobWithOneLine()
    {
        using var dir = new TempDir();
        SyntheticIdx.Write(dir["data"], train: 4096, test: 32);
        // MPMD: rank 0 has the data and goes on to compare it with the other ranks'; rank 1 finds none and fails alone.
        string[] rank = ["train", "--distributed", "--model", "mlp", "--batch-size", "8", "--epochs", "50", "--threads", "1"];
        string work = dir["work"];
        Directory.CreateDirectory(work);
        var run = TwoRanks(rank, ["--data", dir["data"]], ["--data", dir["missing"]], work);
        Assert.NotEqual(0, run.ExitCode);
        Assert.StartsWith($"error: rank 1 of 2 failed, stopping the job: '{dir["missing"]}' does not exist", OneErrorLine(run));
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(45), $"took {run.Elapsed}");
        // MPI_Abort kills rank 0 where it waits: it used to have claimed runs/<timestamp> (the default --out) by then, and left it.
        Assert.Empty(Directory.GetFileSystemEntries(work));
    }

    [MpiFact]
    public void ResumingTheCnnOnAnotherRankCountSaysItsDropoutMasksChange()
    {
        // The warning promised a match to float rounding, which holds only without dropout: each rank draws its own masks.
        using var dir = new TempDir();
        SyntheticIdx.Write(dir["data"], train: 64, test: 16);
        string[] common = ["train", "--data", dir["data"], "--threads", "1", "--limit-batches", "1"];
        Assert.Equal(0, Mpi.Run(2, Mpi.Cli, [.. common, "--distributed", "--batch-size", "8", "--epochs", "1", "--out", dir["part"]])
            .ExitCode);
        var alone = Mpi.RunAlone(Mpi.Cli, [.. common, "--batch-size", "16", "--epochs", "2", "--resume",
            dir["part/checkpoint.safetensors"], "--out", dir["alone"]]);
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        Assert.Contains("Warning: the checkpoint was trained with a global batch of 16 (2 ranks × 8); this run uses 16 (1 process × " +
            "16): the same global batch over another number of processes, but each rank draws its own dropout masks, so the run goes " +
            "on with other masks and will not end where an uninterrupted run would.", alone.Stderr);
    }

    [MpiFact]
    public void SigtermToMpiexecAfterACheckpointExitsWith143AndKeepsTheCheckpoint()
    {
        // Each rank died by the signal, which Hydra reported as 0 or 15: a preempted job read as a success.
        using var dir = new TempDir();
        SyntheticIdx.Write(dir["data"], train: 4096, test: 32);
        var psi = new System.Diagnostics.ProcessStartInfo(Mpi.Exec!) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-n", "2", Mpi.Dotnet, Mpi.Cli, "train", "--distributed", "--data", dir["data"], "--model", "mlp",
            "--hidden", "1024", "--batch-size", "8", "--epochs", "100", "--threads", "1", "--out", dir["out"] })
            psi.ArgumentList.Add(a);
        using var job = System.Diagnostics.Process.Start(psi)!;
        var stderr = job.StandardError.ReadToEndAsync();
        var stdout = job.StandardOutput.ReadToEndAsync();
        string checkpoint = dir["out/checkpoint.safetensors"];
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!File.Exists(checkpoint) && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Assert.True(File.Exists(checkpoint), "no checkpoint within 90 s");
        string pid = job.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", pid]))
            kill.WaitForExit();
        Assert.True(job.WaitForExit(60_000), "the job did not end");
        Assert.True(job.ExitCode == 143, $"exit code {job.ExitCode}, stderr:\n{stderr.Result}");
        Assert.Contains("error: interrupted; the last finished epoch's checkpoint is kept", stderr.Result);
        Assert.True(File.Exists(checkpoint));
        _ = stdout.Result;
    }

    [MpiFact]
    public void ARankWhoseArgumentsDoNotParseStopsTheJobInsteadOfLeavingTheOthersWaiting()
    {
        // It exited before MPI started, and rank 0 waited in MPI's start-up for ever (an older xent on one node).
        using var dir = new TempDir();
        SyntheticIdx.Write(dir["data"], train: 256, test: 32);
        string[] rank = ["train", "--distributed", "--model", "mlp", "--batch-size", "8", "--epochs", "1", "--threads", "1",
            "--data", dir["data"], "--out", dir["out"]];
        var run = TwoRanks(rank, [], ["--bogus"]);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: rank 1 of 2 failed, stopping the job: unrecognized command or argument '--bogus'. See 'xent train --help'.",
            OneErrorLine(run));
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(45), $"took {run.Elapsed}");
        Assert.False(Directory.Exists(dir["out"]), "nothing is written");
    }

    [MpiFact]
    public void TrainUnderMpiexecWithoutDistributedIsRefusedOnEveryRank()
    {
        // Each rank ran a whole training of its own, and they deleted each other's files in one --out.
        using var dir = new TempDir();
        SyntheticIdx.Write(dir["data"], train: 64, test: 16);
        var run = Mpi.Run(2, Mpi.Cli, ["train", "--data", dir["data"], "--model", "mlp", "--epochs", "1", "--threads", "1",
            "--out", dir["out"]], timeoutMs: 60_000);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: this process is one of 2 started by mpiexec, but without --distributed; add --distributed to every "
            + "rank to train together, or run one process.", OneErrorLine(run));
        Assert.False(Directory.Exists(dir["out"]), "nothing is written");
    }

    [MpiFact]
    public void RanksThatReadDifferentDataAreRefusedBeforeTrainingWithOneLine()
    {
        using var dir = new TempDir();
        // The same shape and classes, fewer samples on rank 1 (a stale copy): it would run out of batches first and leave rank 0
        // waiting for ever, after training on mismatched batches.
        SyntheticIdx.Write(dir["data"], train: 512, test: 32);
        SyntheticIdx.Write(dir["stale"], train: 384, test: 32);
        string[] rank = ["train", "--distributed", "--model", "mlp", "--batch-size", "8", "--epochs", "2", "--threads", "1",
            "--out", dir["out"]];
        var run = TwoRanks(rank, ["--data", dir["data"]], ["--data", dir["stale"]]);
        Assert.Equal(2, run.ExitCode);
        // (SyntheticIdx repeats one pattern, so the feature statistics of the two copies agree: only the count differs.)
        const string Expected = "error: the ranks read different data (training samples: 384 on one rank, 512 on another; " +
            "held-out data; training labels (or their order); training features (the values, or the rows' order)). " +
            "Give every rank the same --data (and --test-data)";
        string line = OneErrorLine(run);
        Assert.True(line.StartsWith(Expected, StringComparison.Ordinal), line);
        Assert.False(Directory.Exists(dir["out"]), "nothing is written");
    }

    [MpiFact]
    public void RanksWhoseTrainingRowsAreSwappedWithinAClassAreRefused()
    {
        // The counts, the labels in order and the feature statistics agree (up to the sum's rounding), so only the values
        // in order tell the copies apart; before, they trained together on mismatched batches.
        using var dir = new TempDir();
        SyntheticIdx.Write(dir["data"], train: 256, test: 32);
        Directory.CreateDirectory(dir["swapped"]);
        foreach (string file in Directory.GetFiles(dir["data"]))
            File.Copy(file, Path.Combine(dir["swapped"], Path.GetFileName(file)));
        string images = Path.Combine(dir["swapped"], "train-images-idx3-ubyte.gz");
        byte[] idx;
        using (var gz = new GZipStream(File.OpenRead(images), CompressionMode.Decompress))
        using (var all = new MemoryStream()) { gz.CopyTo(all); idx = all.ToArray(); }
        // Images 0 and 10 are both class 0 (SyntheticIdx labels image i with i % 10); the IDX header is 16 bytes.
        var first = idx.AsSpan(16, 784).ToArray();
        idx.AsSpan(16 + 10 * 784, 784).CopyTo(idx.AsSpan(16, 784));
        first.CopyTo(idx.AsSpan(16 + 10 * 784, 784));
        using (var gz = new GZipStream(File.Create(images), CompressionLevel.Fastest)) gz.Write(idx);

        string[] rank = ["train", "--distributed", "--model", "mlp", "--batch-size", "8", "--epochs", "1", "--threads", "1",
            "--out", dir["out"]];
        var run = TwoRanks(rank, ["--data", dir["data"]], ["--data", dir["swapped"]]);
        Assert.Equal(2, run.ExitCode);
        string line = OneErrorLine(run);
        Assert.StartsWith("error: the ranks read different data (", line);
        Assert.Contains("training features (the values, or the rows' order)", line);
        Assert.DoesNotContain("training labels", line);
        Assert.False(Directory.Exists(dir["out"]), "nothing is written");
    }

    [MpiFact]
    public void AnEditedTrainingValueIsNotReportedAsOtherHeldOutData()
    {
        // qa-s19-a L4: the held-out rows were compared after standardisation with the training split's statistics, which the
        // edit changed, so "held-out data" was named too, sending the user to the wrong file.
        using var dir = new TempDir();
        string[] header = ["a,b,label"];
        string Row(int i) => $"{i % 7},{i % 5},{(i % 2 == 0 ? "x" : "y")}";
        File.WriteAllLines(dir["train.csv"], [.. header, .. Enumerable.Range(0, 64).Select(Row)]);
        File.WriteAllLines(dir["edited.csv"], [.. header, .. Enumerable.Range(0, 64).Select(i => i == 5 ? "9.5,0,y" : Row(i))]);
        File.WriteAllLines(dir["test.csv"], [.. header, .. Enumerable.Range(100, 16).Select(Row)]);
        string[] rank = ["train", "--distributed", "--model", "linear", "--batch-size", "8", "--epochs", "1", "--threads", "1",
            "--test-data", dir["test.csv"], "--out", dir["out"]];
        var run = TwoRanks(rank, ["--data", dir["train.csv"]], ["--data", dir["edited.csv"]]);
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: the ranks read different data (feature statistics (the values); training features (the values, " +
            "or the rows' order)). Give every rank the same --data", OneErrorLine(run));
        Assert.False(Directory.Exists(dir["out"]), "nothing is written");
    }

    [MpiFact]
    public void FewerTrainingSamplesThanRanksAreRefusedUpFront()
    {
        // qa-s19-b H2: no global batch could give each rank a sample, the epoch had no batches, and the job ended in
        // "internal error (InvalidOperationException): Epoch 1 had no training batches", exit 1.
        using var dir = new TempDir();
        SyntheticIdx.Write(dir["data"], train: 1, test: 4);
        var run = Mpi.Run(2, Mpi.Cli, ["train", "--distributed", "--data", dir["data"], "--model", "mlp", "--epochs", "1",
            "--threads", "1", "--out", dir["out"]], timeoutMs: 60_000);
        Assert.True(run.ExitCode == 2, run.Stderr);
        Assert.Equal("error: 1 training image cannot be shared by 2 ranks: each rank needs at least one of every global batch; "
            + "start at most 1 rank, or give more data.", OneErrorLine(run));
        Assert.False(Directory.Exists(dir["out"]), "nothing is written");
    }

    [MpiFact]
    public void RanksWithDifferentHeldOutDataOrEpochsAreRefusedInsteadOfHanging()
    {
        using var dir = new TempDir();
        SyntheticIdx.Write(dir["data"], train: 256, test: 32);
        // The same count of held-out images, other pixels: each rank evaluated its own and, with --patience, stopped at its own
        // epoch while the other waited for ever. More epochs on one rank left it waiting at the end the same way.
        SyntheticIdx.Write(dir["other"], train: 256, test: 32, seed: 8);
        foreach (string train in Directory.GetFiles(dir["data"], "train-*"))
            File.Copy(train, Path.Combine(dir["other"], Path.GetFileName(train)), overwrite: true);
        string[] common = ["train", "--distributed", "--model", "mlp", "--batch-size", "16", "--threads", "1", "--out", dir["out"]];
        var heldOut = TwoRanks([.. common, "--epochs", "4", "--patience", "1"],
            ["--data", dir["data"]], ["--data", dir["other"]]);
        Assert.Equal(2, heldOut.ExitCode);
        Assert.StartsWith("error: the ranks read different data (held-out data). Give every rank the same --data", OneErrorLine(heldOut));

        var epochs = TwoRanks([.. common, "--data", dir["data"]], ["--epochs", "1"], ["--epochs", "3"]);
        Assert.Equal(2, epochs.ExitCode);
        Assert.Equal("error: the ranks were started with different options (--epochs). Start every rank with the same options.",
            OneErrorLine(epochs));
        Assert.False(Directory.Exists(dir["out"]), "nothing is written");

        // Options are compared by their effective values: adam's default --lr given on one rank only is no difference.
        var same = TwoRanks([.. common, "--data", dir["data"], "--epochs", "1"], ["--lr", "0.001"], []);
        Assert.True(same.ExitCode == 0, same.Stderr);
    }

    [MpiFact]
    public void BadArgumentsAndAnUnwritableOutExitWithTwoOnEveryRank()
    {
        using var dir = new TempDir();
        SyntheticIdx.Write(dir["data"], train: 64, test: 16);
        string holdsRun = dir["done"];
        Directory.CreateDirectory(holdsRun);
        File.WriteAllText(Path.Combine(holdsRun, "checkpoint.safetensors"), "");
        // Refused by every rank (a check that throws) and by rank 0 alone (only it creates --out, which it then tells the others:
        // qa-s18-mpi L2, which was "rank 0 of 2 failed, stopping the job: …" and MPI_Abort after 5 s); a parse error, met before MPI
        // starts, is printed by rank 0 only.
        foreach (var (extra, expected) in new (string[], string)[]
        {
            (["--batch-size", "0"], "error: --batch-size must be at least 1, got 0."),
            (["--out", "/proc/xent-test-run"], "error: cannot create --out '/proc/xent-test-run'"),
            (["--out", holdsRun], $"error: --out '{holdsRun}' already holds a run (checkpoint.safetensors); pass --resume"),
            (["--bogus"], "error: unrecognized command or argument '--bogus'."),
        })
        {
            var run = Mpi.Run(2, Mpi.Cli, ["train", "--distributed", "--data", dir["data"], "--model", "mlp", "--epochs", "1",
                "--threads", "1", .. extra], timeoutMs: 60_000);
            Assert.True(run.ExitCode == 2, $"{string.Join(' ', extra)}: exit code {run.ExitCode}, stderr:\n{run.Stderr}");
            Assert.StartsWith(expected, OneErrorLine(run));
            Assert.DoesNotContain("Abort", run.Stderr, StringComparison.Ordinal); // MPICH's line after MPI_Abort
        }
    }

    [MpiFact]
    public void ACheckpointThatRankZeroAloneCannotWriteIsWordedAsInOneProcess()
    {
        // qa-s18-mpi L3: rank 0 failing alone at its first checkpoint said "…stopping the job: Cannot write '…'", and the same
        // failure said "cannot write '…'" everywhere else. A folder where the checkpoint goes fails as a full disk does.
        using var dir = new TempDir();
        SyntheticIdx.Write(dir["data"], train: 64, test: 16);
        Directory.CreateDirectory(Path.Combine(dir["run"], "checkpoint.safetensors"));
        // Two epochs: rank 1 waits in the second while rank 0 fails alone at the end of the first.
        var run = Mpi.Run(2, Mpi.Cli, ["train", "--distributed", "--data", dir["data"], "--model", "mlp", "--epochs", "2",
            "--threads", "1", "--out", dir["run"]], timeoutMs: 60_000);
        Assert.True(run.ExitCode == 2, run.Stderr);
        Assert.Equal($"error: rank 0 of 2 failed, stopping the job: cannot write '{Path.Combine(dir["run"], "checkpoint.safetensors")}': " +
            "it is a directory.", OneErrorLine(run));
    }

    [MpiFact]
    public void TheSamplesALastGlobalBatchSmallerThanTheRanksLeavesOutAreSaidOnce()
    {
        // qa-s18-mpi L3: they were left out without a word. 67 = 4 global batches of 16 + 3, fewer than the 4 ranks' one each.
        using var dir = new TempDir();
        SyntheticIdx.Write(dir["data"], train: 67, test: 16);
        string[] common = ["train", "--distributed", "--data", dir["data"], "--model", "mlp", "--epochs", "1", "--threads", "1",
            "--batch-size", "4"];
        var run = Mpi.Run(4, Mpi.Cli, [.. common, "--out", dir["run"]], timeoutMs: 120_000);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("Training mlp on 67 images of 10 classes (4 batches of 16 per epoch, 4 on each of 4 ranks)", run.Stdout,
            StringComparison.Ordinal);
        Assert.Single(run.Stdout.Split('\n'), l => l == "Each epoch leaves out the last 3 images of its shuffled order (others each " +
            "epoch): a last global batch smaller than the number of ranks (4) would leave a rank with nothing to train on. Another " +
            "--batch-size or number of ranks trains on all of them.");
        // 66 = 4 × 16 + 2 on 2 ranks: the last global batch is trained (one image each), and nothing is said.
        SyntheticIdx.Write(dir["data2"], train: 66, test: 16);
        run = Mpi.Run(2, Mpi.Cli, [.. common[..3], dir["data2"], .. common[4..^2], "--batch-size", "8", "--out", dir["run2"]],
            timeoutMs: 120_000);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.DoesNotContain("leaves out", run.Stdout, StringComparison.Ordinal);
    }

    [MpiFact]
    public void HelpUnderMpiexecIsPrintedOnce()
    {
        // qa-s18-mpi L3: every rank printed it.
        var run = Mpi.Run(2, Mpi.Cli, ["train", "--distributed", "--epochs", "1", "--help"], timeoutMs: 60_000);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("", run.Stderr);
        Assert.Single(run.Stdout.Split('\n'), l => l.StartsWith("Usage:", StringComparison.Ordinal));
        Assert.Contains("--distributed", run.Stdout, StringComparison.Ordinal);
    }

    /// <summary>MPMD: <paramref name="common"/> arguments on two ranks, each with some of its own, in <paramref name="workingDirectory"/>
    /// (default: the temp folder).</summary>
    private static RunResult TwoRanks(string[] common, string[] rank0, string[] rank1, string? workingDirectory = null) =>
        Mpi.RunRaw(
            ["-n", "1", Mpi.Dotnet, Mpi.Cli, .. common, .. rank0, ":", "-n", "1", Mpi.Dotnet, Mpi.Cli, .. common, .. rank1],
            timeoutMs: 60_000, workingDirectory);

    /// <summary>The job's one <c>error:</c> line (MPICH's own abort lines aside).</summary>
    private static string OneErrorLine(RunResult run)
    {
        var ours = run.Stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToArray();
        Assert.True(ours.Length == 1, $"expected one error line, stderr was:\n{run.Stderr}");
        return ours[0];
    }

    private static double[] TrainLosses(string metricsCsv) =>
        [.. File.ReadAllLines(metricsCsv).Skip(1).Select(l => double.Parse(l.Split(',')[2], CultureInfo.InvariantCulture))];

    private static void AssertCheckpointsClose(string expectedPath, string actualPath, double rtol, double atol)
    {
        var expected = SafeTensors.Read(expectedPath);
        var actual = SafeTensors.Read(actualPath);
        Assert.Equal(expected.Names.OrderBy(n => n, StringComparer.Ordinal), actual.Names.OrderBy(n => n, StringComparer.Ordinal));
        foreach (var name in expected.Names)
        {
            if (expected[name].Float32 is not { } e) continue; // step counters and the like
            Close.All(e, actual[name].ToFloat32(), rtol, atol, name);
        }
    }
}
