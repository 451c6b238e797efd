using Xent.Data;
using Xent.IO;
using Xent.Models;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Data;

/// <summary>The file sources (CSV/TSV, image class folders, .npy pairs), splits and standardisation, on files the tests write.</summary>
public class OwnDataSourceTests
{
    [Fact]
    public void CsvReadsStringLabelsSortedAndOneHotEncodesATextColumn()
    {
        using var dir = new TempDirectory();
        string path = dir.File("t.csv");
        File.WriteAllText(path, "a,color,label\n1.5,red,cat\n-2,blue,dog\n0.25,red,ant\n3,blue,cat\n7,red,dog\n8,blue,cat\n");
        var d = CsvSource.Load(path, new DataOptions { Target = "label" });
        Assert.Equal(["ant", "cat", "dog"], d.ClassNames);
        Assert.Equal(["a", "color=blue", "color=red"], d.FeatureNames!);
        Assert.Equal([1, 2, 0, 1, 2, 1], Enumerable.Range(0, d.Count).Select(i => (int)d.Target(i)));
        Assert.Equal([1.5f, 0f, 1f], d.Raw(0).ToArray());
        Assert.Equal([-2f, 1f, 0f], d.Raw(1).ToArray());
        Assert.False(d.IsImage);
    }

    [Fact]
    public void AColumnWhoseFirstTextIsFarDownKeepsEveryCellsExactText()
    {
        // 'grade' looks numeric for 300 rows, then holds 'x': a one-hot column whose categories are the cells as written
        // ('1.50', not 1.5), which a reader that keeps only numbers until then must read again.
        using var dir = new TempDirectory();
        string path = dir.File("late.csv");
        string[] grades = ["1.50", "2", "x"];
        File.WriteAllLines(path, ["v,grade,label", .. Enumerable.Range(0, 400).Select(i =>
            FormattableString.Invariant($"{i * 0.5},{(i < 300 ? grades[i % 2] : grades[i % 3])},{(i % 2 == 0 ? "a" : "b")}"))]);
        var d = CsvSource.Load(path);
        Assert.Equal(["v", "grade=1.50", "grade=2", "grade=x"], d.FeatureNames!);
        Assert.Equal([0f, 1f, 0f, 0f], d.Raw(0).ToArray());
        Assert.Equal([0.5f, 0f, 1f, 0f], d.Raw(1).ToArray());
        Assert.Equal([150f, 1f, 0f, 0f], d.Raw(300).ToArray()); // 300 % 3 = 0: '1.50'
        Assert.Equal([151f, 0f, 0f, 1f], d.Raw(302).ToArray()); // 'x

        // A model's one-hot column stays one-hot in a file where every value of it looks like a number.
        var spec = new ModelSpec
        {
            Model = "mlp", InputKind = ModelSpec.FeatureInput, InputShape = [4], ClassNames = ["a", "b"], Mean = new float[4],
            Std = [1f, 1f, 1f, 1f], Hidden = [8], FeatureNames = [.. d.FeatureNames!], TargetColumn = "label",
        };
        string numeric = dir.File("numeric.csv");
        File.WriteAllLines(numeric, ["grade,v", "2,1", "1.50,2"]);
        var p = CsvSource.Load(numeric, new DataOptions { Spec = spec, LabelsOptional = true });
        Assert.Equal([1f, 0f, 1f, 0f], p.Raw(0).ToArray());
        Assert.Equal([2f, 1f, 0f, 0f], p.Raw(1).ToArray());
    }

    [Fact]
    public void IntegerLabelsSortNumericallyAndTsvAndGzipAreRead()
    {
        using var dir = new TempDirectory();
        string path = dir.File("t.tsv");
        File.WriteAllText(path, "x\ty\n1\t10\n2\t2\n3\t10\n4\t9\n");
        var d = DatasetFactory.Load(OwnDataFiles.Gzip(path), new DataOptions { Target = "y" });
        Assert.Equal(["2", "9", "10"], d.ClassNames);
        Assert.Equal([2L, 0, 2, 1], Enumerable.Range(0, 4).Select(i => d.Target(i)));
    }

