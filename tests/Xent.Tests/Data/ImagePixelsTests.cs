using Xent.Data;
using Xent.IO;
using Xent.Tests.IO;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Data;

/// <summary>
/// Image folders are held as 8-bit pixels (<see cref="ArrayDataset.FromPixels"/>): every value must be the float a float-held
/// dataset of <c>byte / 255</c> gives, through every view, and the channels must come out as the folder's images say.
/// </summary>
public class ImagePixelsTests
{
    private static ArrayDataset[] PixelAndFloatTwins(int n, int[] shape, int seed)
    {
        var rng = new Random(seed);
        int size = shape[0] * shape[1] * shape[2];
        var pixels = new byte[n * size];
        rng.NextBytes(pixels);
        var floats = pixels.Select(b => b / 255f).ToArray();
        var targets = Enumerable.Range(0, n).Select(i => (long)(i % 3)).ToArray();
        string[] classes = ["a", "b", "c"];
        return [ArrayDataset.FromPixels(pixels, shape, targets, classes), new ArrayDataset(floats, shape, targets, classes)];
    }

    [Fact]
    public void PixelsGiveTheFloatsOfByteOver255ThroughEveryView()
    {
        var twins = PixelAndFloatTwins(40, [3, 4, 5], seed: 1);
        var (pixels, floats) = (twins[0], twins[1]);
        Assert.False(pixels.HasMissing());
        Assert.True(pixels.IsImage);
        for (int i = 0; i < pixels.Count; i++) Assert.Equal(floats.Raw(i), pixels.Raw(i));

        var (mean, std) = pixels.ComputeStandardization();
        var (fMean, fStd) = floats.ComputeStandardization();
        Assert.Equal(fMean, mean);
        Assert.Equal(fStd, std);

        // A split's standardised view, as training reads it: the same bits as the float twin's.
        int[] rows = [39, 0, 17, 17, 5];
        var p = pixels.Subset(rows).Standardized(mean, std);
        var f = floats.Subset(rows).Standardized(mean, std);
        var a = new float[60];
        var b = new float[60];
        for (int i = 0; i < rows.Length; i++)
        {
            p.CopySample(i, a);
            f.CopySample(i, b);
            Assert.Equal(b, a);
            Assert.Equal(rows[i] % 3, p.Target(i));
        }
        // And against the formula itself, in float64, for the first value of each channel of one sample.
        var raw = pixels.Subset(rows).Raw(2);
        var standardized = Standardized(p, 2);
        for (int c = 0; c < 3; c++) Assert.Equal(((double)raw[c * 20] - mean[c]) / std[c], standardized[c * 20], 5);
    }

    private static float[] Standardized(ArrayDataset d, int i)
    {
        var x = new float[d.SampleShape.Aggregate(1, (a, b) => a * b)];
        d.CopySample(i, x);
        return x;
    }

    [Fact]
    public void PixelsAreImagesOfAWholeNumberOfSamples()
    {
        Assert.Throws<ArgumentException>(() => ArrayDataset.FromPixels(new byte[12], [12], [0L], ["a"]));
        Assert.Throws<ArgumentException>(() => ArrayDataset.FromPixels(new byte[13], [1, 3, 4], [0L], ["a"]));
        Assert.Throws<ArgumentException>(() => ArrayDataset.FromPixels(new byte[12], [1, 3, 4], [1L], ["a"]));
        Assert.Throws<ArgumentNullException>(() => ArrayDataset.FromPixels(null!, [1, 3, 4], [0L], ["a"]));
        var d = ArrayDataset.FromPixels(new byte[24], [1, 3, 4], [0L, 0L], ["a"]);
        Assert.Throws<ArgumentException>(() => d.CopyRaw(0, new float[11]));
    }

    [Fact]
    public void AGrayImageAmongColourOnesFillsAllThreeChannels()
    {
        using var dir = new TempDirectory();
        OwnDataFiles.Gray(dir.File("imgs/a/1.png"), 3, 2, (x, y) => (byte)(40 * x + 7 * y));
        OwnDataFiles.Rgb(dir.File("imgs/b/1.png"), 3, 2, (x, y) => (9, (byte)x, 200));
        var d = ImageFolderSource.Load(dir.File("imgs"));
        Assert.Equal([3, 2, 3], d.SampleShape);
        float[] plane = [0, 40, 80, 7, 47, 87];
        Assert.Equal(plane.Concat(plane).Concat(plane).Select(v => v / 255f), d.Raw(0));
        Assert.Equal(new float[] { 9, 9, 9, 9, 9, 9, 0, 1, 2, 0, 1, 2, 200, 200, 200, 200, 200, 200 }.Select(v => v / 255f), d.Raw(1));
    }

