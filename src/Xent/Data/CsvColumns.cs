namespace Xent.Data;

/// <summary>
/// A CSV table held the way <see cref="CsvSource.Load"/> uses it: a column of numbers as one float per row, with no text kept,
/// and a text column (a label column, a one-hot column, a column with a cell that is not a number) as its cells. Holding every
/// cell as a string took about 8 times the file's size (a 172 MB file of numbers peaked at 1.37 GB); a float takes 4 bytes.
/// </summary>
/// <remarks>
/// The columns named as text when reading starts keep their cells from the first row. A column that turns out to be text
/// later (its first non-number in row 1000, say) has not kept the cells before that, so <see cref="LoadTexts"/> reads the
/// file a second time for such columns; a table of numbers is read once.
/// </remarks>
internal sealed class CsvColumns
{
    /// <summary>Distinct values past which a text column stops sharing one string per value (an ID column gains nothing).</summary>
    private const int MaxPooled = 4096;

    private readonly string _path;
    private readonly Column[] _columns;
    private readonly int[] _lines;

    private CsvColumns(string path, string[] header, Column[] columns, int[] lines)
    {
        _path = path;
        Header = header;
        _columns = columns;
        _lines = lines;
    }

    /// <summary>The column names.</summary>
    public string[] Header { get; }

    /// <summary>Data rows.</summary>
    public int Rows => _lines.Length;

    /// <summary>The line of the file on which data row <paramref name="row"/> starts (not row + 2 after a quoted field of lines).</summary>
    public int Line(int row) => _lines[row];

    /// <summary>
    /// Reads <paramref name="path"/>; <paramref name="textColumns"/> picks, from the header, the columns whose cells are kept
    /// as text from the start (names it does not find are left to the caller to report). With <paramref name="onlyText"/>,
    /// the other columns are not read at all (their cells are neither parsed nor kept). <paramref name="progress"/> is told the
    /// megabytes read (see <see cref="DataOptions.Progress"/>). With <paramref name="requireRows"/>, a file without data rows is
    /// refused before a column is set up (<see cref="CsvSource.ReadRows"/>).
    /// </summary>
    public static CsvColumns Read(string path, Func<string[], IEnumerable<int>> textColumns, bool onlyText = false,
        Action<int, int>? progress = null, bool requireRows = false)
    {
        Column[] columns = [];
        string[] header = [];
        int[] lines = CsvSource.ReadRows(path, h =>
        {
            header = h;
            columns = new Column[h.Length];
            for (int c = 0; c < columns.Length; c++) columns[c] = new Column();
            foreach (int c in textColumns(h))
            {
                columns[c].StartText();
                columns[c].Numbers = null; // read for its cells only
            }
            if (onlyText)
                return (c, _, cell) =>
                {
                    if (columns[c].Texts is not null) columns[c].AddText(cell);
                };
            return (c, row, cell) => columns[c].Add(row, cell);
        }, progress, requireRows);
        return new CsvColumns(path, header, columns, lines);
    }

    /// <summary>Whether some non-empty cell of column <paramref name="c"/> is neither a number nor a missing-value marker.</summary>
    public bool HasText(int c) => _columns[c].FirstText >= 0;

    /// <summary>The first row whose cell in column <paramref name="c"/> is empty, or −1.</summary>
    public int FirstEmpty(int c) => _columns[c].FirstEmpty;

    /// <summary>The first row whose cell is neither a number nor a missing-value marker, and that cell, or (−1, null).</summary>
    public (int Row, string? Cell) FirstText(int c) => (_columns[c].FirstText, _columns[c].FirstTextCell);

    /// <summary>
    /// The first row whose cell marks a missing value (<c>NA</c>, <c>?</c>, <c>nan</c>, …; see <see cref="MissingMarkers"/>), that
    /// cell, and how many cells of the column do; (−1, null, 0) when none does.
    /// </summary>
    public (int Row, string? Cell, int Count) FirstMarker(int c) =>
        (_columns[c].FirstMarker, _columns[c].MarkerCell, _columns[c].MarkerCount);

