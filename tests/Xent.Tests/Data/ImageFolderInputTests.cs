using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xent.Data;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Data;

/// <summary>
/// Image class folders as users lay them out: images too large to decode, sizes told height first, splits given as --data,
/// folders of photos xent does not read, and symbolic links (loops, broken ones). In the warnings collection, since some
/// tests catch the warnings.
/// </summary>
[Collection(WarningsCollection.Name)]
public class ImageFolderInputTests
{
    /// <summary>
    /// A BMP whose header claims <paramref name="width"/> × <paramref name="height"/> but whose pixels are those of a 2×2 image: the
    /// header alone says the size, and decoding it would need the claimed size's memory before failing.
    /// </summary>
    private static void BmpClaiming(string path, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var img = new Image<Rgb24>(2, 2)) img.SaveAsBmp(path);
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width); // BITMAPINFOHEADER: biWidth, biHeight
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>PNG's chunk checksum (ISO 3309 CRC-32), which ImageSharp checks before it reads a chunk.</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xffffffff;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xedb88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }

    [Fact]
    public void AnImageOverPilsPixelLimitIsRefusedFromItsHeaderBeforeDecoding()
    {
        // QA: a 26800 x 26800 PNG (697 KB) made `new byte[W * H * 3]` overflow in the decoder: exit 1, "internal error", 2.1 GB.
        using var dir = new TempDirectory();
        OwnDataFiles.Gray(dir.File("big/a/0.png"), 8, 8, (x, y) => 1);
        BmpClaiming(dir.File("big/b/huge.bmp"), 30000, 20000);
        // With or without a target size: ImageSharp decodes at full size before resizing.
        foreach (var options in new DataOptions?[] { null, new() { ImageSize = (8, 8) } })
        {
            var e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(dir.File("big"), options));
            Assert.Equal($"'{dir.File("big/b/huge.bmp")}' is 20000x30000 (height x width), 600000000 pixels, more than the 178956970 an " +
                "image may have (PIL's limit): downscale it with an image tool first (an image is decoded at full size before any " +
                "resizing).",
                e.Message);
        }
        // PIL's limit itself: 2 * Image.MAX_IMAGE_PIXELS, MAX_IMAGE_PIXELS = 1024 * 1024 * 1024 // 4 // 3.
        Assert.Equal(2L * (1024 * 1024 * 1024 / 4 / 3), ImageFolderSource.MaxPixels);
    }

    [Fact]
    public void ImagesOfAnotherSizeAreRefusedFromTheirHeadersAndSizesAreGivenHeightFirst()
    {
        using var dir = new TempDirectory();
        OwnDataFiles.Gray(dir.File("sizes/a/0.png"), 16, 16, (x, y) => 1);
        OwnDataFiles.Gray(dir.File("sizes/b/wide.png"), 20, 12, (x, y) => 1); // 20 wide, 12 high
        var e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(dir.File("sizes")));
        // --image-size takes HxW: "12x20" copied from here gives the image its own shape back, not a transposed one.
        Assert.Equal($"'{dir.File("sizes/b/wide.png")}' is 12x20 but '{dir.File("sizes/a/0.png")}' is 16x16 (height x width); all " +
            "images must have one size, or set DataOptions.ImageSize to resize them.", e.Message);
        Assert.EndsWith("all images must have one size, or pass --image-size HxW to resize them.", Assert.Throws<InvalidDataException>(
            () => ImageFolderSource.Load(dir.File("sizes"), new DataOptions { CommandLine = true })).Message);
        Assert.Equal([1, 12, 20], ImageFolderSource.Load(dir.File("sizes"), new DataOptions { ImageSize = (12, 20) }).SampleShape);

        // An image whose pixels cannot be decoded (a damaged IDAT chunk), of another size by its header: the size is what is
        // refused, so the header was read before the pixels.
        OwnDataFiles.Gray(dir.File("sizes/b/wide.png"), 40, 30, (x, y) => (byte)(x * y));
        var png = File.ReadAllBytes(dir.File("sizes/b/wide.png"));
        int idat = png.AsSpan().IndexOf("IDAT"u8), length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(idat - 4));
        png[idat + 4] = 0; // the zlib header's compression method: not deflate
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(idat + 4 + length), Crc32(png.AsSpan(idat, 4 + length))); // a valid chunk
        File.WriteAllBytes(dir.File("sizes/b/wide.png"), png);
        Assert.StartsWith("cannot decode image", Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(dir.File("sizes"),
            new DataOptions { ImageSize = (30, 40) })).Message);
        e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(dir.File("sizes")));
        Assert.StartsWith($"'{dir.File("sizes/b/wide.png")}' is 30x40 but ", e.Message);
    }

    [Fact]
    public void TheCnnSizeOfTheFirstImageIsCheckedBeforeAnyImageIsDecoded()
    {
        using var dir = new TempDirectory();
        OwnDataFiles.Gray(dir.File("photos/a/0.png"), 80, 72, (x, y) => 1);
        Directory.CreateDirectory(dir.File("photos/b"));
        File.WriteAllText(dir.File("photos/b/1.png"), "not a png"); // decoding it would be an error of its own
        var told = new List<(int, int)>();
        var e = Assert.Throws<ArgumentException>(() => ImageFolderSource.Load(dir.File("photos"), new DataOptions
        {
            CheckImageSize = (h, w) =>
            {
                told.Add((h, w));
                ModelCatalog.CheckCnnImageSize(h, w);
            },
        }));
        Assert.Equal([(72, 80)], told);
        Assert.StartsWith("72x80 (height x width) images would give the cnn model a fc1 layer of", e.Message);
    }

    [Fact]
    public void SizeComputationsDoNotWrapAround()
    {
        // 3 x (2^31 - 1)^2 is beyond a long: before, it wrapped to a negative count and passed the check.
        var e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.PixelCount(1, 3, int.MaxValue, int.MaxValue));
        Assert.StartsWith($"one image of 3x{int.MaxValue}x{int.MaxValue} (channels x height x width) is 13835058042397261827 values",
            e.Message);
        // 64 x (2^29)^2 = 2^64: a long fc1 size of 0, which the cnn's check took.
        var big = Assert.Throws<ArgumentException>(() => ModelCatalog.CheckCnnImageSize(1_073_741_828, 1_073_741_828));
        Assert.Contains("a fc1 layer of 18446744073709551616 inputs", big.Message);
        Assert.Equal("the cnn model needs images of at least 6x6, got 5x30 (height x width).",
            Assert.Throws<ArgumentException>(() => ModelCatalog.CheckCnnImageSize(5, 30)).Message);
    }

    [Fact]
    public void SplitFoldersGivenAsDataAreRefusedWithTheFoldersToPass()
    {
        // data/{train,test}/{cat,dog}: read as it is, the classes would be 'test' and 'train' (torchvision does that too).
        using var dir = new TempDirectory();
        foreach (var split in new[] { "train", "test" })
            foreach (var c in new[] { "cat", "dog" })
                OwnDataFiles.Gray(dir.File($"data/{split}/{c}/0.png"), 8, 8, (x, y) => 1);
        string data = dir.File("data");
        var e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(data));
        Assert.Equal($"'{data}' holds the splits test, train rather than class folders ('{data}/test' holds cat, dog): this looks " +
            $"like a split, so pass one split folder, such as '{data}/train' (and '{data}/test' to test on).", e.Message);
        // The CLI names its options (a library user loads each folder on its own: qa-s21-tutorial L1).
        var cli = new DataOptions { CommandLine = true };
        Assert.EndsWith($"such as --data {data}/train --test-data {data}/test.",
            Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(data, cli)).Message);
        // Evaluating, the test split is the one to pass.
        var spec = new ModelSpec
        {
            Model = "mlp", InputKind = ModelSpec.ImageInput, InputShape = [1, 8, 8], ClassNames = ["cat", "dog"], Mean = [0f],
            Std = [1f], Hidden = [4],
        };
        e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(data, new DataOptions { Spec = spec }));
        Assert.EndsWith($"such as '{data}/test'.", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(data, cli with { Spec = spec }));
        Assert.EndsWith($"such as --data {data}/test.", e.Message);
        // Only a test split (as --test-data of a training run, or --data): the folder is named, not an option.
        foreach (var c in new[] { "cat", "dog" })
            OwnDataFiles.Gray(dir.File($"only/test/{c}/0.png"), 8, 8, (x, y) => 1);
        e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(dir.File("only")));
        Assert.EndsWith($"this looks like a split, so pass one split folder, such as '{dir.File("only")}/test'.", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(dir.File("only"), cli));
        Assert.EndsWith($"this looks like a split, so pass one split folder, such as '{dir.File("only")}/test'.", e.Message);
        // Classes that happen to be named so, holding their images, are classes.
        OwnDataFiles.Gray(dir.File("named/train/0.png"), 8, 8, (x, y) => 1);
        OwnDataFiles.Gray(dir.File("named/test/0.png"), 8, 8, (x, y) => 2);
        Assert.Equal(["test", "train"], ImageFolderSource.Load(dir.File("named")).ClassNames);
    }

    [Fact]
    public void AClassFolderOfPhotosXentDoesNotReadNamesThem()
    {
        // The warning that counted the .heic files came after the loop, which the error for the empty class had left.
        using var dir = new TempDirectory();
        OwnDataFiles.Gray(dir.File("phone/a/0.png"), 8, 8, (x, y) => 1);
        Directory.CreateDirectory(dir.File("phone/c"));
        File.WriteAllText(dir.File("phone/c/IMG_1.HEIC"), "not decoded");
        File.WriteAllText(dir.File("phone/c/IMG_2.heic"), "not decoded");
        var e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(dir.File("phone")));
        Assert.Equal($"class folder '{dir.File("phone/c")}' holds no images that xent reads, only 2 .heic; convert them to PNG (xent " +
            "reads .png, .jpg, .jpeg, .bmp, .gif, .tif, .tiff, .webp).", e.Message);
    }

    [Fact]
    public void ASymbolicLinkLoopIsNotFollowedAndABrokenLinkIsNamed()
    {
        using var dir = new TempDirectory();
        for (int i = 0; i < 3; i++)
        {
            OwnDataFiles.Gray(dir.File($"loop/a/{i}.png"), 8, 8, (x, y) => 1);
            OwnDataFiles.Gray(dir.File($"loop/b/{i}.png"), 8, 8, (x, y) => 2);
        }
        // `ln -s .. loop/a/up` (QA: class 'a' read 583 images instead of 8), and two links that lead to each other.
        Directory.CreateSymbolicLink(dir.File("loop/a/up"), "..");
        OwnDataFiles.Gray(dir.File("loop/b/x/0.png"), 8, 8, (x, y) => 3);
        Directory.CreateDirectory(dir.File("loop/b/y"));
        Directory.CreateSymbolicLink(dir.File("loop/b/x/to-y"), dir.File("loop/b/y"));
        Directory.CreateSymbolicLink(dir.File("loop/b/y/to-x"), "../x");
        // A link to a folder outside, which is followed (once).
        OwnDataFiles.Gray(dir.File("more/0.png"), 8, 8, (x, y) => 4);
        Directory.CreateSymbolicLink(dir.File("loop/a/more"), dir.File("more"));
        ArrayDataset? d = null;
        var warnings = WarningCapture.During(() => d = ImageFolderSource.Load(dir.File("loop")));
        // a: 3 + more/0.png; b: 3 + x/0.png, and y/to-x/0.png once more (as os.walk would), x/to-y/to-x and y/to-x/to-y left out.
        Assert.Equal([4L, 5L], d!.ClassCounts());
        string Loop(string link, string target) => $"'{dir.File(link)}' is a link to '{dir.File(target)}', a folder it is in; it is " +
            "not followed (it would repeat the same images forever).";
        Assert.Equal([Loop("loop/a/up", "loop"), Loop("loop/b/x/to-y/to-x", "loop/b/x"), Loop("loop/b/y/to-x/to-y", "loop/b/y")],
            warnings.Order(StringComparer.Ordinal));

        File.CreateSymbolicLink(dir.File("loop/b/dead.png"), dir.File("gone.png"));
        var e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(dir.File("loop")));
        Assert.Equal($"'{dir.File("loop/b/dead.png")}' is a symbolic link to '{dir.File("gone.png")}', which does not exist; remove " +
            "the link or restore its target.", e.Message);
    }
}
