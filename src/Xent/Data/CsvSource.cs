using System.Globalization;
using System.Text;
using CsvHelper;
using Xent.IO;
using Xent.Training;

namespace Xent.Data;

/// <summary>
/// Reads a CSV or TSV file (<c>.csv</c>, <c>.tsv</c>, optionally <c>.gz</c>) with a header row into an
/// <see cref="ArrayDataset"/> of feature vectors, parsed by CsvHelper as RFC 4180 says (a quote opens a quoted field only at
/// the start of a field). The label column holds string or numeric labels; the class names are its distinct values, sorted
/// (numerically when all are numbers, else ordinally).
/// Numeric columns become float32 features; a text column with few distinct values (at most 20, and at most half
/// the rows) is one-hot encoded as <c>column=value</c> features; any other text column is rejected by name.
/// </summary>
public static class CsvSource
{
    /// <summary>Most distinct values a text column may have to be one-hot encoded.</summary>
    public const int MaxCategories = 20;

    /// <summary>True for the file names this source reads.</summary>
    public static bool Handles(string path) =>
        WithoutGz(path).EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || IsTsv(path);

    /// <summary>Whether the name ends in <c>.gz</c>: the file is gzipped (read, and written by <c>xent predict</c>, so).</summary>
    internal static bool IsGzip(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the name, without a <c>.gz</c>, ends in <c>.tsv</c>: the cells are separated by tabs.</summary>
    internal static bool IsTsv(string path) => WithoutGz(path).EndsWith(".tsv", StringComparison.OrdinalIgnoreCase);

    private static string WithoutGz(string path) => IsGzip(path) ? path[..^3] : path;

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">One line naming the problem: a ragged row, an unknown column, a non-numeric feature, an empty
    /// cell, …</exception>
    /// <exception cref="ArgumentException"><see cref="DataOptions.MultiLabel"/> names other label columns than
    /// <see cref="DataOptions.Spec"/>'s labels, or is given for a single-label spec.</exception>
    public static ArrayDataset Load(string path, DataOptions? options = null)
    {
        options ??= new DataOptions();
        var spec = options.Spec;
        RequireSpecLabels(options);
        bool multi = options.MultiLabel is { Count: > 0 } || spec?.MultiLabel == true;
        var table = CsvColumns.Read(path, h => TextColumnsToKeep(h, options, multi), progress: options.Progress, requireRows: true);
        // One lookup of the names: Array.IndexOf for each of a model's features made eval of a 60,000-column file take 30 s.
        var file = new TableFile(path, table, HeaderIndex(table.Header));
        int[] labelCols = LabelColumnNames(table.Header, options, multi).Select(n => file.Column(n, multi ? "label" : "target")).ToArray();
        var (features, featureValues) = spec is not null
            ? ModelFeatures(file, spec, labelCols, multi, options)
            : ChosenFeatures(file, labelCols, options);
        var inputs = InputMatrix(featureValues, table.Rows);
        if (multi)
        {
            var (labels, names) = MultiLabels(file, labelCols, spec, options);
            return new ArrayDataset(inputs, [features.Count], labels, names, features);
        }
        var (targets, classNames) = ClassTargets(file, labelCols, spec, options);
        return new ArrayDataset(inputs, [features.Count], targets, classNames, features);
    }

    /// <summary>
    /// The table <see cref="Load"/> reads, with each column's index by name (<see cref="HeaderIndex"/>).
    /// </summary>
    private sealed record TableFile(string Path, CsvColumns Table, Dictionary<string, int> ColumnOf)
    {
        /// <summary>The index of column <paramref name="name"/>, the file's <paramref name="what"/>; an error naming the columns if
        /// none.</summary>
        public int Column(string name, string what) => ColumnOf.TryGetValue(name, out int i) ? i
            : throw new InvalidDataException(
                $"'{Path}' has no {what} column '{name}'; its columns are: {string.Join(", ", Table.Header)}.");
    }

    /// <summary>The features a model <paramref name="spec"/> was trained on, read from the columns of those names.</summary>
    private static (List<string> Names, List<float[]> Values) ModelFeatures(TableFile file, ModelSpec spec, int[] labelCols, bool multi,
        DataOptions options)
    {
        var (path, table, columnOf) = file;
        string[] header = table.Header;
        var features = new List<string>();
        var featureValues = new List<float[]>();
        if (spec.InputKind != ModelSpec.FeatureInput)
            throw new InvalidDataException($"'{path}' is a table, but the model takes {spec.InputKind} input of shape " +
                $"({string.Join(", ", spec.InputShape)}).");
        // A feature model without column names (trained on a .npy array, or a spec built without FeatureNames): which
        // column is which input cannot be told, and "takes features input" named no problem.
        if (spec.FeatureNames is null)
            throw new InvalidDataException($"'{path}' is a table, but the model records no names for its " +
                $"{string.Join(" x ", spec.InputShape)} input features (it was trained on an array, not a table), so its " +
                "columns cannot be matched to them; give the features as a .npy array in the training order.");
        // A label column that is also one of the model's inputs was kept as text, not read as numbers: say so.
        foreach (int lc in labelCols)
            if (spec.FeatureNames.Any(f => FeatureColumn(f, columnOf).Column == lc))
                throw new InvalidDataException($"'{header[lc]}' is one of the model's input columns, so it cannot be its " +
                    $"{(multi ? "label" : "target")} column; the model was trained on {string.Join(", ", spec.FeatureNames)}.");
        var categories = new Dictionary<int, HashSet<string>>(); // each one-hot column's values the model knows
        var texts = new Dictionary<int, string[]>();
        foreach (var name in spec.FeatureNames)
        {
            var (c, value) = FeatureColumn(name, columnOf);
            if (c < 0)
                throw new InvalidDataException(name.Count(ch => ch == '=') > 1
                    ? $"'{path}' lacks the column of the model's input '{name}', which the model was trained on."
                    : $"'{path}' lacks column '{name.Split('=')[0]}', which the model was trained on.");
            if (value is null)
                featureValues.Add(Numeric(path, table, c, options.ImputeMissing || spec.ImputeMissing, allowText: false,
                    training: false, options)!);
            else
            {
                if (!texts.TryGetValue(c, out var cells)) texts[c] = cells = table.Texts(c);
                featureValues.Add(Indicator(cells, value));
                if (!categories.TryGetValue(c, out var known)) categories[c] = known = new HashSet<string>(StringComparer.Ordinal);
                known.Add(value);
            }
            features.Add(name);
        }
        WarnUnseenCategories(path, table, texts, categories);
        return (features, featureValues);
    }

    /// <summary>
    /// The features to train on: the columns <see cref="DataOptions.Features"/> names, else every column but the labels; numbers
    /// as they are, a text column with few values one-hot encoded (<c>column=value</c>).
    /// </summary>
    private static (List<string> Names, List<float[]> Values) ChosenFeatures(TableFile file, int[] labelCols, DataOptions options)
    {
        var (path, table, columnOf) = file;
        string[] header = table.Header;
        int rows = table.Rows;
        var features = new List<string>();
        var featureValues = new List<float[]>();
        var chosen = options.Features is { Count: > 0 } f ? f.Select(n => file.Column(n, "feature")).ToArray()
            : Enumerable.Range(0, header.Length).Where(i => !labelCols.Contains(i)).ToArray();
        if (chosen.Length == 0)
            throw new InvalidDataException($"'{path}' has no feature columns besides the label column(s)." + OneColumnHint(header));
        // pandas' to_csv writes its row index as a first column without a name: as a feature it would let the model learn the
        // row order.
        if (chosen.FirstOrDefault(c => header[c].Length == 0, -1) is int unnamed and >= 0)
            throw new InvalidDataException($"column {unnamed + 1} of '{path}' has no name in the header line" +
                (unnamed == 0 ? " (pandas writes its row index so: save with to_csv(..., index=False))" : "") +
                "; name it, or pick the feature columns with " + options.Advice("--features.", "DataOptions.Features."));
        var origins = new List<(int Column, string? Value)>(); // where each feature comes from
        // The columns with a cell that is not a number are one-hot candidates (or errors): their cells, in one more pass.
        table.LoadTexts(chosen.Where(table.HasText));
        foreach (int c in chosen)
        {
            if (labelCols.Contains(c)) throw new InvalidDataException($"column '{header[c]}' is a label; it cannot also be a feature.");
            var numeric = Numeric(path, table, c, options.ImputeMissing, allowText: true, training: true, options);
            if (numeric is not null)
            {
                features.Add(header[c]);
                origins.Add((c, null));
                featureValues.Add(numeric);
                continue;
            }
            var cells = table.Texts(c);
            var values = cells.Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            if (values.Length > MaxCategories || values.Length * 2 > rows)
            {
                // Numeric returned null, so some non-empty cell does not parse: name the first, with its line.
                var (bad, badCell) = table.FirstText(c);
                throw new InvalidDataException(
                    $"column '{header[c]}' is not numeric ('{badCell}' on line {table.Line(bad)} of '{path}') and has " +
                    $"{values.Length} distinct values, too many to one-hot encode (at most {MaxCategories}, and at most half " +
                    "the rows); fix the value or leave the column out " +
                    options.Advice("with --features.", "of DataOptions.Features.") + DecimalCommaHint(badCell!));
            }
            if (!options.ImputeMissing && table.FirstEmpty(c) is int empty and >= 0)
                throw new InvalidDataException($"column '{header[c]}' is empty on line {table.Line(empty)} of '{path}'; fill it in " +
                    options.Advice("or pass --missing mean.", "or set DataOptions.ImputeMissing."));
            foreach (var v in values)
            {
                features.Add($"{header[c]}={v}");
                origins.Add((c, v));
                featureValues.Add(Indicator(cells, v));
            }
        }
        CheckFeatureNamesReadBack(features, origins, header, columnOf);
        return (features, featureValues);
    }

    /// <summary>The (rows, features) input matrix, row-major, from the feature columns.</summary>
    private static float[] InputMatrix(List<float[]> featureValues, int rows)
    {
        int nf = featureValues.Count;
        var inputs = new float[(long)rows * nf];
        for (int j = 0; j < nf; j++)
        {
            var col = featureValues[j];
            for (int i = 0; i < rows; i++) inputs[(long)i * nf + j] = col[i];
        }
        return inputs;
    }

    /// <summary>The (rows, labels) 0/1 matrix of a multi-label table, and the labels' names.</summary>
    private static (float[] Labels, IReadOnlyList<string> Names) MultiLabels(TableFile file, int[] labelCols, ModelSpec? spec,
        DataOptions options)
    {
        var (path, table, _) = file;
        string[] header = table.Header;
        int rows = table.Rows;
        IReadOnlyList<string> names = spec?.ClassNames ?? options.MultiLabel!.ToArray();
        var labels = new float[(long)rows * names.Count];
        for (int l = 0; l < labelCols.Length; l++)
        {
            var col = table.Texts(labelCols[l]);
            for (int i = 0; i < rows; i++)
            {
                labels[(long)i * names.Count + l] = col[i] switch
                {
                    "1" or "1.0" or "true" or "True" => 1f,
                    "0" or "0.0" or "false" or "False" => 0f,
                    var v =>
                    throw new InvalidDataException($"label column '{header[labelCols[l]]}' holds '{v}' on line {table.Line(i)} of " +
                    $"'{path}'; multi-label columns must be 0 or 1."),
                };
            }
        }
        return (labels, names);
    }

    /// <summary>
    /// Each row's class index and the class names: the model's, else <see cref="DataOptions.ClassOrder"/> when the labels are
    /// its classes, else the labels' distinct values sorted (<see cref="SortClasses"/>). All zero when there is no label column
    /// (predicting with a model).
    /// </summary>
    private static (long[] Targets, IReadOnlyList<string> ClassNames) ClassTargets(TableFile file, int[] labelCols, ModelSpec? spec,
        DataOptions options)
    {
        var (path, table, _) = file;
        string[] header = table.Header;
        int rows = table.Rows;
        var targets = new long[rows];
        IReadOnlyList<string> classNames;
        if (labelCols.Length == 0)
        {
            classNames = spec?.ClassNames ?? throw new InvalidDataException($"'{path}' has no label column.");
        }
        else
        {
            var col = table.Texts(labelCols[0]);
            if (Array.IndexOf(col, "") is int e and >= 0)
                throw new InvalidDataException($"label column '{header[labelCols[0]]}' is empty on line {table.Line(e)} of '{path}'.");
            var distinct = col.Distinct(StringComparer.Ordinal).ToArray();
            classNames = spec?.ClassNames ?? SameClasses(distinct, options.ClassOrder) ?? SortClasses(distinct);
            var classOf = ClassLookup(classNames);
            for (int i = 0; i < rows; i++)
            {
                if (!classOf(col[i], out int k))
                    throw new InvalidDataException($"label '{col[i]}' on line {table.Line(i)} of '{path}' is not one of " +
                        $"{options.ClassesOwner} ({string.Join(", ", classNames)}).");
                targets[i] = k;
            }
        }
        return (targets, classNames);
    }

    /// <summary>
    /// Class names in label order: numerically when every value is a number (integers, or floats such as pandas writes for an
    /// integer column with a missing value: <c>0.0</c>, <c>5.0</c>, <c>10.0</c>), else ordinally. A checkpoint stores its class
    /// names in this order, so changing the rule changes no trained model's classes.
    /// </summary>
    public static string[] SortClasses(IEnumerable<string> values)
    {
        var v = values.ToArray();
        if (v.All(s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)))
            return v.OrderBy(s => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();
        if (v.All(s => IsNumber(s, out _)))
            return v.OrderBy(s => IsNumber(s, out double d) ? d : 0).ThenBy(s => s, StringComparer.Ordinal).ToArray();
        return v.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// <paramref name="order"/> when <paramref name="labels"/> (distinct) are exactly its classes, each matching one by name or
    /// by numeric value and every one matched; otherwise null.
    /// </summary>
    private static IReadOnlyList<string>? SameClasses(string[] labels, IReadOnlyList<string>? order)
    {
        if (order is null) return null;
        var classOf = ClassLookup(order);
        var hit = new bool[order.Count];
        foreach (string label in labels)
        {
            if (!classOf(label, out int k)) return null;
            hit[k] = true;
        }
        return Array.TrueForAll(hit, h => h) ? order : null;
    }

    /// <summary>Whether <paramref name="s"/> is a finite number (invariant culture), and its value.</summary>
    private static bool IsNumber(string s, out double value) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>Finds a label's class: by name, or as a number of the same value.</summary>
    private delegate bool ClassFinder(string label, out int index);

    /// <summary>
    /// The class of a label among <paramref name="classNames"/>: by name, or, for a label written as another number of the same
    /// value ('0' for a model's '0.0', '7' for '07'), by value.
    /// </summary>
    private static ClassFinder ClassLookup(IReadOnlyList<string> classNames)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < classNames.Count; k++) index[classNames[k]] = k;
        var byValue = ClassesByValue(classNames);
        return (string label, out int k) =>
            index.TryGetValue(label, out k) || (IsNumber(label, out double value) && byValue.TryGetValue(value, out k));
    }

