using Xent.Kernels;
using Xunit;
using static Xent.Tests.Kernels.KernelTestUtil;

namespace Xent.Tests.Kernels;

/// <summary>
/// <see cref="Im2ColRows"/>, the implicit im2col operand, against <see cref="Im2Col.Unfold"/>'s explicit matrix: every panel
/// it packs must hold column k0 + kk of the unfolded matrix's transpose at [kk·mr + r], zeros past the panel's rows, and
/// nothing past the 16 floats of overrun it is allowed.
/// </summary>
public unsafe class Im2ColRowsTests
{
    /// <summary>cin, h, w, kh, kw, stride, pad.</summary>
    public static IEnumerable<object[]> Geometries =>
    [
        [4, 26, 26, 3, 3, 1, 0], // the MNIST CNN's conv2: panels across two output rows
        [3, 7, 9, 3, 3, 1, 0],   // 7 outputs per row: 14-row panels span exactly two rows
        [3, 7, 7, 3, 3, 1, 0],   // 5 outputs per row: 14-row panels span three rows (element-by-element gather)
        [2, 10, 30, 3, 2, 1, 1], // padding, non-square kernel
        [2, 9, 11, 2, 3, 2, 1],  // stride 2: the gather
        [5, 6, 6, 1, 1, 1, 0],   // pointwise
    ];

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Panels_AreTheTransposedUnfoldedMatrix(int cin, int h, int w, int kh, int kw, int stride, int pad)
    {
        var s = new Conv2dShape(1, cin, h, w, 3, kh, kw, stride, stride, pad, pad);
        int positions = s.OutHeight * s.OutWidth, k = s.PatchSize;
        var image = RandomArray(new Random(cin * 100 + h), s.InputImageSize);
        var col = new float[k * positions];
        Im2Col.Unfold(image, cin, h, w, kh, kw, stride, stride, pad, pad, col);
        var padded = new float[Im2ColRows.PaddedLength(in s)];
        const float Canary = 12345f;
        foreach (int mr in new[] { 14, 6, 4 })
        {
            foreach (int kc in new[] { k, Math.Max(1, k / 3) })
            {
                fixed (float* pp = padded)
                {
                    Im2ColRows.CopyPadded(in s, image, pp);
                    var rows = new Im2ColRows(in s, pp);
                    for (int row0 = 0; row0 < positions; row0 += mr)
                    {
                        int count = Math.Min(mr, positions - row0);
                        for (int k0 = 0; k0 < k; k0 += kc)
                        {
                            int depth = Math.Min(kc, k - k0);
                            var dst = new float[depth * mr + 32];
                            Array.Fill(dst, Canary);
                            fixed (float* pd = dst) rows.PackPanel(row0, count, k0, depth, mr, pd);
                            for (int kk = 0; kk < depth; kk++)
                                for (int r = 0; r < mr; r++)
                                {
                                    float expected = r < count ? col[(k0 + kk) * positions + row0 + r] : 0f;
                                    Assert.True(expected == dst[kk * mr + r],
                                        $"mr {mr}, rows {row0}+{r}, k {k0 + kk}: expected {expected}, got {dst[kk * mr + r]}");
                                }
                            for (int i = depth * mr + 16; i < dst.Length; i++) Assert.Equal(Canary, dst[i]);
                        }
                    }
                }
            }
        }
    }
}
