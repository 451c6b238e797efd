using SixLabors.ImageSharp;
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
}