    /// <summary>
    /// The classes whose names are numbers, by value: a name written as that value's shortest form ('7') is preferred to
    /// another one of the same value ('07'); a value two other names share is left out.
    /// </summary>
    private static Dictionary<double, int> ClassesByValue(IReadOnlyList<string> classNames)
    {
        var byValue = new Dictionary<double, int>();
        var shared = new HashSet<double>();
        for (int k = 0; k < classNames.Count; k++)
            if (IsNumber(classNames[k], out double v) && classNames[k] == v.ToString(CultureInfo.InvariantCulture)) byValue[v] = k;
        for (int k = 0; k < classNames.Count; k++)
            if (IsNumber(classNames[k], out double v) && !byValue.TryAdd(v, k) && byValue[v] != k
                && classNames[byValue[v]] != v.ToString(CultureInfo.InvariantCulture))
                shared.Add(v);
        foreach (double v in shared) byValue.Remove(v);
        return byValue;
    }

    /// <summary>
    /// The label column <see cref="Load"/> uses for <paramref name="path"/>: <paramref name="target"/>, else the last header column.
    /// </summary>
    public static string TargetColumn(string path, string? target = null)
    {
        if (target is not null) return target;
        return ReadHeader(path)[^1];
    }

    /// <summary>The column names of <paramref name="path"/>'s first line, read without the rows.</summary>
    internal static string[] ReadHeader(string path)
    {
        using var reader = OpenReader(path);
        return Header(reader, path, out _);
    }