    [Theory]
    [InlineData("a,b,label\n1,2,x\n3,4\n", null, "column")]                               // ragged row
    [InlineData("a,b,label\n1,2,x\n3,4,y\n", "nope", "no target column 'nope'")]
    [InlineData("a,date,label\n1,2024-01-01,x\n2,2024-01-02,y\n3,2024-01-03,x\n", null, "column 'date' is not numeric")]
    [InlineData("a,b,label\n1,,x\n3,4,y\n", null, "column 'b' is empty on line 2")]
    [InlineData("a,b,label\n1,2,\n3,4,y\n", null, "label column 'label' is empty on line 2")]
    [InlineData("a;b;label\n0,5;1;x\n1,25;2;y\n", null,
        "column 'a' is not numeric ('0,5' on line 2 of '")] // a decimal comma, in a file with few rows: not numeric
    [InlineData("a;b;label\n0,5;1;x\n1,25;2;y\n", null, "'0,5' looks like a number with a decimal comma")]
    // Fields separated by spaces (scikit-learn's Linnerud file), then by tabs in a .csv: one column, and a hint saying why.
    [InlineData("Chins Situps Jumps\n5 162 60\n2 110 60\n", null,
        "no feature columns besides the label column(s). Its first line ('Chins Situps Jumps') is one column, as if its fields were " +
        "separated by spaces or tabs")]
    [InlineData("a\tb\tlabel\n1\t2\tx\n", null, "as if its fields were separated by spaces or tabs")]
    // No header line (scikit-learn's digits file): the first row's repeated numbers are not column names.
    [InlineData("0,0,5,13\n0,1,5,9\n", null, "has no header line: its first line holds numbers (0, 0, 5, 13, …)")]
    public void CsvErrorsAreOneClearMessage(string text, string? target, string expected)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.csv");
        File.WriteAllText(path, text);
        var e = Assert.Throws<InvalidDataException>(() => CsvSource.Load(path, new DataOptions { Target = target }));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ASemicolonCsvReadsAsTheCommaOneDoesUnlessItsHeaderHasACommaToo()
    {
        // Spreadsheets in decimal-comma locales save "CSV" with ';' between the cells.
        using var dir = new TempDirectory();
        const string rows = "a,color,label\n1.5,red,cat\n-2,blue,dog\n0.25,red,ant\n3,blue,cat\n7,red,dog\n8,blue,cat\n";
        string comma = dir.File("comma.csv"), semicolon = dir.File("semicolon.csv");
        File.WriteAllText(comma, rows);
        File.WriteAllText(semicolon, rows.Replace(',', ';'));
        var expected = CsvSource.Load(comma);
        foreach (var d in new[] { CsvSource.Load(semicolon), DatasetFactory.Load(OwnDataFiles.Gzip(semicolon)) })
        {
            Assert.Equal(expected.ClassNames, d.ClassNames);
            Assert.Equal(expected.FeatureNames!, d.FeatureNames!);
            Assert.Equal(Enumerable.Range(0, expected.Count).Select(i => expected.Target(i)),
                Enumerable.Range(0, d.Count).Select(i => d.Target(i)));
            Assert.Equal(Enumerable.Range(0, expected.Count).SelectMany(i => expected.Raw(i).ToArray()),
                Enumerable.Range(0, d.Count).SelectMany(i => d.Raw(i).ToArray()));
        }
        // A comma in the header keeps ',' as the separator: a ';' is then part of a name.
        string mixed = dir.File("mixed.csv");
        File.WriteAllText(mixed, "a;b,label\n1,x\n2,y\n");
        Assert.Equal(["a;b"], CsvSource.Load(mixed).FeatureNames!);
    }

    [Fact]
    public void AOneColumnCsvKeepsBlankCellsBetweenRowsAndDropsBlankLinesAtTheEnd()
    {
        using var dir = new TempDirectory();
        // Line 4 is an empty cell between two values (a missing value); lines 6 and 7 are the file's trailing blank lines.
        string path = dir.File("one.csv");
        File.WriteAllText(path, "a\n1\n\n3\n4\n\n\n");
        var (header, columns) = CsvSource.ReadTable(path);
        Assert.Equal(["a"], header);
        Assert.Equal(["1", "", "3", "4"], columns[0]);
        // With more columns the same trailing lines are not rows either.
        File.WriteAllText(path, "a,b\n1,2\n3,4\n\n\n");
        Assert.Equal(["1", "3"], CsvSource.ReadTable(path).Columns[0]);
    }

