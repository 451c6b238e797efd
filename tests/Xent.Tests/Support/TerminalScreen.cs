using System.Text;
using System.Text.RegularExpressions;

namespace Xent.Tests.Support;

/// <summary>
/// What a terminal shows after a program's output: the text a user reads, not the bytes. It plays the control sequences a
/// live display redraws with (carriage return, line feed, cursor up and down, erase in line; colours and modes are ignored)
/// onto a screen of <c>columns</c> that wraps long lines, so a line that a redraw wrote over shows as a user would see it.
/// </summary>
internal static partial class TerminalScreen
{
    /// <summary>The screen's lines, trailing spaces removed.</summary>
    public static IReadOnlyList<string> Render(string output, int columns)
    {
        var screen = new List<StringBuilder> { new() };
        int row = 0, col = 0;
        StringBuilder Line()
        {
            while (screen.Count <= row) screen.Add(new StringBuilder());
            return screen[row];
        }
        for (int i = 0; i < output.Length; i++)
        {
            char c = output[i];
            if (c == '\u001b')
            {
                var m = Csi().Match(output, i);
                if (m.Success)
                {
                    string args = m.Groups[1].Value;
                    int n = int.TryParse(args, out int v) ? v : 1;
                    switch (m.Groups[2].Value)
                    {
                        case "A": row = Math.Max(0, row - n); break;
                        case "B": row += n; break;
                        case "K" when args is "" or "0": if (Line().Length > col) Line().Length = col; break;
                        case "K": Line().Clear(); break;
                    }
                    i += m.Length - 1;
                }
                else if (i + 1 < output.Length && output[i + 1] is '=' or '>') i++; // keypad modes
                continue;
            }
            switch (c)
            {
                case '\r': col = 0; break;
                case '\n': row++; Line(); break;
                default:
                    if (col >= columns) (row, col) = (row + 1, 0); // the terminal wraps before the next character
                    var line = Line();
                    if (line.Length < col) line.Append(' ', col - line.Length);
                    if (col < line.Length) line[col] = c;
                    else line.Append(c);
                    col++;
                    break;
            }
        }
        return [.. screen.Select(l => l.ToString().TrimEnd())];
    }

    [GeneratedRegex(@"\G\u001b\[([?0-9;]*)([A-Za-z])")]
    private static partial Regex Csi();
}
