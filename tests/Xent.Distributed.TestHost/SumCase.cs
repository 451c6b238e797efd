namespace Xent.Distributed.TestHost;

/// <summary>Values whose float sum depends on the order of the additions: large terms of both signs and small ones.</summary>
public static class SumCase
{
    public static float Value(int rank, int i)
    {
        uint h = (uint)(i * 2654435761u) ^ (uint)(rank * 40503u + 17u);
        h ^= h >> 13;
        h *= 0x5bd1e995u;
        h ^= h >> 15;
        float unit = (h & 0xFFFFFF) / (float)0x1000000 - 0.5f;   // [-0.5, 0.5)
        return (h >> 24) % 3 == 0 ? unit * 1e7f : unit;            // a third are large
    }
}
