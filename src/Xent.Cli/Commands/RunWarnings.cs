using System.Text;

namespace Xent.Cli.Commands;

/// <summary>
/// A train run's stderr: every write passes to the writer it wraps unchanged (the terminal sees the same bytes, in the same
/// writes), and each line that starts with <c>Warning: </c> is kept, in order and without that prefix, for the report's Warnings
/// section. Installed as <see cref="Console.Error"/> for the run, it sees every warning however it is written (the command's own,
/// the trainer's through <c>trainer.Warning</c>, the library's through <see cref="Diagnostics.Warnings"/>), so a warning added
/// later reaches report.html without a second call. While the live progress display runs (<see cref="ShowOn"/>), whole lines go
/// through the display instead of to the wrapped writer.
/// </summary>
internal sealed class RunWarnings(TextWriter inner) : TextWriter
{
    private const string Prefix = "Warning: ";

    private readonly object _lock = new();
    private readonly StringBuilder _line = new();
    private readonly List<string> _warnings = [];
    private Action<string>? _display;

    /// <summary>The warnings written so far, in order, without <c>Warning: </c>.</summary>
    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (_lock) return [.. _warnings];
        }
    }

    /// <summary>
    /// Until the returned scope ends, each line written goes whole to <paramref name="display"/> instead of the wrapped writer:
    /// a line written straight to a terminal's stderr lands inside a live display's region, whose next redraw writes over it.
    /// Warnings are kept as before. A line not yet ended when the scope ends goes on to the wrapped writer.
    /// </summary>
    public IDisposable ShowOn(Action<string> display)
    {
        lock (_lock) _display = display;
        return new Scope(this);
    }

    private sealed class Scope(RunWarnings owner) : IDisposable
    {
        public void Dispose() => owner.EndDisplay();
    }

    private void EndDisplay()
    {
        lock (_lock)
        {
            if (_display is null) return;
            _display = null;
            inner.Write(_line.ToString());
        }
    }

    public override Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine
    {
        get => inner.NewLine;
        set => inner.NewLine = value;
    }

    public override void Write(char value) => Pass(value.ToString());

    public override void Write(char[] buffer, int index, int count) => Pass(new string(buffer, index, count));

    public override void Write(string? value) => Pass(value ?? "");

    public override void WriteLine() => Pass(inner.NewLine);

    public override void WriteLine(string? value) => Pass(value + inner.NewLine);

    public override void Flush() => inner.Flush();

    /// <summary>
    /// Writes <paramref name="text"/> on (to the wrapped writer, or line by line to the display) and keeps its warnings. The
    /// display is called outside the lock, in the order the lines were written.
    /// </summary>
    private void Pass(string text)
    {
        List<string>? shown = null;
        Action<string>? display;
        lock (_lock)
        {
            display = _display;
            if (display is null) inner.Write(text);
            foreach (char c in text)
                if (Keep(c) is { } line && display is not null) (shown ??= []).Add(line);
        }
        foreach (string line in shown ?? []) display!(line);
    }

    /// <summary>Adds <paramref name="c"/> to the line being written; at its end, keeps a warning and returns the line.</summary>
    private string? Keep(char c)
    {
        if (c != '\n')
        {
            _line.Append(c);
            return null;
        }
        if (_line.Length > 0 && _line[^1] == '\r') _line.Length--;
        string line = _line.ToString();
        _line.Clear();
        if (line.StartsWith(Prefix, StringComparison.Ordinal)) _warnings.Add(line[Prefix.Length..]);
        return line;
    }
}