    [Fact]
    public void AColourImageForAGrayModelIsItsBt709Luminance()
    {
        using var dir = new TempDirectory();
        (byte R, byte G, byte B)[] colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (10, 200, 30), (7, 7, 7), (128, 64, 250)];
        OwnDataFiles.Rgb(dir.File("photo.png"), 3, 2, (x, y) => colours[3 * y + x]);
        var spec = new ModelSpec
        {
            Model = "cnn", InputKind = ModelSpec.ImageInput, InputShape = [1, 2, 3], ClassNames = ["a", "b"], Mean = [0f], Std = [1f],
        };
        var x = ImageFolderSource.LoadImages([dir.File("photo.png")], new DataOptions { Spec = spec }, out var shape);
        Assert.Equal([1, 2, 3], shape);
        // ITU-R BT.709 luma, rounded to a byte: ImageSharp's L8, which a gray model has always been given.
        var expected = colours.Select(c => (byte)(0.2126 * c.R + 0.7152 * c.G + 0.0722 * c.B + 0.5) / 255f);
        Assert.Equal(expected, x);
    }

    [Fact]
    public void PredictingAFolderReadsItsPixelsInChunksAsTheFloatsWouldBe()
    {
        // 300 images: two chunks of the predictor's 256, the second one short (the pixels repeat every 251 images, not 256).
        using var dir = new TempDirectory();
        for (int i = 0; i < 300; i++)
            OwnDataFiles.Gray(dir.File($"imgs/{i:000}.png"), 4, 3, (x, y) => (byte)((i * 7 + 31 * x + 5 * y) % 251));
        var spec = new ModelSpec
        {
            Model = "linear", InputKind = ModelSpec.ImageInput, InputShape = [1, 3, 4], ClassNames = ["a", "b", "c"], Mean = [0.4f],
            Std = [0.3f],
        };
        var predictor = new Predictor(ModelCatalog.Create(spec, new Generator(3)), spec);
        var decoded = new System.Collections.Concurrent.ConcurrentBag<int>();
        var predicted = new List<(int, int)>();
        predictor.Predicted = (done, total) => predicted.Add((done, total));
        var fromPath = predictor.PredictPath(dir.File("imgs"), (done, _) => decoded.Add(done));
        Assert.Equal(300, decoded.Max()); // the progress of reading the folder reaches every image
        Assert.Equal([(256, 300), (300, 300)], predicted); // and prediction's, a chunk at a time
        predictor.Predicted = null;
        var files = ImageFolderSource.ImageFiles(dir.File("imgs"));
        var floats = ImageFolderSource.LoadImages(files, new DataOptions { Spec = spec }, out _);
        var fromFloats = predictor.PredictBatch(floats, files.Length);
        Assert.Equal(files, fromPath.Select(p => p.Input));
        for (int i = 0; i < files.Length; i++) Assert.Equal(fromFloats[i], fromPath[i].Probabilities);
        Assert.True(fromFloats.Select(p => p[0]).Distinct().Count() > 100); // the images differ, and so do their predictions
    }

    [Fact]
    public void Uint8NpyImagesAreHeldAsPixelsWithClassesOrLabels()
    {
        using var dir = new TempDirectory();
        byte[] bytes = [0, 1, 2, 3, 255, 254, 128, 127, 9, 18, 27, 36];
        string x = dir.File("x.npy"), classes = dir.File("y.npy"), labels = dir.File("m.npy");
        Npy.Write(x, new NpyArray(bytes, 3, 2, 2));
        Npy.Write(classes, new NpyArray(new long[] { 7, 5, 7 }, 3));
        Npy.Write(labels, new NpyArray(new float[] { 1, 0, 0, 1, 1, 1 }, 3, 2));

        var d = NpySource.Load(x, new DataOptions { Labels = classes });
        Assert.Equal([1, 2, 2], d.SampleShape);
        Assert.Equal(["5", "7"], d.ClassNames);
        for (int i = 0; i < 3; i++) Assert.Equal(bytes.Skip(4 * i).Take(4).Select(b => b / 255f), d.Raw(i));
        Assert.Equal([1L, 0, 1], Enumerable.Range(0, 3).Select(d.Target));

        var m = NpySource.Load(x, new DataOptions { Labels = labels });
        Assert.True(m.IsMultiLabel);
        Assert.Equal(bytes.Skip(8).Select(b => b / 255f), m.Raw(2));
        var row = new float[2];
        m.CopyLabels(1, row);
        Assert.Equal([0f, 1f], row);
        Assert.Equal([2L, 2], m.ClassCounts());
    }

    [Fact]
    public void MoreImagesThanOneArrayHoldsIsAClearError()
    {
        // 100,000 RGB photos of 96x96 are 2,764,800,000 values; an array holds 2,147,483,591 (Array.MaxLength).
        Assert.Equal(2_147_483_591L, ImageFolderSource.PixelCount(1, 1, 1, 2_147_483_591));
        var e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.PixelCount(100_000, 3, 96, 96));
        Assert.StartsWith("100000 images of 3x96x96 (channels x height x width) are 2764800000 values, more than the 2147483591",
            e.Message);
        // A library user is told the option's member, the CLI its flag (qa-s21-tutorial L1).
        Assert.EndsWith("; set DataOptions.ImageSize to make them smaller, or use fewer images.", e.Message);
        Assert.EndsWith("; pass --image-size to make them smaller, or use fewer images.",
            Assert.Throws<InvalidDataException>(() => ImageFolderSource.PixelCount(100_000, 3, 96, 96, commandLine: true)).Message);
    }
}