    /// <summary>
    /// The column names that are numbers: a first line of data taken as the header, or scikit-learn's line of counts and class
    /// names (<c>150,4,setosa,versicolor,virginica</c>), which its own data files have instead of a header.
    /// </summary>
    internal static string[] NumericNames(IEnumerable<string> header) =>
        [.. header.Where(h => double.TryParse(h, NumberStyles.Float, CultureInfo.InvariantCulture, out _))];

    /// <summary>
    /// A hint for a header read as one column whose name has spaces or tabs inside (empty otherwise): a file whose fields are
    /// separated by whitespace, as scikit-learn's diabetes and Linnerud files are.
    /// </summary>
    private static string OneColumnHint(string[] header) =>
        header.Length == 1 && header[0].Trim().IndexOfAny([' ', '\t']) > 0
            ? $" Its first line ('{(header[0].Length > 40 ? header[0][..40] + "…" : header[0])}') is one column, as if its fields were " +
                "separated by spaces or tabs, but xent separates a .csv file's by ',' (or ';') and a .tsv file's by tabs. Convert it, " +
                "e.g. with pandas: pd.read_csv(path, sep=r'\\s+').to_csv('out.csv', index=False) (add header=None for a file without " +
                "a header line, and name the columns)."
            : "";

    /// <summary>A hint for a cell such as '0,25' that is a number with a decimal comma (empty otherwise).</summary>
    private static string DecimalCommaHint(string cell) =>
        cell.Contains(',') && TryParse(cell.Replace(',', '.'), out _)
            ? $" '{cell}' looks like a number with a decimal comma: xent reads numbers with a decimal point ('{cell.Replace(',', '.')}')."
            : "";