    /// <summary>
    /// The first row whose cell is a number but not a finite float32 (<c>inf</c>, <c>1e40</c>), and that cell, or (−1, null).
    /// </summary>
    public (int Row, string? Cell) FirstNonFinite(int c) => (_columns[c].FirstNonFinite, _columns[c].NonFiniteCell);

    /// <summary>
    /// Column <paramref name="c"/> as one float per row (NaN for an empty cell or a missing-value marker); only for a column
    /// without text.
    /// </summary>
    public float[] Numbers(int c) => _columns[c].Numbers?.ToArray()
        ?? throw new InvalidOperationException($"column '{Header[c]}' was not read as numbers.");

    /// <summary>
    /// The cells of column <paramref name="c"/>, trimmed; after <see cref="LoadTexts"/> when it was not a text column from the
    /// start.
    /// </summary>
    public string[] Texts(int c) => _columns[c].Texts is { } t && t.Count == Rows ? [.. t]
        : throw new InvalidOperationException($"column '{Header[c]}' was not read as text.");

    /// <summary>Reads the cells of <paramref name="columns"/> that were not kept as text, in one more pass over the file.</summary>
    public void LoadTexts(IEnumerable<int> columns)
    {
        var wanted = columns.Where(c => _columns[c].Texts is not { } t || t.Count != Rows).Distinct().ToArray();
        if (wanted.Length == 0) return;
        foreach (int c in wanted) _columns[c].StartText();
        var isWanted = new bool[_columns.Length];
        foreach (int c in wanted) isWanted[c] = true;
        CsvSource.ReadRows(_path, _ => (c, row, cell) =>
        {
            if (isWanted[c]) _columns[c].AddText(cell);
        });
    }

    /// <summary>One column while it is read.</summary>
    private sealed class Column
    {
        public List<float>? Numbers = [];
        public List<string>? Texts;
        private Dictionary<string, string>? _pool;
        public int FirstEmpty = -1, FirstText = -1, FirstNonFinite = -1, FirstMarker = -1, MarkerCount;
        public string? FirstTextCell, NonFiniteCell, MarkerCell;

        /// <summary>Keeps the cells as text from here on (for a second pass: from the first row).</summary>
        public void StartText()
        {
            Texts = [];
            _pool = new Dictionary<string, string>(StringComparer.Ordinal);
        }

        public void Add(int row, ReadOnlySpan<char> cell)
        {
            if (cell.Length == 0)
            {
                if (FirstEmpty < 0) FirstEmpty = row;
                Numbers?.Add(float.NaN);
            }
            else if (CsvSource.TryParse(cell, out float v) && !float.IsNaN(v))
            {
                Numbers?.Add(v);
                if (!float.IsFinite(v) && FirstNonFinite < 0)
                {
                    FirstNonFinite = row;
                    NonFiniteCell = cell.ToString();
                }
            }
            else if (float.IsNaN(v) || MissingMarkers.Contains(cell))
            {
                // 'nan' as numpy writes it, 'NA' as R does: a missing value if the column turns out to be numeric.
                if (FirstMarker < 0)
                {
                    FirstMarker = row;
                    MarkerCell = cell.ToString();
                }
                MarkerCount++;
                Numbers?.Add(float.NaN);
            }
            else if (FirstText < 0)
            {
                FirstText = row;
                FirstTextCell = cell.ToString();
                Numbers = null; // a text column: its numbers are of no use
            }
            if (Texts is not null) AddText(cell);
        }

        public void AddText(ReadOnlySpan<char> cell)
        {
            if (_pool is null)
            {
                Texts!.Add(cell.ToString());
                return;
            }
            var lookup = _pool.GetAlternateLookup<ReadOnlySpan<char>>();
            if (!lookup.TryGetValue(cell, out string? s))
            {
                s = cell.ToString();
                if (_pool.Count < MaxPooled) _pool[s] = s;
                else _pool = null; // mostly distinct values: sharing saves nothing
            }
            Texts!.Add(s);
        }
    }
}
