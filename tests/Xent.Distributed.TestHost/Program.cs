using Xent.Distributed;

// Scenarios run under mpiexec by tests/Xent.Distributed.Tests; each writes its results (rank 0) to the path given.
using var world = MpiWorld.Initialize();
var x = new double[] { world.Rank + 1, 10 * (world.Rank + 1) };
world.AllReduceSum(x);
Console.WriteLine($"rank {world.Rank}/{world.Size}: {x[0]} {x[1]}");