    /// <summary>
    /// How the reader splits and trims: cells are trimmed of spaces outside and inside quotes (as the Sep reader xent used
    /// before did), every line is counted (for the line numbers of errors, past quoted fields that span lines), and blank
    /// lines are returned, so that <see cref="ReadRows"/> tells a blank line at the end from one between rows.
    /// </summary>
    private static readonly CsvReaderOptions s_options = CsvReaderOptions.Default with
    {
        TrimWhitespace = true,
        TrimInsideQuotes = true,
        WhitespaceCharacters = " ",
        TrackLineNumbers = true,
        SkipEmptyLines = false,
        DetectSeparatorHint = false,
    };

    /// <summary>The file's bytes, decompressed and checked to be UTF-8 (see <see cref="Utf8Check"/>).</summary>
    private static Stream OpenBytes(string path, bool gz, Action<int, int>? progress = null)
    {
        var file = FileReading.OpenRead(path);
        // A pipe (--data lin.csv, a link to /dev/stdin fed by `cat … |`) gives its bytes once; refused before any is taken, where
        // the first read of the rows failed with .NET's bare "Stream does not support seeking."
        if (!file.CanSeek)
        {
            file.Dispose();
            throw PipeInput.ReadTwice(path, "a CSV file", "its first line for the separator, then its rows", "data.csv");
        }
        Stream stream = progress is null ? file : new ProgressStream(file, progress);
        if (gz) stream = new GzipLengthCheck(stream, path);
        return new Utf8Check(stream, path);
    }

