using System.Text;

namespace Xent.Cli.Commands;

/// <summary>
/// A train run's stderr: every write passes to the writer it wraps unchanged (the terminal sees the same bytes, in the same
/// writes), and each line that starts with <c>Warning: </c> is kept, in order and without that prefix, for the report's Warnings
/// section. Installed as <see cref="Console.Error"/> for the run, it sees every warning however it is written (the command's own,
/// the trainer's through <c>trainer.Warning</c>, the library's through <see cref="Diagnostics.Warnings"/>), so a warning added
/// later reaches report.html without a second call. Only a warning that goes to the live progress display instead of stderr is
/// handed in by <see cref="Add"/>.
/// </summary>
internal sealed class RunWarnings(TextWriter inner) : TextWriter
{
    private const string Prefix = "Warning: ";

    private readonly object _lock = new();
    private readonly StringBuilder _line = new();
    private readonly List<string> _warnings = [];

    /// <summary>The warnings written so far, in order, without <c>Warning: </c>.</summary>
    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (_lock) return [.. _warnings];
        }
    }

    /// <summary>Keeps a warning shown elsewhere than on stderr (the live display); <paramref name="message"/> is unprefixed.</summary>
    public void Add(string message)
    {
        lock (_lock) _warnings.Add(message);
    }

    public override Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine
    {
        get => inner.NewLine;
        set => inner.NewLine = value;
    }

    public override void Write(char value)
    {
        inner.Write(value);
        Keep(value);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        inner.Write(buffer, index, count);
        lock (_lock)
            for (int i = index; i < index + count; i++) KeepLocked(buffer[i]);
    }

    public override void Write(string? value)
    {
        inner.Write(value);
        Keep(value);
    }

    public override void WriteLine()
    {
        inner.WriteLine();
        Keep(inner.NewLine);
    }

    public override void WriteLine(string? value)
    {
        inner.WriteLine(value);
        lock (_lock)
        {
            foreach (char c in value ?? "") KeepLocked(c);
            foreach (char c in inner.NewLine) KeepLocked(c);
        }
    }

    public override void Flush() => inner.Flush();

    private void Keep(char c)
    {
        lock (_lock) KeepLocked(c);
    }

    private void Keep(string? text)
    {
        lock (_lock)
            foreach (char c in text ?? "") KeepLocked(c);
    }

    private void KeepLocked(char c)
    {
        if (c != '\n')
        {
            _line.Append(c);
            return;
        }
        if (_line.Length > 0 && _line[^1] == '\r') _line.Length--;
        string line = _line.ToString();
        _line.Clear();
        if (line.StartsWith(Prefix, StringComparison.Ordinal)) _warnings.Add(line[Prefix.Length..]);
    }
}
