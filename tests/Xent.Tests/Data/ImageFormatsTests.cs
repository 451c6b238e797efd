using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using Xent.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Data;

/// <summary>Image kinds beyond PNG and JPEG; in the warnings collection, since it swaps the global warning handler.</summary>
[Collection(WarningsCollection.Name)]
public class ImageFormatsTests
{
    [Fact]
    public void TiffAndWebpImagesAreReadWithTheirExactPixels()
    {
        // torchvision's ImageFolder reads .tif, .tiff and .webp too; lossless copies of one PNG give the same floats.
        using var dir = new TempDirectory();
        OwnDataFiles.Gray(dir.File("src.png"), 3, 2, (x, y) => (byte)(10 * x + 100 * y + 7));
        using (var img = Image.Load(dir.File("src.png")))
        {
            Directory.CreateDirectory(dir.File("imgs/a"));
            Directory.CreateDirectory(dir.File("imgs/b"));
            img.Save(dir.File("imgs/a/1.TIF"), new TiffEncoder());
            img.Save(dir.File("imgs/a/2.tiff"), new TiffEncoder());
            img.Save(dir.File("imgs/b/1.webp"), new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
        }
        // A phone's .heic photo is not decoded: left out, with one warning that counts it.
        File.WriteAllText(dir.File("imgs/b/2.HEIC"), "not decoded");
        // Hidden files are not images here (as everywhere in a class folder), so this one is not counted.
        Directory.CreateDirectory(dir.File("imgs/b/.ipynb_checkpoints"));
        File.WriteAllText(dir.File("imgs/b/.ipynb_checkpoints/2.heic"), "not decoded");
        var messages = new List<string>();
        var saved = Xent.Diagnostics.Warnings.Handler;
        Xent.Diagnostics.Warnings.Reset();
        Xent.Diagnostics.Warnings.Handler = messages.Add;
        ArrayDataset d;
        try
        {
            d = ImageFolderSource.Load(dir.File("imgs"));
        }
        finally
        {
            Xent.Diagnostics.Warnings.Handler = saved;
        }
        Assert.Contains("holds images that are not read (1 .heic); convert them to PNG", Assert.Single(messages));
        Assert.Equal(3, d.Count);
        var expected = new[] { 7f, 17, 27, 107, 117, 127 }.Select(v => v / 255f).ToArray();
        for (int i = 0; i < 3; i++) Assert.Equal(expected, d.Raw(i).ToArray());
        Assert.Equal([0L, 0L, 1L], Enumerable.Range(0, 3).Select(i => d.Target(i)));
    }

    [Fact]
    public void AnAnimatedGifIsItsFirstFrameAndItsLaterFramesAreNotDecoded()
    {
        // PIL (and so torchvision's ImageFolder) reads an animated GIF's first frame; decoding every frame would let a file of
        // many frames take memory far beyond the pixel limit its header is checked against. The second frame is damaged here
        // (its width set to 0): a decoder that reads it fails, one that stops after the first frame does not.
        using var dir = new TempDirectory();
        using (var gif = new Image<L8>(4, 3))
        {
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 4; x++) gif[x, y] = new L8((byte)(x * 60 + y * 20));
            using var next = new Image<L8>(4, 3, new L8(200));
            for (int y = 0; y < 3; y++) next[1, y] = new L8(9); // not a flat frame, so it is encoded in full
            gif.Frames.AddFrame(next.Frames.RootFrame);
            Directory.CreateDirectory(dir.File("imgs/a"));
            Directory.CreateDirectory(dir.File("imgs/b"));
            gif.SaveAsGif(dir.File("imgs/a/full.gif"));
        }
        byte[] bytes = File.ReadAllBytes(dir.File("imgs/a/full.gif"));
        // The last image descriptor (0x2C, then left, top, width, height as 16-bit values) starts the second frame.
        int second = Array.LastIndexOf(bytes, (byte)0x2C);
        Assert.True(second > bytes.Length / 2, $"descriptor at {second} of {bytes.Length}");
        bytes[second + 5] = bytes[second + 6] = 0;
        File.WriteAllBytes(dir.File("imgs/b/damaged.gif"), bytes);
        var d = ImageFolderSource.Load(dir.File("imgs"));
        Assert.Equal(2, d.Count);
        var expected = Enumerable.Range(0, 12).Select(i => (i % 4 * 60 + i / 4 * 20) / 255f).ToArray();
        Assert.Equal(expected, d.Raw(0).ToArray());
        Assert.Equal(expected, d.Raw(1).ToArray());
    }
}