    /// <summary>
    /// The separator: a tab for .tsv; for .csv, ',' unless the header line is one field when split at commas and several when
    /// split at semicolons (spreadsheets in locales whose decimal mark is a comma save "CSV" with ';' between the cells; a name
    /// such as "len, cm" is quoted there, and its comma is no separator). Null when the first line is Excel's <c>sep=;</c>,
    /// which names the separator: the reader then takes it from that line and skips the line.
    /// </summary>
    private static char? Separator(string path, bool gz)
    {
        if (IsTsv(path)) return '\t';
        string header = FirstLine(path, gz);
        if (header.Length == 5 && header.StartsWith("sep=", StringComparison.Ordinal)) return null;
        return Fields(header, ',') == 1 && Fields(header, ';') > 1 ? ';' : ',';
    }

    /// <summary>How many fields <paramref name="line"/> holds when split at <paramref name="separator"/>.</summary>
    private static int Fields(string line, char separator)
    {
        // Without quotes, every separator splits: counted, not parsed into names (a 5,000,000-column header was, twice).
        if (!line.Contains('"', StringComparison.Ordinal)) return line.AsSpan().Count(separator) + 1;
        using var reader = CsvReader.FromText(line, s_options with { Separator = separator });
        return reader.Headers.Count;
    }

    /// <summary>The file's first line (empty for an empty file).</summary>
    private static string FirstLine(string path, bool gz)
    {
        using var text = new StreamReader(OpenBytes(path, gz));
        try
        {
            return text.ReadLine() ?? "";
        }
        catch (InvalidDataException e) when (gz && !GzipLengthCheck.IsTruncation(e) && !GzipLengthCheck.IsDamage(e)
            && e.InnerException is not DecoderFallbackException)
        {
            // GZipStream's own text ("unsupported compression method") does not say that the file is not gzip at all, and misleads.
            throw new InvalidDataException($"'{path}' is not a gzip file, though its name ends in .gz: its first bytes are not gzip's " +
                "(1f 8b). If it is plain text, rename it without .gz.", e);
        }
    }

    /// <summary>A hint for a file whose header holds numbers (empty when none does), to append to an error about its shape.</summary>
    internal static string NumericHeaderHint(string[] header) => NumericNames(header) is { Length: > 0 } numeric
        ? $" Its first line is read as the header but holds numbers ({string.Join(", ", numeric.Take(5))}): a file without a header, or " +
            "scikit-learn's own format (a first line of counts), needs a header line of column names; see docs/DATA.md."
        : "";

