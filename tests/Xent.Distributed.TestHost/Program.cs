using System.Globalization;
using Xent;
using Xent.Distributed;
using Xent.Distributed.TestHost;
using Xent.IO;

// Run under mpiexec by tests/Xent.Distributed.Tests:
//   sum OUT COUNT               (every rank sums SumCase.Value(rank, i) over the ranks and writes sum.R.npy)
//   allreduce-time COUNT REPS   (prints rank 0's median time of a deterministic float sum of COUNT elements, for docs/DISTRIBUTED.md)
//   linear-ce OUT N D V bias|- weighted|- ignore|- SMOOTHING ZLOSS SOFTCAP|- REDUCTION
// Every rank computes VocabParallel.LinearCrossEntropy on its vocabulary slice and writes loss.R.npy, gh.R.npy,
// gw.R.npy and (with a bias) gb.R.npy into OUT; the test compares them with single-process F.LinearCrossEntropy.
if (args.Length < 1) { Console.Error.WriteLine("usage: Xent.Distributed.TestHost linear-ce OUT …"); return 2; }
using var world = MpiWorld.Initialize();
switch (args[0])
{
    case "linear-ce":
        LinearCe(world, args[1], LinearCeCase.Parse(args.AsSpan(2)));
        return 0;
    case "sum":
        Sum(world, args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
        return 0;
    case "allreduce-time":
        AllReduceTime(world, int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
        return 0;
    default:
        Console.Error.WriteLine($"unknown scenario '{args[0]}'");
        return 2;
}

static void LinearCe(MpiWorld world, string outDir, LinearCeCase c)
{
    var (h, w, b, cw, t, upstream) = c.Inputs();
    var (start, length) = VocabParallel.Shard(c.V, world.Rank, world.Size);
    var hidden = Tensor.FromArray(h, [c.N, c.D]).RequiresGrad_();
    var shard = Tensor.FromArray(w.AsSpan(start * c.D, length * c.D).ToArray(), [length, c.D]).RequiresGrad_();
    var bias = b is null ? null : Tensor.FromArray(b.AsSpan(start, length).ToArray()).RequiresGrad_();
    var weight = cw is null ? null : Tensor.FromArray(cw.AsSpan(start, length).ToArray());
    // A small row chunk, so that several chunks (and their reductions) run.
    var loss = VocabParallel.LinearCrossEntropy(world, hidden, shard, Tensor.FromArray(t), c.V, bias, weight, LinearCeCase.IgnoreIndex,
        c.Reduction, c.Smoothing, c.ZLoss, c.Softcap, rowChunk: 7);
    loss.Backward(c.Reduction == Reduction.None ? Tensor.FromArray(upstream) : null);
    string Path(string name) => System.IO.Path.Combine(outDir, $"{name}.{world.Rank}.npy");
    Npy.Write(Path("loss"), loss.ToArray(), loss.Shape.ToArray());
    Npy.Write(Path("gh"), hidden.Grad!.ToArray(), [c.N, c.D]);
    Npy.Write(Path("gw"), shard.Grad!.ToArray(), [length, c.D]);
    if (bias is not null) Npy.Write(Path("gb"), bias.Grad!.ToArray(), [length]);
}

static void AllReduceTime(MpiWorld world, int count, int reps)
{
    var x = new float[count];
    var times = new List<double>();
    for (int k = 0; k < reps + 3; k++)
    {
        x.AsSpan().Fill(world.Rank + 1);
        world.Barrier();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        world.AllReduceSum(x);
        if (k >= 3) times.Add(sw.Elapsed.TotalMicroseconds);
    }
    times.Sort();
    if (world.IsRoot)
        Console.WriteLine($"{world.Size} ranks, {count} floats: median {times[times.Count / 2]:F0} us, fastest {times[0]:F0} us");
}

static void Sum(MpiWorld world, string outDir, int count)
{
    var x = new float[count];
    for (int i = 0; i < count; i++) x[i] = SumCase.Value(world.Rank, i);
    world.AllReduceSum(x);
    Npy.Write(System.IO.Path.Combine(outDir, $"sum.{world.Rank}.npy"), x, [count]);
}
