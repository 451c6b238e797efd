using System.Text;
using Xent.Data;
using Xent.Diagnostics;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Data;

/// <summary>
/// How a CSV/TSV file is tokenized and reported: quotes as RFC 4180 and Python's csv read them, UTF-8 only, the line numbers of
/// errors, spreadsheet exports, model feature names that hold any text, and numeric labels. The expected cells are those that
/// Python's <c>csv.reader</c> returns for the same text.
/// </summary>
[Collection(WarningsCollection.Name)]
public class CsvReadingTests
{
    private static ArrayDataset Load(TempDirectory dir, string name, string text, DataOptions? options = null)
    {
        string path = dir.File(name);
        File.WriteAllText(path, text);
        return CsvSource.Load(path, options);
    }

    private static string LoadError(TempDirectory dir, string name, string text, DataOptions? options = null)
    {
        var e = Assert.Throws<InvalidDataException>(() => Load(dir, name, text, options));
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public void AWideHeaderWithoutRowsIsRefusedWithoutWorkForEachColumn()
    {
        // qa-s18-big L5: a 44 MB header of 5,000,000 names took 32 s and 1.6 GB before this refusal: the separator check parsed
        // the header into names twice, the duplicate check made a group per name, and a column was set up for each name.
        using var dir = new TempDirectory();
        string path = dir.File("wide.csv");
        File.WriteAllText(path, string.Join(',', Enumerable.Range(0, 200_000).Select(i => "c" + i)) + "\n");
        long bytes = new FileInfo(path).Length;
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => CsvSource.Load(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal($"'{path}' has a header but no data rows.", e.Message);
        Assert.True(allocated < 40 * bytes, $"allocated {allocated} bytes for a header of {bytes}");
    }

    [Fact]
    public void AQuoteInsideAnUnquotedFieldIsText()
    {
        // Python: [['1', '12" pipe', 'x'], ['2', '5\'10" tall', 'y'], ['3', 'quoted, "ok"', 'x'], ['4', 'abc', 'y'],
        // ['5', 'say "hi" there', 'x']]. A reader that opens a quoted field at any quote merged rows 1 and 2 into one.
        using var dir = new TempDirectory();
        string path = dir.File("inch.csv");
        File.WriteAllText(path, "a,size,label\n1,12\" pipe,x\n2,5'10\" tall,y\n3,\"quoted, \"\"ok\"\"\",x\n4,\"ab\"c,y\n" +
            "5,say \"hi\" there,x\n");
        var (header, columns) = CsvSource.ReadTable(path);
        Assert.Equal(["a", "size", "label"], header);
        Assert.Equal(["1", "2", "3", "4", "5"], columns[0]);
        Assert.Equal(["12\" pipe", "5'10\" tall", "quoted, \"ok\"", "abc", "say \"hi\" there"], columns[1]);
        Assert.Equal(["x", "y", "x", "y", "x"], columns[2]);
    }

    [Fact]
    public void EveryRowOfAFileWithInchMarksIsASample()
    {
        // The QA file: 60 rows whose 'size' is 12" pipe, 10" pipe or short; 40 samples were read, silently.
        using var dir = new TempDirectory();
        string[] sizes = ["12\" pipe", "10\" pipe", "short"];
        var d = Load(dir, "inch.csv", "a,size,label\n" + string.Concat(Enumerable.Range(0, 60).Select(i =>
            $"{i % 2},{sizes[i % 3]},{"xy"[i % 2]}\n")));
        Assert.Equal(60, d.Count);
        Assert.Equal(["a", "size=10\" pipe", "size=12\" pipe", "size=short"], d.FeatureNames!);
        Assert.Equal([1f, 1f, 0f, 0f], d.Raw(1).ToArray());
        Assert.Equal(1L, d.Target(59));
    }

    [Fact]
    public void AQuotedFieldThatIsNeverClosedIsOneLineNamingItsLine()
    {
        using var dir = new TempDirectory();
        string message = LoadError(dir, "open.csv", "a,b,label\n1,2,x\n3,\"4,y\n5,6,x\n7,8,y\n");
        Assert.Contains("open.csv' line 3 opens a quoted field that is never closed", message);
    }

    [Fact]
    public void AFileThatIsNotUtf8IsRefusedWithItsLine()
    {
        // cp1252 'Orléans' and 'Orlèans' were both read as 'Orl\uFFFDans': one class where the file has two.
        using var dir = new TempDirectory();
        string path = dir.File("cp1252.csv");
        byte[] latin = [.. "x,label\n1,Orleans\n2,Orl"u8, 0xE9, .. "ans\n3,Orl"u8, 0xE8, .. "ans\n"u8];
        File.WriteAllBytes(path, latin);
        var e = Assert.Throws<InvalidDataException>(() => CsvSource.Load(path));
        Assert.StartsWith($"'{path}' is not UTF-8 text: line 3 holds byte 0xE9, which is not valid UTF-8", e.Message);
        Assert.Contains("Save it as UTF-8", e.Message);
        // The same from a .gz (the check reads the decompressed text), and in the header.
        Assert.Contains("line 3 holds byte 0xE9", Assert.Throws<InvalidDataException>(() =>
            DatasetFactory.Load(OwnDataFiles.Gzip(path))).Message);
        File.WriteAllBytes(path, [.. "x,L"u8, 0xE4, .. "nge\n1,2\n"u8]);
        Assert.Contains("line 1 holds byte 0xE4", Assert.Throws<InvalidDataException>(() => CsvSource.ReadHeader(path)).Message);
    }

    [Fact]
    public void Utf8AcrossReadsIsReadAndABadByteFarDownHasItsLine()
    {
        // 20,000 rows of 3-byte characters (640 KB, several reads of the reader's 64 KB buffer): characters that straddle two
        // reads must not look invalid. Then a lone 0xE9 at the start of line 15,001, many reads in.
        using var dir = new TempDirectory();
        string path = dir.File("many.csv");
        var rows = Enumerable.Range(0, 20000).Select(i => $"{i},{new string('\u732b', 8)}{i % 2}").ToArray();
        File.WriteAllText(path, "x,label\n" + string.Join("\n", rows) + "\n", new UTF8Encoding(false));
        var d = CsvSource.Load(path);
        Assert.Equal(20000, d.Count);
        Assert.Equal(2, d.ClassNames.Count);
        var bytes = File.ReadAllBytes(path).ToList();
        int line15001 = 0;
        for (int lines = 0; lines < 15000; line15001++) if (bytes[line15001] == '\n') lines++;
        bytes.Insert(line15001, 0xE9);
        File.WriteAllBytes(path, [.. bytes]);
        Assert.Contains("line 15001 holds byte 0xE9", Assert.Throws<InvalidDataException>(() => CsvSource.Load(path)).Message);
    }

    [Fact]
    public void Utf8CheckTakesSequencesSplitAcrossReadsOfOneByte()
    {
        // The worst case of the above: every read returns one byte, so every sequence of 2, 3 and 4 bytes is split.
        byte[] text = Encoding.UTF8.GetBytes("x,\u732b\r\nlabel,\u00e9\n\U0001F415,1\n");
        using (var check = new Utf8Check(new Trickle(text), "t.csv"))
        {
            var copy = new MemoryStream();
            check.CopyTo(copy);
            Assert.Equal(text, copy.ToArray());
        }
        byte[] bad = [.. text, .. "a,"u8, 0xF0, 0x9F, 0x90]; // a 4-byte sequence cut short by the end of the file, on line 4
        using var cut = new Utf8Check(new Trickle(bad), "t.csv");
        Assert.Contains("'t.csv' is not UTF-8 text: line 4 holds byte 0xF0",
            Assert.Throws<InvalidDataException>(() => cut.CopyTo(Stream.Null)).Message);
    }

    /// <summary>A stream that returns one byte per read.</summary>
    private sealed class Trickle(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 1)]);
    }

    [Fact]
    public void AUtf16FileWithItsByteOrderMarkIsStillRead()
    {
        // Excel's "Unicode Text" is UTF-16 with a byte order mark; the reader decodes it by the mark.
        using var dir = new TempDirectory();
        string path = dir.File("u16.csv");
        File.WriteAllText(path, "x,label\n1,Orl\u00e9ans\n2,Orl\u00e8ans\n3,Orl\u00e9ans\n", Encoding.Unicode);
        Assert.Equal(["Orl\u00e8ans", "Orl\u00e9ans"], CsvSource.Load(path).ClassNames);
    }

    [Fact]
    public void ErrorLinesCountTheLinesOfAQuotedFieldThatSpansLines()
    {
        // Row 1's note spans lines 2 to 4, so row 4 is on line 7 (row + 2 said line 5, which is "2,ok,y").
        using var dir = new TempDirectory();
        const string head = "a,note,label\n1,\"multi\nline\ntext\",x\n2,ok,y\n3,ok,x\n";
        Assert.Contains("column 'a' is empty on line 7 of", LoadError(dir, "e.csv", head + ",ok,y\n5,ok,x\n"));
        Assert.Contains("holds 'inf' on line 7 of", LoadError(dir, "i.csv", head + "inf,ok,y\n5,ok,x\n"));
        Assert.Contains("label column 'label' is empty on line 7 of", LoadError(dir, "l.csv", head + "4,ok,\n5,ok,x\n"));
        Assert.Contains("('oops' on line 7 of", LoadError(dir, "n.csv", head + "oops,ok,y\n5,ok,x\n",
            new DataOptions { Features = ["a"] }));

        // With a model: a label it does not know, a value it was not trained on, and a multi-label cell.
        var spec = new ModelSpec
        {
            Model = "linear", InputKind = ModelSpec.FeatureInput, InputShape = [3], ClassNames = ["x", "y"], Mean = new float[3],
            Std = [1f, 1f, 1f], FeatureNames = ["a", "note=ok", "note=multi\nline\ntext"], TargetColumn = "label",
        };
        Assert.Contains("label 'z' on line 7 of", LoadError(dir, "z.csv", head + "4,ok,z\n", new DataOptions { Spec = spec }));
        var warnings = WarningCapture.During(() => Load(dir, "u.csv", head + "4,new,y\n", new DataOptions { Spec = spec }));
        Assert.Contains(warnings, w => w.Contains("u.csv' holds 1 value(s) the model was not trained on (first 'new' on line 7)"));
        Assert.Contains("holds '2' on line 7 of", LoadError(dir, "m.csv", "a,note,p,q\n1,\"multi\nline\ntext\",0,1\n2,ok,1,0\n" +
            "3,ok,0,1\n4,ok,2,0\n", new DataOptions { MultiLabel = ["p", "q"] }));
    }

    [Fact]
    public void AMultiLabelListBesideAModelSpecMustBeTheModelsLabelsInOrder()
    {
        // The columns were read from DataOptions.MultiLabel and the labels named from the spec: labels given in another order were
        // swapped without a word, a longer list ran past the spec's labels (IndexOutOfRangeException), a shorter one read zeros.
        using var dir = new TempDirectory();
        const string text = "a,p,q,r\n1,1,0,1\n2,0,1,1\n3,1,1,0\n";
        var spec = new ModelSpec
        {
            Model = "linear", InputKind = ModelSpec.FeatureInput, InputShape = [1], ClassNames = ["p", "q"], Mean = new float[1],
            Std = [1f], FeatureNames = ["a"], MultiLabel = true,
        };
        // Each row's (p, q) cells, in the spec's order: what every accepted way of reading must give.
        float[][] expected = [[1f, 0f], [0f, 1f], [1f, 1f]];
        foreach (var options in new[] { new DataOptions { Spec = spec }, new DataOptions { Spec = spec, MultiLabel = ["p", "q"] } })
        {
            var data = Load(dir, "ok.csv", text, options);
            Assert.Equal(["p", "q"], data.ClassNames);
            for (int i = 0; i < expected.Length; i++)
            {
                var row = new float[2];
                data.CopyLabels(i, row);
                Assert.Equal(expected[i], row);
            }
        }
        foreach (string[] given in new[] { new[] { "q", "p" }, ["p", "q", "r"], ["p"] })
        {
            var e = Assert.Throws<ArgumentException>(() => Load(dir, "x.csv", text, new DataOptions { Spec = spec, MultiLabel = given }));
            Assert.StartsWith($"DataOptions.MultiLabel ({string.Join(", ", given)}) is not the model's labels in their order (p, q); ",
                e.Message, StringComparison.Ordinal);
        }
        var single = spec with { MultiLabel = false, ClassNames = ["x", "y"], TargetColumn = "p" };
        var s = Assert.Throws<ArgumentException>(
            () => Load(dir, "s.csv", text, new DataOptions { Spec = single, MultiLabel = ["p", "q"] }));
        Assert.StartsWith("DataOptions.MultiLabel names label columns (p, q), but the model is single-label (classes x, y); ", s.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void ATrailingSeparatorOnEveryLineIsNotAColumn()
    {
        // Some spreadsheet exports end every line in the separator: the header then has an empty last name.
        using var dir = new TempDirectory();
        const string rows = "a,b,label\n1,2,x\n3,4,y\n5,6,x\n";
        var expected = Load(dir, "plain.csv", rows);
        foreach (var (name, text) in new[]
        {
            ("comma.csv", rows.Replace("\n", ",\n")),
            ("semicolon.csv", rows.Replace(',', ';').Replace("\n", ";\n")),
            ("header-only.csv", rows.Replace("label\n", "label,\n")),
        })
        {
            var d = Load(dir, name, text);
            Assert.Equal(expected.FeatureNames!, d.FeatureNames!);
            Assert.Equal(expected.ClassNames, d.ClassNames);
            Assert.Equal(Enumerable.Range(0, 3).SelectMany(i => expected.Raw(i).ToArray()),
                Enumerable.Range(0, 3).SelectMany(i => d.Raw(i).ToArray()));
        }
        Assert.Contains("line 3 has a value ('9') in column 4, which has no name in the header line",
            LoadError(dir, "value.csv", "a,b,label,\n1,2,x,\n3,4,y,9\n"));
    }

    [Fact]
    public void ExcelsSepLineNamesTheSeparator()
    {
        using var dir = new TempDirectory();
        var d = Load(dir, "excel.csv", "sep=;\na;b;label\n1.5;2;x\n3;4;y\n");
        Assert.Equal(["a", "b"], d.FeatureNames!);
        Assert.Equal([1.5f, 2f], d.Raw(0).ToArray());
        // Its line counts: row 2 is on line 4.
        Assert.Contains("column 'b' is empty on line 4 of", LoadError(dir, "excel2.csv", "sep=;\na;b;label\n1;2;x\n3;;y\n"));
    }

    [Fact]
    public void ASemicolonFileWhoseHeaderQuotesACommaIsReadWithSemicolons()
    {
        using var dir = new TempDirectory();
        var d = Load(dir, "semi.csv", "\"len, cm\";b;label\n1.5;2;x\n3;4;y\n");
        Assert.Equal(["len, cm", "b"], d.FeatureNames!);
        Assert.Equal([1.5f, 2f], d.Raw(0).ToArray());
    }

    [Fact]
    public void FeatureNamesOfAnyTextReadBackThroughTheCheckpointSpec()
    {
        // A one-hot input is named column=value, and a checkpoint keeps only the names: names with '=' (split at the first
        // '=', 'grade=level=A' was looked up as column 'grade'), ',' ';' quotes and non-ASCII text must find their column again.
        using var dir = new TempDirectory();
        string[] names = ["grade=level", "a,b", "c;d", "say \"x\"", "Länge 猫", "k=v=w"];
        string Quote(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";
        var lines = new List<string> { string.Join(",", names.Select(Quote)) + ",label" };
        for (int i = 0; i < 12; i++)
            lines.Add(string.Join(",", new[] { "ABC"[i % 3].ToString(), $"{i}.5", "=x", $"{i % 2}", "é=1", "p=q" }.Select(Quote))
                + $",{"yz"[i % 2]}");
        string path = dir.File("names.csv");
        File.WriteAllLines(path, lines);
        var trained = CsvSource.Load(path);
        Assert.Equal(["grade=level=A", "grade=level=B", "grade=level=C", "a,b", "c;d==x", "say \"x\"", "Länge 猫=é=1", "k=v=w=p=q"],
            trained.FeatureNames!);

        var spec = new ModelSpec
        {
            Model = "linear", InputKind = ModelSpec.FeatureInput, InputShape = [trained.FeatureNames!.Count], ClassNames = ["y", "z"],
            Mean = new float[8], Std = Enumerable.Repeat(1f, 8).ToArray(), FeatureNames = [.. trained.FeatureNames!],
            TargetColumn = "label",
        };
        var stored = ModelSpec.FromMetadata(spec.ToMetadata())!;
        Assert.Equal(spec.FeatureNames, stored.FeatureNames);
        var read = CsvSource.Load(path, new DataOptions { Spec = stored });
        for (int i = 0; i < 12; i++) Assert.Equal(trained.Raw(i).ToArray(), read.Raw(i).ToArray());
        Assert.Equal(Enumerable.Range(0, 12).Select(trained.Target), Enumerable.Range(0, 12).Select(read.Target));
    }

    [Fact]
    public void FeatureNamesThatWouldReadBackFromAnotherColumnAreRefusedAtTraining()
    {
        // A numeric column 'a=b' and a text column 'a' holding 'b' give two inputs named 'a=b'.
        using var dir = new TempDirectory();
        string message = LoadError(dir, "clash.csv", "a,a=b,label\nb,1,x\nc,2,y\nb,3,x\nc,4,y\nb,5,x\n");
        Assert.Contains("the model's input 'a=b', the value 'b' of column 'a', would be read back as column 'a=b'", message);
    }

    [Fact]
    public void NumericLabelsSortByValueAndMatchAnotherSpellingOfTheSameValue()
    {
        // pandas writes an integer column with a missing value as floats: 0.0, 5.0, 10.0 (sorted as text: 0.0, 10.0, 5.0).
        Assert.Equal(["0.0", "5.0", "10.0"], CsvSource.SortClasses(["10.0", "0.0", "5.0"]));
        Assert.Equal(["-1.5", "0.25", "2", "10"], CsvSource.SortClasses(["10", "0.25", "-1.5", "2"]));
        Assert.Equal(["2", "9", "10"], CsvSource.SortClasses(["10", "9", "2"]));
        Assert.Equal(["1.0", "NaN", "x"], CsvSource.SortClasses(["x", "NaN", "1.0"])); // not all numbers: ordinal

        using var dir = new TempDirectory();
        var d = Load(dir, "f.csv", "a,label\n1,10.0\n2,0.0\n3,5.0\n4,0.0\n");
        Assert.Equal(["0.0", "5.0", "10.0"], d.ClassNames);
        Assert.Equal([2L, 0, 1, 0], Enumerable.Range(0, 4).Select(d.Target));

        // A checkpoint stores its class names in its own order: one trained before on the text order keeps it, and a file that
        // writes the labels as integers ('0' for '0.0') is read against it.
        var old = new ModelSpec
        {
            Model = "linear", InputKind = ModelSpec.FeatureInput, InputShape = [1], ClassNames = ["0.0", "10.0", "5.0"],
            Mean = [0f], Std = [1f], FeatureNames = ["a"], TargetColumn = "label",
        };
        var e = Load(dir, "ints.csv", "a,label\n1,10\n2,0\n3,5.0\n4,0.00\n", new DataOptions { Spec = old });
        Assert.Equal(["0.0", "10.0", "5.0"], e.ClassNames);
        Assert.Equal([1L, 0, 2, 0], Enumerable.Range(0, 4).Select(e.Target));
        // And the reverse: integer classes, float labels; '07' and '7' as before.
        var ints = old with { ClassNames = ["0", "5", "07", "7"] };
        var f = Load(dir, "floats.csv", "a,label\n1,5.0\n2,0.0\n3,07\n4,7.0\n", new DataOptions { Spec = ints });
        Assert.Equal([1L, 0, 2, 3], Enumerable.Range(0, 4).Select(f.Target));
    }

    [Fact]
    public void AResumedRunsClassOrderIsKeptWhenTheLabelsAreExactlyItsClasses()
    {
        // A checkpoint from before numeric labels sorted by value holds them in text order; its classes keep that order, also
        // when the file spells them as integers, and the targets follow it.
        using var dir = new TempDirectory();
        string[] old = ["0.0", "10.0", "5.0"];
        var d = Load(dir, "f.csv", "a,label\n1,10.0\n2,0.0\n3,5.0\n4,0.0\n", new DataOptions { ClassOrder = old });
        Assert.Equal(old, d.ClassNames);
        Assert.Equal([1L, 0, 2, 0], Enumerable.Range(0, 4).Select(d.Target));
        var e = Load(dir, "ints.csv", "a,label\n1,10\n2,0\n3,5\n4,0\n", new DataOptions { ClassOrder = old });
        Assert.Equal(old, e.ClassNames);
        Assert.Equal([1L, 0, 2, 0], Enumerable.Range(0, 4).Select(e.Target));
        // Other classes (one more, or one fewer) are the file's own, sorted, for the resume check to name the difference.
        var more = Load(dir, "more.csv", "a,label\n1,10\n2,0\n3,5\n4,7\n", new DataOptions { ClassOrder = old });
        Assert.Equal(["0", "5", "7", "10"], more.ClassNames);
        var fewer = Load(dir, "fewer.csv", "a,label\n1,10\n2,0\n3,0\n", new DataOptions { ClassOrder = old });
        Assert.Equal(["0", "10"], fewer.ClassNames);
    }

    [Fact]
    public void MissingValueMarkersInANumericColumnAreMissingValues()
    {
        // R's write.csv writes a missing value as NA, numpy's savetxt as nan, UCI's files as '?': with --missing mean they are
        // missing values (NaN here, imputed later), and the column stays one numeric feature; without it, an error.
        using var dir = new TempDirectory();
        string Rows(string marker, string other) => "kids,b,label\n" + string.Concat(Enumerable.Range(0, 60).Select(i =>
            $"{(i == 7 ? marker : i == 30 ? other : (i % 25).ToString())},{i},{"yn"[i % 2]}\n"));
        ArrayDataset? d = null;
        var warnings = WarningCapture.During(() => d = Load(dir, "na.csv", Rows("NA", "?"), new DataOptions { ImputeMissing = true }));
        Assert.Equal(["kids", "b"], d!.FeatureNames!);
        var row = new float[2];
        for (int i = 0; i < 60; i++)
        {
            d.CopyRaw(i, row);
            float kids = row[0];
            if (i is 7 or 30) Assert.True(float.IsNaN(kids), $"row {i}: {kids}");
            else Assert.Equal(i % 25, kids);
        }
        var note = Assert.Single(warnings, w => w.Contains("na.csv"));
        Assert.Contains("column 'kids' of '", note);
        Assert.Contains("2 cell(s) such as 'NA' (first on line 9) are read as missing values and imputed", note);

        string message = LoadError(dir, "nan.csv", Rows("nan", "nan"));
        Assert.Contains("column 'kids' holds 'nan' on line 9 of", message);
        Assert.Contains("(2 missing-value cell(s) in this column); set DataOptions.ImputeMissing to impute missing values", message);

        // In a text column such a value is one more category, and nothing is said.
        const string text = "c,label\nred,y\nNA,n\nblue,y\nred,n\nblue,y\nred,n\nblue,y\nred,n\n";
        warnings = WarningCapture.During(() => d = Load(dir, "text.csv", text, new DataOptions { ImputeMissing = true }));
        Assert.DoesNotContain(warnings, w => w.Contains("text.csv"));
        Assert.Equal(["c=NA", "c=blue", "c=red"], d!.FeatureNames!);
    }
}