    /// <summary>
    /// Opens <paramref name="path"/> positioned before its header. A quote opens a quoted field only at the start of a field (RFC
    /// 4180, Python's csv, pandas): one inside a field, as in <c>12" pipe</c>, is text. A quoted field that is never closed
    /// would run to the end of the file, so it is refused with its line.
    /// </summary>
    private static CsvReader OpenReader(string path, Action<int, int>? progress = null)
    {
        bool gz = IsGzip(path);
        char? separator = Separator(path, gz);
        var bytes = OpenBytes(path, gz, progress);
        try
        {
            // The reader owns the stream. ReadRows checks the cell count itself: it skips blank lines at the end and names a
            // ragged row's line plainly.
            return CsvReader.Create(bytes, s_options with
            {
                Separator = separator,
                DetectSeparatorHint = separator is null,
                OnMalformedRecord = m =>
                {
                    if (m.Reason == CsvMalformedReason.UnterminatedQuote)
                        throw new InvalidDataException($"'{path}' line {m.LineNumber} opens a quoted field that is never closed: a cell " +
                            "that starts with '\"' ends at the next '\"' (a quote inside it is written twice, \"\"); close it.");
                },
            }, leaveOpen: false);
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The header's column names. A header line that ends in a separator (a spreadsheet's trailing ',' on every line) has an
    /// empty last name: that column is left out (<paramref name="trailingSeparator"/>), and <see cref="ReadRows"/> refuses a
    /// row with a value in it. Names must be unique.
    /// </summary>
    private static string[] Header(CsvReader reader, string path, out bool trailingSeparator)
    {
        string[] names = [.. reader.Headers];
        trailingSeparator = names.Length > 1 && names[^1].Length == 0;
        if (trailingSeparator) names = names[..^1];
        // A set, not GroupBy: a group for each of a 5,000,000-column header's names took seconds and a gigabyte (qa-s18-big L5).
        var seen = new HashSet<string>(names.Length, StringComparer.Ordinal);
        string? repeated = names.FirstOrDefault(n => !seen.Add(n));
        if (repeated is null) return names;
        if (NumericNames(names) is { Length: > 0 } numeric)
            // A file of numbers without a header (scikit-learn's digits.csv.gz): its first row repeats values such as 0.
            throw new InvalidDataException($"'{path}' has no header line: its first line holds numbers " +
                $"({string.Join(", ", numeric.Take(5))}, …), read as column names that repeat. xent reads the first line as the " +
                "header: give the file a header line of column names (see docs/DATA.md).");
        throw new InvalidDataException($"'{path}' names column '{repeated}' more than once in its header line; column names must " +
            "be unique.");
    }

    /// <summary>The header and the cells column by column (trimmed).</summary>
    public static (string[] Header, string[][] Columns) ReadTable(string path)
    {
        List<string>[] cols = [];
        string[] header = [];
        ReadRows(path, h =>
        {
            header = h;
            cols = new List<string>[h.Length];
            for (int c = 0; c < cols.Length; c++) cols[c] = [];
            return (c, _, cell) => cols[c].Add(cell.ToString());
        });
        return (header, cols.Select(c => c.ToArray()).ToArray());
    }

    /// <summary>
    /// Receives the trimmed cell of data row <paramref name="row"/> (0-based) in column <paramref name="column"/>.
    /// </summary>
    internal delegate void CellSink(int column, int row, ReadOnlySpan<char> cell);

    /// <summary>
    /// Reads <paramref name="path"/> row by row: <paramref name="start"/> gets the header and returns where each cell goes, in row
    /// order and column order. Returns the line of the file on which each data row starts (a quoted field may span lines). Errors
    /// name the file and line: an empty file, a ragged row, a blank line between rows, a file that is not UTF-8. With
    /// <paramref name="requireRows"/>, a file without data rows is refused (<c>'path' has a header but no data rows</c>) before
    /// <paramref name="start"/> is called: a caller that sets up a column for each of a very wide header's names did that first,
    /// and took half a minute to refuse a 5,000,000-column header (qa-s18-big L5). Otherwise <paramref name="start"/> is called
    /// in any case, at the first data row.
    /// </summary>
    internal static int[] ReadRows(string path, Func<string[], CellSink> start, Action<int, int>? progress = null,
        bool requireRows = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist.", path);
        try
        {
            using var reader = OpenReader(path, progress);
            var header = Header(reader, path, out bool trailingSeparator);
            if (header.Length == 0 || header.All(h => h.Length == 0))
                throw new InvalidDataException($"'{path}' is empty; expected a header row.");
            CellSink? sink = null; // started at the first data row
            var lines = new List<int>();
            var cell = new char[256];
            int blankLine = 0, blanks = 0; // the first of the blank lines seen since the last row (0 when none), and how many
            while (reader.Read())
            {
                int line = (int)reader.LineNumber, cells = reader.FieldCount;
                if (cells == 1 && reader.GetSpan(0).IsEmpty)
                {
                    // Blank lines at the end of a file (an editor's or a script's extra newline) are not rows. In the middle they
                    // are an error (a row lost in editing?); in a one-column file a blank line is also an empty cell, which the
                    // rows after it make a row.
                    if (blankLine == 0) blankLine = line;
                    blanks++;
                    continue;
                }
                if (blankLine != 0 && header.Length > 1)
                    throw new InvalidDataException($"'{path}' has a blank line (line {blankLine}) between rows; remove it.");
                sink ??= start(header);
                for (int b = 0; b < blanks; b++)
                {
                    sink(0, lines.Count, "");
                    lines.Add(blankLine + b);
                }
                blanks = blankLine = 0;
                if (trailingSeparator && cells == header.Length + 1)
                {
                    if (!reader.GetSpan(header.Length).IsEmpty)
                        throw new InvalidDataException($"'{path}' line {line} has a value ('{reader.GetString(header.Length)}') in " +
                            $"column {header.Length + 1}, which has no name in the header line (its line ends in a separator); name " +
                            "the column.");
                    cells--; // the empty cell after a trailing separator
                }
                if (cells != header.Length)
                    throw new InvalidDataException($"'{path}' line {line} has {cells} cell(s), but the header has " +
                        $"{header.Length}; every row needs one cell per column." + NumericHeaderHint(header));
                for (int c = 0; c < header.Length; c++)
                {
                    int bytes = reader.GetSpan(c).Length; // UTF-16 needs no more chars than UTF-8 has bytes
                    if (bytes > cell.Length) cell = new char[Math.Max(bytes, 2 * cell.Length)];
                    sink(c, lines.Count, cell.AsSpan(0, reader.GetChars(c, cell)));
                }
                lines.Add(line);
            }
            if (sink is null)
            {
                if (requireRows) throw new InvalidDataException($"'{path}' has a header but no data rows.");
                start(header);
            }
            return [.. lines];
        }
        catch (CsvFormatException e)
        {
            throw new InvalidDataException($"'{path}'{(e.LineNumber > 0 ? $" line {e.LineNumber}" : "")}: " +
                e.Message.ReplaceLineEndings(" "), e);
        }
        catch (InvalidDataException e) when (!e.Message.Contains(path, StringComparison.Ordinal))
        {
            // A message of the reader's own, with the file named.
            throw new InvalidDataException($"'{path}': {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    /// <summary>A cell as a float32, as xent reads numbers: invariant culture, and numpy's <c>inf</c>.</summary>
    internal static bool TryParse(ReadOnlySpan<char> s, out float v)
    {
        if (float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v)) return true;
        // numpy and pandas write infinity as 'inf', which .NET does not read; take it as the number it is, so that the
        // cell is reported as non-finite rather than as text.
        var t = s.Trim();
        bool negative = t.StartsWith("-"), signed = negative || t.StartsWith("+");
        if (!t[(signed ? 1 : 0)..].Equals("inf", StringComparison.OrdinalIgnoreCase)) return false;
        v = negative ? float.NegativeInfinity : float.PositiveInfinity;
        return true;
    }

    /// <summary>
    /// Column <paramref name="c"/> as floats; null when some non-empty cell is not a number and <paramref name="allowText"/>.
    /// The error is the first problem in row order: a missing value (an empty cell or a marker such as <c>NA</c>, unless
    /// imputed) or a cell that is not a number; then a number that is not a finite float32, unless the column is text. Imputed
    /// markers are warned about once, naming them. <paramref name="training"/>: the hints may suggest <c>--missing mean</c>,
    /// which only training takes (a model trained with it imputes by itself); <paramref name="options"/> say whether to name it so
    /// or as <see cref="DataOptions.ImputeMissing"/>.
    /// </summary>
    private static float[]? Numeric(string path, CsvColumns table, int c, bool impute, bool allowText, bool training,
        DataOptions options)
    {
        string name = table.Header[c];
        var (textRow, textCell) = table.FirstText(c);
        var (markerRow, markerCell, markers) = table.FirstMarker(c);
        int empty = impute ? -1 : table.FirstEmpty(c);
        string notImputed = training
            ? options.Advice("pass --missing mean", "set DataOptions.ImputeMissing") +
                " to impute missing values with the training mean, or fill it in."
            : "fill it in (the model was trained without " + options.Advice("--missing mean", "imputing missing values") +
                ", so it does not impute missing values).";
        if (empty >= 0 && (textRow < 0 || empty < textRow) && (markerRow < 0 || empty < markerRow))
            throw new InvalidDataException($"column '{name}' is empty on line {table.Line(empty)} of '{path}'; " +
                (training ? "fill it in or " + options.Advice("pass --missing mean.", "set DataOptions.ImputeMissing.") : notImputed));
        if (textRow >= 0)
        {
            if (allowText) return null;
            throw new InvalidDataException($"column '{name}' is not numeric ('{textCell}' on line {table.Line(textRow)} of '{path}')." +
                DecimalCommaHint(textCell!));
        }
        if (markerRow >= 0)
        {
            if (!impute)
                throw new InvalidDataException($"column '{name}' holds '{markerCell}' on line {table.Line(markerRow)} of '{path}' " +
                    $"({markers} missing-value cell(s) in this column); {notImputed}");
            Diagnostics.Warnings.Warn($"csv.missing-marker:{path}:{name}", $"column '{name}' of '{path}': {markers} cell(s) such " +
                $"as '{markerCell}' (first on line {table.Line(markerRow)}) are read as missing values and imputed with the " +
                "training mean.");
        }
        // Infinity, or a number beyond float32's range in a numeric column: a number, but not one a model can learn from (NaN
        // is a missing value, above).
        var (nonFinite, nonFiniteCell) = table.FirstNonFinite(c);
        if (nonFinite >= 0)
            throw new InvalidDataException($"column '{name}' holds '{nonFiniteCell}' on line {table.Line(nonFinite)} of '{path}', " +
                "which is not a finite float32 number; fix the value.");
        return table.Numbers(c);
    }

    /// <summary>
    /// Refuses a <see cref="DataOptions.MultiLabel"/> beside a <see cref="DataOptions.Spec"/> that does not name the model's labels in
    /// their order: the columns were read from one list and the labels named from the other, so labels given in another order
    /// were swapped without a word, and a longer list ran past the model's labels (an IndexOutOfRangeException).
    /// </summary>
    private static void RequireSpecLabels(DataOptions options)
    {
        if (options is not { Spec: { } spec, MultiLabel: { Count: > 0 } given }) return;
        if (!spec.MultiLabel)
            throw new ArgumentException($"DataOptions.MultiLabel names label columns ({string.Join(", ", given)}), but the model is " +
                $"single-label (classes {string.Join(", ", spec.ClassNames)}); leave MultiLabel out when Spec is set.", nameof(options));
        if (!given.SequenceEqual(spec.ClassNames, StringComparer.Ordinal))
            throw new ArgumentException($"DataOptions.MultiLabel ({string.Join(", ", given)}) is not the model's labels in their order " +
                $"({string.Join(", ", spec.ClassNames)}); leave MultiLabel out when Spec is set, and the model's label columns are read.",
                nameof(options));
    }

    /// <summary>
    /// The label columns <see cref="Load"/> reads: none when predicting (a label column is then ignored, even if present), the
    /// multi-label columns, or the target (<c>--target</c>, the model's, else the last column).
    /// </summary>
    private static IReadOnlyList<string> LabelColumnNames(string[] header, DataOptions options, bool multi) =>
        options.LabelsOptional ? []
        : multi ? options.MultiLabel is { Count: > 0 } ml ? ml : options.Spec!.ClassNames
        : [options.Target ?? options.Spec?.TargetColumn ?? header[^1]];

    /// <summary>
    /// The columns whose cells <see cref="Load"/> needs as text from the start: the label columns it will read, and for a model
    /// spec the columns it one-hot encodes (<c>column=value</c> features), whose values may all look like numbers in this file.
    /// </summary>
    private static IEnumerable<int> TextColumnsToKeep(string[] header, DataOptions options, bool multi)
    {
        var columnOf = HeaderIndex(header);
        var columns = LabelColumnNames(header, options, multi).Select(n => columnOf.GetValueOrDefault(n, -1)).ToList();
        foreach (var feature in options.Spec?.FeatureNames ?? [])
            if (FeatureColumn(feature, columnOf) is (int c, not null)) columns.Add(c);
        return columns.Where(c => c >= 0).Distinct();
    }

    /// <summary>Each column's index by its name (the first, should a name repeat).</summary>
    private static Dictionary<string, int> HeaderIndex(string[] header)
    {
        var index = new Dictionary<string, int>(header.Length, StringComparer.Ordinal);
        for (int c = 0; c < header.Length; c++) index.TryAdd(header[c], c);
        return index;
    }

    /// <summary>
    /// The column a model's input <paramref name="feature"/> is read from: the column of that name (a number), else for a
    /// one-hot input <c>column=value</c> the column and the value. A column name may hold '=' itself (<c>grade=level</c> gives
    /// <c>grade=level=A</c>), so the longest name before an '=' that is a column wins; training refuses names that this would
    /// read back wrongly (<see cref="CheckFeatureNamesReadBack"/>). (−1, null) when no column fits.
    /// </summary>
    internal static (int Column, string? Value) FeatureColumn(string feature, IReadOnlyDictionary<string, int> columnOf)
    {
        if (columnOf.TryGetValue(feature, out int c)) return (c, null);
        for (int eq = feature.LastIndexOf('='); eq > 0; eq = feature.LastIndexOf('=', eq - 1))
            if (columnOf.TryGetValue(feature[..eq], out c)) return (c, feature[(eq + 1)..]);
        return (-1, null);
    }

    /// <summary>
    /// Refuses a training table whose input names <see cref="FeatureColumn"/> would read back from another column or value than
    /// they came from (<paramref name="origins"/>), since the names are all a checkpoint keeps of them. Only names that collide
    /// do so: a column 'a=b' beside a text column 'a' that holds 'b', say.
    /// </summary>
    private static void CheckFeatureNamesReadBack(List<string> features, List<(int Column, string? Value)> origins, string[] header,
        IReadOnlyDictionary<string, int> columnOf)
    {
        string Describe((int Column, string? Value) o) => o.Column < 0 ? "no column"
            : o.Value is null ? $"column '{header[o.Column]}'" : $"the value '{o.Value}' of column '{header[o.Column]}'";
        for (int j = 0; j < features.Count; j++)
            if (FeatureColumn(features[j], columnOf) is var back && back != origins[j])
                throw new InvalidDataException($"the model's input '{features[j]}', {Describe(origins[j])}, would be read back as " +
                    $"{Describe(back)} when the model reads a file (a one-hot input is named column=value); rename column " +
                    $"'{header[origins[j].Column]}'{(back.Column >= 0 ? $" or '{header[back.Column]}'" : "")}.");
    }

    /// <summary>
    /// A value of a one-hot column that the model was not trained on is encoded as no category (all its indicators 0, as
    /// scikit-learn's <c>handle_unknown='ignore'</c>); that is legitimate but easy to miss, so it is said once per column.
    /// </summary>
    private static void WarnUnseenCategories(string path, CsvColumns table, Dictionary<int, string[]> columns,
        Dictionary<int, HashSet<string>> categories)
    {
        var header = table.Header;
        foreach (var (c, known) in categories)
        {
            var cells = columns[c];
            int first = Array.FindIndex(cells, v => v.Length > 0 && !known.Contains(v));
            if (first < 0) continue;
            int count = cells.Count(v => v.Length > 0 && !known.Contains(v));
            string knownList = string.Join(", ", known.Order(StringComparer.Ordinal).Select(v => $"'{v}'"));
            Diagnostics.Warnings.Warn($"csv.unseen-category:{path}:{header[c]}",
                $"column '{header[c]}' of '{path}' holds {count} value(s) the model was not trained on (first '{cells[first]}' " +
                $"on line {table.Line(first)}); they are encoded as no category. The model knows {knownList}.");
        }
    }

    private static float[] Indicator(string[] cells, string value)
    {
        var v = new float[cells.Length];
        for (int i = 0; i < cells.Length; i++) v[i] = cells[i] == value ? 1f : 0f;
        return v;
    }
}
