namespace Xent;

/// <summary>
/// Moves a class dim to the end and back: (outer, C, inner) ↔ rows (outer·inner, C), the layout the
/// softmax and cross-entropy kernels work on. Row r = o·inner + i holds x[o, :, i], so the rows come
/// out in the order of the target (N, d1, …, dk). When inner = 1 the data is already in row layout
/// and is returned as is (no copy).
/// </summary>
internal static class ClassRows
{
    public static float[] ToRows(float[] src, int outer, int classes, int inner)
    {
        if (inner == 1) return src;
        var dst = GC.AllocateUninitializedArray<float>(src.Length);
        for (int o = 0; o < outer; o++)
        {
            int block = o * classes * inner;
            for (int c = 0; c < classes; c++)
            {
                int s = block + c * inner, d = block + c;
                for (int i = 0; i < inner; i++, d += classes) dst[d] = src[s + i];
            }
        }
        return dst;
    }

    public static float[] FromRows(float[] rows, int outer, int classes, int inner)
    {
        if (inner == 1) return rows;
        var dst = GC.AllocateUninitializedArray<float>(rows.Length);
        for (int o = 0; o < outer; o++)
        {
            int block = o * classes * inner;
            for (int c = 0; c < classes; c++)
            {
                int d = block + c * inner, s = block + c;
                for (int i = 0; i < inner; i++, s += classes) dst[d + i] = rows[s];
            }
        }
        return dst;
    }
}
