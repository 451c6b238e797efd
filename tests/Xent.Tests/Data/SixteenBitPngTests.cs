using Xent.Data;
using Xent.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Data;

/// <summary>
/// 16-bit PNGs give the bytes PIL 9.4 gives for them through <c>convert("RGB")</c>, as torchvision's ImageFolder loads an
/// image (tools/golden/gen_png16.py): gray clipped at 255, every other type each sample's high byte. ImageSharp scales
/// instead (v × 255 / 65535, rounded), so gray ones differed completely and colour ones by one (qa-s19-c L3).
/// </summary>
public class SixteenBitPngTests
{
    public static TheoryData<string> Files() =>
    [
        "gray16", "gray16_adam7", "gray16_trns", "rgb16", "rgb16_adam7", "grayalpha16", "grayalpha16_adam7", "rgba16",
        "rgba16_adam7",
    ];

    [Theory]
    [MemberData(nameof(Files))]
    public void ASixteenBitPngGivesPilsPixels(string name)
    {
        var expected = Npy.Read(Golden.PathOf("png16", name + ".rgb.npy"));
        Assert.Equal([5, 7, 3], expected.Shape.Select(d => (int)d));
        long[] hwc = expected.ToInt64();
        var bytes = ImageFolderSource.LoadPixels([Golden.PathOf("png16", name + ".png")], new DataOptions(), out int[] shape);
        // Gray PNGs come out as one channel (R = G = B everywhere in PIL's RGB too), colour ones as three planes.
        int channels = name.StartsWith("gray", StringComparison.Ordinal) ? 1 : 3;
        Assert.Equal([channels, 5, 7], shape);
        var want = new byte[channels * 35];
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < 35; p++) want[c * 35 + p] = (byte)hwc[3 * p + c];
        if (channels == 1)
            Assert.All(Enumerable.Range(0, 35), p => Assert.True(hwc[3 * p] == hwc[3 * p + 1] && hwc[3 * p] == hwc[3 * p + 2]));
        Assert.Equal(want, bytes);
    }
}