    [Fact]
    public void MissingValuesAreImputedWithTheTrainingMean()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.csv");
        File.WriteAllText(path, "a,label\n1,x\n,y\n4,x\n7,y\n");
        var d = CsvSource.Load(path, new DataOptions { ImputeMissing = true });
        Assert.True(float.IsNaN(d.Raw(1)[0]));
        var (mean, std) = d.ComputeStandardization();
        // Mean of 1, 4, 7 is 4; the imputed column 1, 4, 4, 7 has population variance (9 + 0 + 0 + 9) / 4.
        Assert.Equal(4f, mean[0]);
        Assert.Equal((float)Math.Sqrt(18.0 / 4), std[0]);
        var s = d.Standardized(mean, std);
        var x = new float[1];
        s.CopySample(1, x);
        Assert.Equal(0f, x[0]);
        s.CopySample(0, x);
        Assert.Equal((1f - 4f) / (float)Math.Sqrt(18.0 / 4), x[0]);
    }

    [Fact]
    public void HiddenFilesAndFoldersAreNotImagesOrClasses()
    {
        // Jupyter's checkpoint folders and macOS's '._' resource files sit beside real images; the '._' file is not a PNG
        // at all, so reading it would fail, and '.ipynb_checkpoints' would be a class of its own.
        using var dir = new TempDirectory();
        OwnDataFiles.Gray(dir.File("imgs/a/1.png"), 3, 2, (x, y) => 10);
        OwnDataFiles.Gray(dir.File("imgs/a/nested/2.PNG"), 3, 2, (x, y) => 20);
        OwnDataFiles.Gray(dir.File("imgs/b/1.png"), 3, 2, (x, y) => 30);
        OwnDataFiles.Gray(dir.File("imgs/.ipynb_checkpoints/1.png"), 3, 2, (x, y) => 40);
        OwnDataFiles.Gray(dir.File("imgs/b/.ipynb_checkpoints/1-checkpoint.png"), 3, 2, (x, y) => 50);
        File.WriteAllText(dir.File("imgs/a/._1.png"), "not a png");
        var d = DatasetFactory.Load(dir.File("imgs"));
        Assert.Equal(["a", "b"], d.ClassNames);
        Assert.Equal(new[] { 10f, 20, 30 }, Enumerable.Range(0, d.Count).Select(i => MathF.Round(d.Raw(i)[0] * 255f)));
        Assert.Equal([0L, 0, 1], Enumerable.Range(0, d.Count).Select(i => d.Target(i)));
        Assert.Equal([dir.File("imgs/b/1.png")], ImageFolderSource.ImageFiles(dir.File("imgs/b")));
    }

    [Fact]
    public void GrayAndRgbImageFoldersKeepTheirChannelsAndExactPixels()
    {
        using var dir = new TempDirectory();
        OwnDataFiles.Gray(dir.File("gray/a/1.png"), 3, 2, (x, y) => (byte)(10 * x + 100 * y));
        OwnDataFiles.Gray(dir.File("gray/b/1.png"), 3, 2, (x, y) => 255);
        var g = ImageFolderSource.Load(dir.File("gray"));
        Assert.Equal([1, 2, 3], g.SampleShape);
        Assert.Equal(["a", "b"], g.ClassNames);
        Assert.Equal(new[] { 0f, 10, 20, 100, 110, 120 }.Select(v => v / 255f), g.Raw(0).ToArray());

        OwnDataFiles.Rgb(dir.File("rgb/cat/1.png"), 2, 2, (x, y) => ((byte)(x + 2 * y), 50, 200));
        OwnDataFiles.Rgb(dir.File("rgb/dog/x.png"), 2, 2, (x, y) => (1, 2, 3));
        var c = DatasetFactory.Load(dir.File("rgb"));
        Assert.Equal([3, 2, 2], c.SampleShape);
        Assert.Equal(new[] { 0f, 1, 2, 3, 50, 50, 50, 50, 200, 200, 200, 200 }.Select(v => v / 255f), c.Raw(0).ToArray());
        Assert.Equal(1, c.Target(1));
    }

    [Fact]
    public void ImageFolderErrorsNameTheFileOrFolder()
    {
        using var dir = new TempDirectory();
        OwnDataFiles.Gray(dir.File("mixed/a/1.png"), 4, 4, (x, y) => 1);
        OwnDataFiles.Gray(dir.File("mixed/b/2.png"), 5, 4, (x, y) => 1);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(dir.File("mixed")));
        Assert.Contains("is 4x5 but", e.Message); // height x width, as --image-size takes it
        Assert.Contains("set DataOptions.ImageSize to resize them", e.Message);
        // Resized, the same images load at one size.
        Assert.Equal([1, 3, 3], ImageFolderSource.Load(dir.File("mixed"), new DataOptions { ImageSize = (3, 3) }).SampleShape);

        OwnDataFiles.Gray(dir.File("empty/a/1.png"), 4, 4, (x, y) => 1);
        Directory.CreateDirectory(dir.File("empty/b"));
        e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(dir.File("empty")));
        Assert.Contains("holds no images", e.Message);
        Assert.Contains(Path.Combine("empty", "b"), e.Message);

        OwnDataFiles.Gray(dir.File("corrupt/a/1.png"), 4, 4, (x, y) => 1);
        Directory.CreateDirectory(dir.File("corrupt/b"));
        File.WriteAllText(dir.File("corrupt/b/2.png"), "not a png");
        e = Assert.Throws<InvalidDataException>(() => ImageFolderSource.Load(dir.File("corrupt")));
        Assert.Contains("cannot decode image", e.Message);
        Assert.Contains("2.png", e.Message);
    }

    [Fact]
    public void NpyPairsReadAnyDtypeAndCheckTheLabelCount()
    {
        using var dir = new TempDirectory();
        var (x, y) = OwnDataFiles.NpyPair(dir.Path, 9);
        var d = NpySource.Load(x, new DataOptions { Labels = y });
        Assert.Equal([3], d.SampleShape);
        Assert.Equal(["0", "1", "2"], d.ClassNames);
        Assert.Equal((float)Npy.Read(x).ToFloat64()[4], d.Raw(1)[1]);

        string shortLabels = dir.File("short.npy");
        Npy.Write(shortLabels, new long[] { 0, 1 }, [2]);
        var e = Assert.Throws<InvalidDataException>(() => NpySource.Load(x, new DataOptions { Labels = shortLabels }));
        Assert.Contains("holds 9 samples", e.Message);

        string multi = dir.File("multi.npy");
        Npy.Write(multi, new float[18].Select((_, i) => (float)(i % 2)).ToArray(), [9, 2]);
        var m = NpySource.Load(x, new DataOptions { Labels = multi });
        Assert.True(m.IsMultiLabel);
        var row = new float[2];
        m.CopyLabels(0, row);
        Assert.Equal([0f, 1f], row);
    }

    [Fact]
    public void NarrowDtypesAndAColumnVectorOfClassesRead()
    {
        // numpy's int16 (2, 3) golden as features; labels as an (N, 1) column, as sklearn and pandas give them: classes, not a
        // one-label multi-label matrix (whose entries would have to be 0 or 1).
        using var dir = new TempDirectory();
        string labels = dir.File("y.npy");
        Npy.Write(labels, new long[] { 7, 5 }, [2, 1]);
        var d = NpySource.Load(Golden.PathOf("io", "npy_widen_i2_2x3.npy"), new DataOptions { Labels = labels });
        Assert.False(d.IsMultiLabel);
        Assert.Equal(["5", "7"], d.ClassNames);
        Assert.Equal([1L, 0L], new[] { d.Target(0), d.Target(1) });
        Assert.Equal([-32768f, -1f, 0f], d.Raw(0).ToArray());
        Assert.Equal([1f, 300f, 32767f], d.Raw(1).ToArray());
    }

    [Fact]
    public void NpyTextLabelsAreClassNames()
    {
        // numpy's '<U3' golden (cat, dog, ant, dog) as the labels of four samples: classes sorted as a CSV's text labels are.
        using var dir = new TempDirectory();
        string x = dir.File("x.npy");
        Npy.Write(x, new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, [4, 2]);
        var d = NpySource.Load(x, new DataOptions { Labels = Golden.PathOf("io", "npy_text_u3_4.npy") });
        Assert.Equal(["ant", "cat", "dog"], d.ClassNames);
        Assert.Equal([1L, 2, 0, 2], Enumerable.Range(0, 4).Select(i => d.Target(i)));

        // Three labels for four samples: the counts.
        var e = Assert.Throws<InvalidDataException>(() =>
            NpySource.Load(x, new DataOptions { Labels = Golden.PathOf("io", "npy_text_u4_3x1.npy") }));
        Assert.Contains("holds 3 labels, but", e.Message);

        // An empty string among them would be a class without a name: refused, as a CSV's empty label cell is.
        string blank = dir.File("blank.npy");
        const string Dict = "{'descr': '<U1', 'fortran_order': False, 'shape': (4,), }";
        byte[] header = System.Text.Encoding.Latin1.GetBytes(Dict.PadRight(117) + "\n"); // 10 + 118 bytes: a multiple of 64
        byte[] utf32 = System.Text.Encoding.UTF32.GetBytes("ab\0b"); // 'a', 'b', '', 'b' as <U1 cells
        File.WriteAllBytes(blank, [0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, 0, .. header, .. utf32]);
        e = Assert.Throws<InvalidDataException>(() => NpySource.Load(x, new DataOptions { Labels = blank }));
        Assert.Equal($"'{blank}' holds an empty label at index 2; every sample needs its class.", e.Message);
    }

    [Fact]
    public void StratifiedSplitKeepsEachClassShareAndIsSeeded()
    {
        var targets = Enumerable.Range(0, 100).Select(i => i < 80 ? 0L : 1L).ToArray();
        var d = new ArrayDataset(new float[100], [1], targets, ["a", "b"]);
        var (train, held) = DataSplits.Stratified(d, 0.25, seed: 4);
        Assert.Equal(20, held.Count(i => targets[i] == 0));
        Assert.Equal(5, held.Count(i => targets[i] == 1));
        Assert.Equal(Enumerable.Range(0, 100), train.Concat(held).Order());
        Assert.Equal(held, DataSplits.Stratified(d, 0.25, seed: 4).HeldOut);
        Assert.NotEqual(held, DataSplits.Stratified(d, 0.25, seed: 5).HeldOut);
    }

    [Fact]
    public void ImageStatisticsArePerChannelInFloat64()
    {
        // Two 2-channel 1x2 images: channel 0 holds 1, 2, 3, 4; channel 1 holds 10, 10, 10, 10 (constant: std 1).
        var d = new ArrayDataset([1, 2, 10, 10, 3, 4, 10, 10], [2, 1, 2], [0L, 1L], ["a", "b"]);
        var (mean, std) = d.ComputeStandardization();
        Assert.Equal([2.5f, 10f], mean);
        Assert.Equal([(float)Math.Sqrt(1.25), 1f], std);
    }

    [Fact]
    public void TheSizedCnnIsTheTutorialsModelAt28x28AndAdaptsElsewhere()
    {
        var a = new MnistCnn(new Generator(9)).StateDict();
        var b = ModelCatalog.Create(ModelCatalog.LegacySpec("cnn", ClassNames.Digits), new Generator(9)).StateDict();
        foreach (var (k, v) in a) Assert.True(v.Data.SequenceEqual(b[k].Data), k);

        var rgb = new MnistCnn(3, 12, 10, 4, new Generator(1));
        Assert.Equal([128, 64 * 4 * 3], rgb.Fc1.Weight.Shape);
        using (Tensor.NoGrad())
            Assert.Equal([2, 4], rgb.Eval().Forward(Tensor.Zeros([2, 3, 12, 10])).Shape);
        var mlp = new Mlp(5, [4, 3], 2, new Generator(1));
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"], mlp.StateDict().Keys);
    }
}
